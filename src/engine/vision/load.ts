/** Reads image files from disk, with the size checked before reading. */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ScoutError } from '../errors.js';
import { decodeImage, MAX_IMAGE_BYTES, type DecodeOptions, type RgbImage } from './decode.js';

/** The encoded bytes of the image file at `path` (at most MAX_IMAGE_BYTES). */
export async function readImageFile(path: string): Promise<Uint8Array> {
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
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ScoutError('io', `cannot read image file ${path}`, { cause: e });
  }
}

export async function loadImageFile(
  path: string,
  options: Omit<DecodeOptions, 'label'> = {},
): Promise<RgbImage> {
  return decodeImage(await readImageFile(path), { ...options, label: basename(path) });
}
