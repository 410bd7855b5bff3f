/**
 * Decoding of pasted screenshots and image files into 8-bit RGB (bad-inputs.md IM1-IM3).
 *
 * sharp (libvips) only decodes, orients and composites here; resizing is ours (./resize.ts)
 * because no sharp kernel reproduces torchvision's bilinear resize (libraries.md).
 *
 *   - PNG, JPEG, WebP and GIF (first frame) only; anything else is a typed error.
 *   - The pixel count is read from the header and checked against the cap *before* any pixel is
 *     decoded, so a decompression bomb costs a header read.
 *   - EXIF orientation is applied (a phone screenshot shows the way the user saw it).
 *   - Alpha is composited onto white, as Meta's preprocessing does (llama4.md §4.1 step 1).
 *   - Error messages are our own sentences: libvips' text never reaches the user (IM3).
 */
import sharp from 'sharp';
import { ScoutError } from '../errors.js';

/** An 8-bit RGB image, rows top to bottom, pixels interleaved (r, g, b). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif';

/** vLLM's default cap (PIL's 2× decompression-bomb threshold); see bad-inputs.md IM1. */
export const DEFAULT_MAX_IMAGE_PIXELS = 178_956_970;

/** Encoded files larger than this are refused before sharp sees them. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

const FORMATS = new Set<string>(['png', 'jpeg', 'webp', 'gif']);

export interface DecodeOptions {
  /** Largest width × height accepted; defaults to DEFAULT_MAX_IMAGE_PIXELS. */
  maxPixels?: number;
  /** Names the image in error messages (a file name); defaults to "the image". */
  label?: string;
}

export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const label = options.label ?? 'the image';
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  if (!Number.isInteger(maxPixels) || maxPixels < 1)
    throw new ScoutError('invalid_argument', `maxPixels must be a positive integer, got ${maxPixels}`);
  if (bytes.length === 0) throw new ScoutError('image', `${label} is empty (0 bytes)`);
  if (bytes.length > MAX_IMAGE_BYTES)
    throw new ScoutError('image', `${label} is ${bytes.length} bytes; the limit is ${MAX_IMAGE_BYTES}`);

  // Header only: sharp reads dimensions without decoding pixels.
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (e) {
    throw new ScoutError('image', `${label} is not a readable PNG, JPEG, WebP or GIF image`, { cause: e });
  }
  if (!meta.format || !FORMATS.has(meta.format))
    throw new ScoutError(
      'image',
      `${label} is ${meta.format ? `a ${meta.format.toUpperCase()} image` : 'of an unknown format'}; Scout reads PNG, JPEG, WebP and GIF`,
    );
  // For an animated GIF or WebP, `height` is one frame's (sharp reads page 0 by default).
  const width = meta.width;
  const height = meta.pageHeight ?? meta.height;
  if (!width || !height)
    throw new ScoutError('image', `${label} has no pixels (${width ?? 0}×${height ?? 0})`);
  if (width * height > maxPixels)
    throw new ScoutError(
      'image',
      `${label} is ${width}×${height} = ${width * height} pixels; the limit is ${maxPixels}`,
    );

  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: maxPixels,
      failOn: 'error',
      pages: 1,
      page: 0,
    })
      .autoOrient()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3)
      throw new ScoutError('internal', `decoding ${label} gave ${info.channels} channels, expected RGB`);
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (e) {
    if (e instanceof ScoutError) throw e;
    throw new ScoutError('image', `${label} is truncated or corrupt and cannot be decoded`, { cause: e });
  }
}
