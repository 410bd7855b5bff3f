/**
 * The engine's vision path (native, through the addon) against the independent float64
 * reference, on a tiny checkpoint with the real vision structure (test/fixtures/llama4-vision.ts).
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScoutError } from '../../src/engine/errors.js';
import { VisionEncoder } from '../../src/engine/native/vision.js';
import { preprocessImage, type PreprocessedImage, type RgbImage } from '../../src/engine/vision/index.js';
import {
  TINY_VISION,
  writeLlama4VisionCheckpoint,
  type Llama4VisionFixtureSpec,
} from '../fixtures/llama4-vision.js';
import { SeededRandom } from '../fixtures/prng.js';
import { standardFixtureSpec, tinyFixture } from '../fixtures/standard.js';
import { loadReferenceVision, referenceTileFeatures, type ReferenceVision } from './reference-vision.js';

/** The text path's goal for f32 weights (targets.md): |engine − ref| ≤ 1e-4·(1 + |ref|). */
const F32_TOLERANCE = 1e-4;

const SPEC: Llama4VisionFixtureSpec = {
  ...standardFixtureSpec('scout-f32'),
  name: 'vision-f32',
  purpose: 'tiny Llama 4 with a real vision tower: 32 px tiles, 4 px patches, 2 layers',
  seed: 0x7151,
  vision: TINY_VISION,
};

function randomImage(width: number, height: number, seed: number): RgbImage {
  const rng = new SeededRandom(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng.uniform() * 256);
  return { width, height, data };
}

let root: string;
let dir: string;
let encoder: VisionEncoder;
let reference: ReferenceVision;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'scout-vision-'));
  dir = writeLlama4VisionCheckpoint(join(root, 'vision-f32'), SPEC);
  encoder = await VisionEncoder.load(dir, { weights: 'f32', threads: 2 });
  reference = loadReferenceVision(dir);
});
afterAll(() => {
  encoder?.dispose();
  rmSync(root, { recursive: true, force: true });
});

function worstExcess(engine: Float32Array, want: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Number.isFinite(engine[i]!)
      ? Math.abs(engine[i]! - want[i]!) / (1 + Math.abs(want[i]!))
      : Infinity;
    worst = Math.max(worst, e);
  }
  return worst;
}

function referenceFeatures(image: PreprocessedImage): Float64Array {
  const tile = 3 * image.tileSize * image.tileSize;
  const parts = Array.from({ length: image.tiles }, (_, t) =>
    referenceTileFeatures(reference, image.pixels.subarray(t * tile, (t + 1) * tile)),
  );
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

describe('vision encoder parity', () => {
  it('reports the tiny tower sizes', () => {
    expect(encoder.config).toMatchObject({
      imageSize: 32,
      patchSize: 4,
      tokensPerTile: 16,
      textHiddenSize: 64,
    });
  });

  it('matches the float64 reference on every tile of a multi-tile image', async () => {
    const image = preprocessImage(randomImage(50, 37, 1), { tileSize: 32, maxTiles: 4 });
    expect(image.tiles).toBeGreaterThan(1);
    const got = await encoder.encode([image]);
    expect(got.rows).toBe(image.tiles * 16);
    const want = referenceFeatures(image);
    expect(got.data.length).toBe(want.length);
    expect(worstExcess(got.data, want)).toBeLessThanOrEqual(F32_TOLERANCE);
    // The features are not trivially small: the comparison has something to compare.
    expect(Math.max(...Array.from(want, Math.abs))).toBeGreaterThan(0.1);
  });

  it('concatenates several images in order, each tile independent of the others', async () => {
    const a = preprocessImage(randomImage(20, 20, 2), { tileSize: 32, maxTiles: 4 });
    const b = preprocessImage(randomImage(70, 30, 3), { tileSize: 32, maxTiles: 4 });
    const both = await encoder.encode([a, b]);
    const alone = await encoder.encode([b]);
    const first = (await encoder.encode([a])).data;
    expect(both.rows).toBe((a.tiles + b.tiles) * 16);
    expect(both.data.subarray(0, first.length)).toEqual(first);
    expect(both.data.subarray(first.length)).toEqual(alone.data);
    expect(worstExcess(first, referenceFeatures(a))).toBeLessThanOrEqual(F32_TOLERANCE);
  });

  it('stays close with bf16 weights', async () => {
    const bf16 = await VisionEncoder.load(dir, { weights: 'bf16', threads: 1 });
    try {
      const image = preprocessImage(randomImage(32, 32, 4), { tileSize: 32, maxTiles: 4 });
      const got = await bf16.encode([image]);
      const excess = worstExcess(got.data, referenceFeatures(image));
      expect(excess).toBeGreaterThan(0); // really a different (rounded) model
      expect(excess).toBeLessThanOrEqual(0.1);
    } finally {
      bf16.dispose();
    }
  });
});

describe('vision encoder errors', () => {
  async function expectCode(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
    const e = await p.then(
      () => expect.fail(`expected ScoutError ${code}`),
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ScoutError);
    expect((e as ScoutError).code).toBe(code);
    expect((e as ScoutError).message).toMatch(message);
  }

  it('refuses a text-only checkpoint and a tower with a missing tensor', async () => {
    await expectCode(VisionEncoder.load(tinyFixture('dense-top2-f32')), 'config', /no vision tower/);
    await expectCode(VisionEncoder.load(tinyFixture('scout-f32')), 'model_mismatch', /vision_model\./);
    const broken = join(root, 'broken');
    writeLlama4VisionCheckpoint(broken, { ...SPEC, vision: { ...TINY_VISION } });
    const config = JSON.parse(readFileSync(join(broken, 'config.json'), 'utf8')) as {
      vision_config: Record<string, unknown>;
    };
    config.vision_config.num_hidden_layers = 3;
    writeFileSync(join(broken, 'config.json'), JSON.stringify(config));
    await expectCode(VisionEncoder.load(broken), 'model_mismatch', /vision_model\.model\.layers\.2\./);
  });

  it('refuses tiles of the wrong size and non-finite pixels', async () => {
    const wrong = preprocessImage(randomImage(20, 20, 5), { tileSize: 16, maxTiles: 4 });
    await expectCode(
      encoder.encode([wrong]),
      'invalid_argument',
      /16 px tiles, but this model's tiles are 32 px/,
    );
    const image = preprocessImage(randomImage(20, 20, 6), { tileSize: 32, maxTiles: 4 });
    image.pixels[100] = Number.NaN;
    await expectCode(encoder.encode([image]), 'invalid_argument', /not finite/);
    const short = { ...image, pixels: image.pixels.subarray(1) };
    await expectCode(encoder.encode([short]), 'invalid_argument', /pixel values/);
  });
});
