import { describe, expect, it } from 'vitest';
import { imageTokenCount } from '../../src/engine/prompt/index.js';
import {
  candidateCanvases,
  chooseCanvas,
  preprocessImage,
  resizeBilinear,
  resizeTarget,
  roundToBf16,
  type RgbImage,
} from '../../src/engine/vision/index.js';
import { SeededRandom } from '../fixtures/prng.js';
import { roundToBf16 as fixtureBf16 } from '../fixtures/safetensors.js';
import { referenceResize } from './reference-preprocess.js';

function randomImage(width: number, height: number, seed: number): RgbImage {
  const rng = new SeededRandom(seed);
  const data = new Uint8Array(width * height * 3);
  // Smooth gradients plus noise: resampling must get both the trend and the detail right.
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        data[(y * width + x) * 3 + c] = Math.min(
          255,
          Math.floor(((x * (c + 1) * 7 + y * 5) % 200) + rng.uniform() * 55),
        );
  return { width, height, data };
}

describe('canvas choice (llama4.md §4.1 worked examples)', () => {
  const cases = [
    // [height, width] → resized [height, width], grid, tiles incl. global, image tokens
    { h: 200, w: 300, resized: [224, 336], grid: [1, 1], tiles: 1, tokens: 147 },
    { h: 768, w: 1024, resized: [768, 1024], grid: [3, 4], tiles: 13, tokens: 1887 },
    { h: 1000, w: 1500, resized: [1000, 1500], grid: [3, 5], tiles: 16, tokens: 2322 },
    { h: 1080, w: 1920, resized: [945, 1680], grid: [3, 5], tiles: 16, tokens: 2322 },
  ];
  for (const c of cases) {
    it(`${c.h}×${c.w} goes on a ${c.grid[0]}×${c.grid[1]} canvas`, () => {
      const canvas = chooseCanvas(c.w, c.h, 336, 16);
      expect([canvas.rows, canvas.cols]).toEqual(c.grid);
      const size = resizeTarget(c.w, c.h, canvas, 336);
      expect([size.height, size.width]).toEqual(c.resized);
      const grid = canvas.rows * canvas.cols;
      expect(grid > 1 ? grid + 1 : 1).toBe(c.tiles);
      expect(imageTokenCount(canvas)).toBe(c.tokens);
    });
  }

  it('lists every grid of at most 16 tiles once, in Hugging Face order', () => {
    const all = candidateCanvases(16);
    const expected = new Set<string>();
    for (let r = 1; r <= 16; r++) for (let c = 1; r * c <= 16; c++) expected.add(`${r}x${c}`);
    expect(new Set(all.map((c) => `${c.rows}x${c.cols}`))).toEqual(expected);
    expect(all).toHaveLength(expected.size);
    // Ratio groups in order of first appearance (16 tiles: 1/16, 2/8, 4/4, 8/2, 16/1; then 15 …),
    // each group by descending tile count: 2×8 and 1×4 share the ratio 1/4.
    expect(all.slice(0, 7)).toEqual([
      { rows: 1, cols: 16 },
      { rows: 2, cols: 8 },
      { rows: 1, cols: 4 },
      { rows: 4, cols: 4 },
      { rows: 3, cols: 3 },
      { rows: 2, cols: 2 },
      { rows: 1, cols: 1 },
    ]);
  });

  it('prefers the smallest enlargement, then the smallest canvas', () => {
    expect(chooseCanvas(336, 336, 336, 16)).toEqual({ rows: 1, cols: 1 });
    expect(chooseCanvas(500, 500, 336, 16)).toEqual({ rows: 2, cols: 2 });
    // Too big for every canvas: the largest downscale, on a 4×4 canvas for a square image.
    expect(chooseCanvas(5000, 5000, 336, 16)).toEqual({ rows: 4, cols: 4 });
    // Enlarges small images only up to one tile per side.
    expect(resizeTarget(20, 10, { rows: 1, cols: 1 }, 32)).toEqual({ width: 32, height: 16 });
  });

  it('keeps an extreme aspect ratio within the tile budget and never resizes a side to 0 (IM4)', () => {
    const canvas = chooseCanvas(100_000, 1, 336, 16);
    expect(canvas).toEqual({ rows: 1, cols: 16 });
    expect(resizeTarget(100_000, 1, canvas, 336)).toEqual({ width: 5376, height: 1 });
    const out = preprocessImage(randomImage(2000, 1, 3), { tileSize: 16, maxTiles: 4 });
    expect(out.rows * out.cols).toBeLessThanOrEqual(4);
    expect(out.pixels.length).toBe(out.tiles * 3 * 16 * 16);
    expect(out.pixels.every((v) => v >= -1 && v <= 1)).toBe(true);
  });
});

describe('bilinear resize', () => {
  const img = randomImage(37, 23, 7);
  for (const [w, h] of [
    [37, 23],
    [20, 11],
    [9, 5],
    [16, 23],
    [64, 40],
    [50, 17],
    [3, 60],
  ] as const) {
    it(`${img.width}×${img.height} → ${w}×${h} matches the float64 reference within one level`, () => {
      const got = resizeBilinear(img, w, h);
      const want = referenceResize(img.data, img.width, img.height, w, h);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - want[i]!));
      expect(worst).toBeLessThanOrEqual(1);
    });
  }

  it('is the identity at the same size and keeps a flat colour flat', () => {
    expect(resizeBilinear(img, img.width, img.height).data).toEqual(img.data);
    const flat = { width: 30, height: 30, data: new Uint8Array(2700).fill(77) };
    expect(resizeBilinear(flat, 7, 13).data.every((v) => v === 77)).toBe(true);
  });
});

describe('preprocessImage', () => {
  it('cuts tiles in row-major order and puts the global tile last', () => {
    // 64×64 on 32 px tiles: a 2×2 canvas at scale 1, so the tiles are the quadrants exactly.
    const colours = [10, 80, 160, 240];
    const data = new Uint8Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++)
        data.fill(colours[(y >= 32 ? 2 : 0) + (x >= 32 ? 1 : 0)]!, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    const out = preprocessImage(
      { width: 64, height: 64, data },
      { tileSize: 32, maxTiles: 4, precision: 'f32' },
    );
    expect([out.rows, out.cols, out.tiles]).toEqual([2, 2, 5]);
    const plane = 3 * 32 * 32;
    colours.forEach((level, t) => {
      const tile = out.pixels.subarray(t * plane, (t + 1) * plane);
      expect(tile.every((v) => Math.abs(v - (level / 255 - 0.5) / 0.5) < 1e-6)).toBe(true);
    });
    // The global tile is the whole image at half size: each quadrant's colour in its quarter.
    const global = out.pixels.subarray(4 * plane);
    expect(global[0]).toBeCloseTo((10 / 255 - 0.5) / 0.5, 6);
    expect(global[31]).toBeCloseTo((80 / 255 - 0.5) / 0.5, 6);
    expect(global[31 * 32]).toBeCloseTo((160 / 255 - 0.5) / 0.5, 6);
  });

  it('resizes, pads with black (−1) and normalises, agreeing with the float64 reference', () => {
    const img = randomImage(50, 37, 11);
    const out = preprocessImage(img, { tileSize: 32, maxTiles: 4 });
    const canvas = chooseCanvas(50, 37, 32, 4);
    const size = resizeTarget(50, 37, canvas, 32);
    expect([out.rows, out.cols]).toEqual([canvas.rows, canvas.cols]);
    expect(out.resized).toEqual(size);
    const want = referenceResize(img.data, 50, 37, size.width, size.height);
    const plane = 32 * 32;
    let worst = 0;
    for (let r = 0; r < out.rows; r++)
      for (let c = 0; c < out.cols; c++)
        for (let ch = 0; ch < 3; ch++)
          for (let y = 0; y < 32; y++)
            for (let x = 0; x < 32; x++) {
              const v = out.pixels[(r * out.cols + c) * 3 * plane + ch * plane + y * 32 + x]!;
              const [sx, sy] = [c * 32 + x, r * 32 + y];
              if (sx >= size.width || sy >= size.height) {
                expect(v).toBe(-1);
                continue;
              }
              const level = (v + 1) * 127.5;
              worst = Math.max(worst, Math.abs(level - want[(sy * size.width + sx) * 3 + ch]!));
            }
    // One level of resize rounding plus bf16 rounding of the normalised value (≤ 2⁻⁹ · 127.5).
    expect(worst).toBeLessThanOrEqual(1.25);
  });

  it('rounds normalised values to bfloat16 by default, as the reference processor does', () => {
    const img = randomImage(8, 8, 5);
    const bf16 = preprocessImage(img, { tileSize: 8, maxTiles: 1 });
    const f32 = preprocessImage(img, { tileSize: 8, maxTiles: 1, precision: 'f32' });
    for (let i = 0; i < f32.pixels.length; i++) expect(bf16.pixels[i]).toBe(fixtureBf16(f32.pixels[i]!));
    expect(roundToBf16(1 / 3)).toBe(fixtureBf16(1 / 3));
  });

  it('rejects an RGB buffer of the wrong size', () => {
    expect(() => preprocessImage({ width: 4, height: 4, data: new Uint8Array(10) })).toThrow(/4×4/);
  });
});
