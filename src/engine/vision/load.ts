/** Reads an image file from disk and decodes it, with the size checked before reading. */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ScoutError } from '../errors.js';
import { decodeImage, MAX_IMAGE_BYTES, type DecodeOptions, type RgbImage } from './decode.js';

export async function loadImageFile(
  path: string,
  options: Omit<DecodeOptions, 'label'> = {},
): Promise<RgbImage> {
  const label = basename(path);
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new ScoutError('image', `${label} is not a regular file`);
    size = s.size;
  } catch (e) {
    if (e instanceof ScoutError) throw e;
    throw new ScoutError('not_found', `image file ${path} does not exist or cannot be read`, { cause: e });
  }
  if (size > MAX_IMAGE_BYTES)
    throw new ScoutError('image', `${label} is ${size} bytes; the limit is ${MAX_IMAGE_BYTES}`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ScoutError('io', `cannot read image file ${path}`, { cause: e });
  }
  return decodeImage(bytes, { ...options, label });
}
