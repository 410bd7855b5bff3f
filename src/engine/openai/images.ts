/**
 * Images inside OpenAI chat requests: `image_url` parts carrying `data:` URLs.
 *
 * Scout never fetches an image from the network (a privacy promise: a prompt cannot make the
 * server reach out), so http(s) URLs are refused with a message that says how to send the image
 * instead. The declared type must match the bytes' signature, so a mislabelled or junk payload is
 * refused here rather than deep inside an image decoder. Pixel-level checks (decompression bombs,
 * truncation) belong to the decoder in the vision pipeline.
 */
import { InvalidRequestError } from './wire-errors.js';

export const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;

const SIGNATURES: Record<(typeof IMAGE_MIME_TYPES)[number], (b: Uint8Array) => boolean> = {
  'image/png': (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0),
  'image/jpeg': (b) => startsWith(b, [0xff, 0xd8, 0xff], 0),
  'image/gif': (b) =>
    startsWith(b, [0x47, 0x49, 0x46, 0x38], 0) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61,
  'image/webp': (b) =>
    startsWith(b, [0x52, 0x49, 0x46, 0x46], 0) && startsWith(b, [0x57, 0x45, 0x42, 0x50], 8),
};

function startsWith(bytes: Uint8Array, prefix: number[], at: number): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((v, i) => bytes[at + i] === v);
}

function isImageMime(m: string): m is (typeof IMAGE_MIME_TYPES)[number] {
  return (IMAGE_MIME_TYPES as readonly string[]).includes(m);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes `data:image/<type>[;params];base64,<payload>` into bytes, refusing anything else.
 * `maxBytes` bounds the decoded size, checked before decoding so a huge payload costs no memory.
 */
export function decodeImageDataUrl(
  url: string,
  param: string,
  maxBytes: number,
): { data: Uint8Array; mimeType: string } {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https')
    throw new InvalidRequestError(
      param,
      'Scout does not fetch images from the network; send the image inline as a data:image/...;base64, URL',
    );
  if (scheme !== 'data')
    throw new InvalidRequestError(param, 'only data:image/...;base64, URLs are accepted');
  const comma = url.indexOf(',');
  if (comma < 0) throw new InvalidRequestError(param, 'data URL has no comma before its payload');
  const header = url.slice('data:'.length, comma).split(';');
  let mimeType = (header[0] ?? '').trim().toLowerCase();
  if (mimeType === 'image/jpg') mimeType = 'image/jpeg';
  if (!isImageMime(mimeType))
    throw new InvalidRequestError(
      param,
      `image type '${mimeType.slice(0, 40)}' is not supported (use ${IMAGE_MIME_TYPES.join(', ')})`,
    );
  if (header[header.length - 1]?.trim().toLowerCase() !== 'base64')
    throw new InvalidRequestError(param, 'image data URL must be base64-encoded (";base64,")');

  const payload = url.slice(comma + 1);
  if (payload.length % 4 !== 0 || !BASE64.test(payload))
    throw new InvalidRequestError(param, 'image data is not valid base64');
  const decodedLength =
    (payload.length / 4) * 3 - (payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0);
  if (decodedLength === 0) throw new InvalidRequestError(param, 'image data is empty');
  if (decodedLength > maxBytes)
    throw new InvalidRequestError(param, `image is ${decodedLength} bytes; the limit is ${maxBytes}`);

  const data = new Uint8Array(Buffer.from(payload, 'base64'));
  if (!SIGNATURES[mimeType](data))
    throw new InvalidRequestError(
      param,
      `image data is not a ${mimeType.slice('image/'.length).toUpperCase()} file`,
    );
  return { data, mimeType };
}

/** The inverse, for sending an image to a remote server. */
export function encodeImageDataUrl(data: Uint8Array, mimeType: string): string {
  return `data:${mimeType};base64,${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}`;
}
