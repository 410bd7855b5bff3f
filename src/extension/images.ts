/**
 * Screenshots come from outside (clipboard, drops, files, the webview): check what they are before
 * they go anywhere. The engine decodes and bounds pixels (bad-inputs.md IM); the extension refuses
 * what is plainly not a supported image, or too large to send, with a clear message.
 */
import { EngineError } from './errors.js';

export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';

const startsWith = (bytes: Uint8Array, sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);

/** The image type from its first bytes; undefined when they match none that Scout reads. */
export function sniffImage(bytes: Uint8Array): ImageMime | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8))
    return 'image/webp';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  return undefined;
}

export interface CheckedImage {
  data: Uint8Array;
  mimeType: ImageMime;
  name: string;
}

export function checkImage(data: Uint8Array, name: string): CheckedImage {
  if (data.byteLength === 0) throw new EngineError('image', `${name} is empty`);
  if (data.byteLength > MAX_IMAGE_BYTES) {
    throw new EngineError(
      'image',
      `${name} is ${(data.byteLength / 1048576).toFixed(1)} MB; screenshots up to ${MAX_IMAGE_BYTES / 1048576} MB are accepted`,
    );
  }
  const mimeType = sniffImage(data);
  if (!mimeType) throw new EngineError('image', `${name} is not a PNG, JPEG, WebP or GIF image`);
  return { data, mimeType, name };
}

/** The instruction that goes with a screenshot, so the chat view, @scout and paste say the same. */
export function screenshotPrompt(languageId?: string): string {
  const target =
    languageId && languageId !== 'plaintext'
      ? `${languageId} code`
      : 'code (HTML and CSS unless the screenshot suggests another stack)';
  return `Write ${target} that reproduces the user interface in this screenshot as closely as possible: layout, text, colours and spacing. Answer with the code in one fenced block, then at most three short notes.`;
}

/** The code of an answer to a screenshot: its first fenced block, else the whole answer. */
export function codeFromAnswer(text: string): string {
  const m = /```[^\n`]*\n([\s\S]*?)(?:```|$)/.exec(text);
  return (m ? m[1]! : text).replace(/\n+$/, '\n');
}
