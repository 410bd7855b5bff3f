/**
 * Llama 4's image preprocessing (llama4.md §4.1, Hugging Face's Llama4ImageProcessorFast):
 * choose a canvas among the tile grids, resize without distortion (never above one tile when
 * enlarging), pad bottom and right with black, normalise to [-1, 1], cut into tiles in row-major
 * order, and append a distorted whole-image "global" tile last when there is more than one tile.
 */
import { ScoutError } from '../errors.js';
import type { RgbImage } from './decode.js';
import { resizeBilinear } from './resize.js';

export interface PreprocessOptions {
  /** Tile side in pixels (vision_config.image_size; 336 for Scout). */
  tileSize?: number;
  /** Largest rows × cols (16 for Scout). */
  maxTiles?: number;
  /**
   * 'bf16' rounds each normalised value to bfloat16, as Hugging Face's processor does ("as in
   * the original implementation"); 'f32' keeps the float value.
   */
  precision?: 'bf16' | 'f32';
}

export interface PreprocessedImage {
  /** Tile grid of the canvas; the prompt layout follows it (imageTokenLayout). */
  rows: number;
  cols: number;
  /** rows·cols, plus 1 for the global tile when rows·cols > 1. */
  tiles: number;
  tileSize: number;
  /** [tiles, 3, tileSize, tileSize], channel-major inside each tile, values in [-1, 1]. */
  pixels: Float32Array;
  /** The size the image was resized to before padding. */
  resized: { width: number; height: number };
}

export interface Canvas {
  rows: number;
  cols: number;
}

/**
 * Every grid with rows·cols ≤ maxTiles, in the order Hugging Face enumerates them
 * (`find_supported_resolutions`): grouped by aspect ratio in order of first appearance while
 * tile counts go from maxTiles down to 1, factor pairs by ascending rows. The order decides ties.
 */
export function candidateCanvases(maxTiles: number): Canvas[] {
  const groups = new Map<number, Canvas[]>();
  for (let n = maxTiles; n >= 1; n--) {
    for (let rows = 1; rows <= n; rows++) {
      if (n % rows !== 0) continue;
      const cols = n / rows;
      const ratio = rows / cols;
      const group = groups.get(ratio) ?? [];
      group.push({ rows, cols });
      groups.set(ratio, group);
    }
  }
  return [...groups.values()].flat();
}

/**
 * The canvas for an image of width × height: the smallest upscale ≥ 1 if any canvas holds the
 * image, else the largest downscale; ties go to the smallest area, then to enumeration order.
 */
export function chooseCanvas(width: number, height: number, tileSize: number, maxTiles: number): Canvas {
  const canvases = candidateCanvases(maxTiles);
  // float32, as Hugging Face computes them with torch tensors: it decides the rare near-ties.
  const f32Div = (a: number, b: number) => Math.fround(Math.fround(a) / Math.fround(b));
  const scales = canvases.map((c) => {
    const scaleW = f32Div(c.cols * tileSize, width);
    const scaleH = f32Div(c.rows * tileSize, height);
    return scaleH > scaleW ? scaleW : scaleH;
  });
  const up = scales.filter((s) => s >= 1);
  const chosen = up.length > 0 ? Math.min(...up) : Math.max(...scales.filter((s) => s < 1));
  let best: Canvas | undefined;
  canvases.forEach((c, i) => {
    if (scales[i] !== chosen) return;
    if (!best || c.rows * c.cols < best.rows * best.cols) best = c;
  });
  return best!;
}

/**
 * The size to resize to inside `canvas`: enlarge only up to one tile per side, keep the aspect
 * ratio (Hugging Face `get_max_res_without_distortion`), never below 1 pixel (an extreme aspect
 * ratio such as 1×100000 would otherwise round a side to 0; IM4).
 */
export function resizeTarget(
  width: number,
  height: number,
  canvas: Canvas,
  tileSize: number,
): { width: number; height: number } {
  const targetH = Math.min(Math.max(height, tileSize), canvas.rows * tileSize);
  const targetW = Math.min(Math.max(width, tileSize), canvas.cols * tileSize);
  const scaleW = targetW / width;
  const scaleH = targetH / height;
  if (scaleW < scaleH)
    return { width: targetW, height: Math.max(1, Math.min(Math.floor(height * scaleW), targetH)) };
  return { width: Math.max(1, Math.min(Math.floor(width * scaleH), targetW)), height: targetH };
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Rounds to the nearest bfloat16 (ties to even); inputs here are finite. */
export function roundToBf16(x: number): number {
  F32[0] = x;
  const bits = U32[0]!;
  U32[0] = ((bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000) >>> 0;
  return F32[0];
}

/** A pixel level 0..255 as the model sees it: (p/255 − 0.5)/0.5. */
function normalizer(precision: 'bf16' | 'f32'): Float32Array {
  const table = new Float32Array(256);
  for (let p = 0; p < 256; p++) {
    const v = (p / 255 - 0.5) / 0.5;
    table[p] = precision === 'bf16' ? roundToBf16(v) : v;
  }
  return table;
}

/**
 * Writes one tile: the tileSize² window at (x0, y0) of `image`, which is black outside the image
 * (the padding), normalised, channel-major, into `out` at `offset`.
 */
function writeTile(
  image: RgbImage,
  x0: number,
  y0: number,
  tileSize: number,
  norm: Float32Array,
  out: Float32Array,
  offset: number,
): void {
  const plane = tileSize * tileSize;
  for (let y = 0; y < tileSize; y++) {
    for (let x = 0; x < tileSize; x++) {
      const sx = x0 + x;
      const sy = y0 + y;
      const inside = sx < image.width && sy < image.height;
      const base = (sy * image.width + sx) * 3;
      for (let c = 0; c < 3; c++)
        out[offset + c * plane + y * tileSize + x] = norm[inside ? image.data[base + c]! : 0]!;
    }
  }
}

export function preprocessImage(image: RgbImage, options: PreprocessOptions = {}): PreprocessedImage {
  const tileSize = options.tileSize ?? 336;
  const maxTiles = options.maxTiles ?? 16;
  if (!Number.isInteger(tileSize) || tileSize < 1 || tileSize > 4096)
    throw new ScoutError('invalid_argument', `tileSize must be an integer in [1, 4096], got ${tileSize}`);
  if (!Number.isInteger(maxTiles) || maxTiles < 1 || maxTiles > 64)
    throw new ScoutError('invalid_argument', `maxTiles must be an integer in [1, 64], got ${maxTiles}`);
  if (image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height * 3)
    throw new ScoutError(
      'image',
      `the image is ${image.width}×${image.height} with ${image.data.length} bytes of RGB`,
    );
  const norm = normalizer(options.precision ?? 'bf16');

  const canvas = chooseCanvas(image.width, image.height, tileSize, maxTiles);
  const size = resizeTarget(image.width, image.height, canvas, tileSize);
  const resized = resizeBilinear(image, size.width, size.height);

  const grid = canvas.rows * canvas.cols;
  const tiles = grid > 1 ? grid + 1 : 1;
  const tileFloats = 3 * tileSize * tileSize;
  const pixels = new Float32Array(tiles * tileFloats);
  for (let r = 0; r < canvas.rows; r++)
    for (let c = 0; c < canvas.cols; c++)
      writeTile(
        resized,
        c * tileSize,
        r * tileSize,
        tileSize,
        norm,
        pixels,
        (r * canvas.cols + c) * tileFloats,
      );
  if (grid > 1) {
    // The global tile: the whole original image squeezed to one tile, aspect not kept.
    const global = resizeBilinear(image, tileSize, tileSize);
    writeTile(global, 0, 0, tileSize, norm, pixels, grid * tileFloats);
  }
  return { rows: canvas.rows, cols: canvas.cols, tiles, tileSize, pixels, resized: size };
}
