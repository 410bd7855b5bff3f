/**
 * `scout logits --image`: image features fill the `<|patch|>` positions of the prompt, in order,
 * and the logits match the float64 reference text model fed the reference vision features there.
 * Runs the real command (in process) on the tiny vision checkpoint.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command as logits } from '../../src/engine/cli/commands/logits.js';
import { ScoutError } from '../../src/engine/errors.js';
import { loadImageFile, preprocessImage } from '../../src/engine/vision/index.js';
import { TINY_VISION, writeLlama4VisionCheckpoint } from '../fixtures/llama4-vision.js';
import { SeededRandom } from '../fixtures/prng.js';
import { standardFixtureSpec } from '../fixtures/standard.js';
import { loadReferenceModel, referenceLogits } from '../reference/llama4-text.js';
import { loadReferenceVision, referenceTileFeatures } from './reference-vision.js';

const F32_TOLERANCE = 1e-4;
const TOKENS_PER_TILE = (TINY_VISION.image_size / TINY_VISION.patch_size) ** 2 / 4;

let root: string;
let dir: string;
let patchId: number;

async function writePng(path: string, width: number, height: number, seed: number): Promise<void> {
  const rng = new SeededRandom(seed);
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng.uniform() * 256);
  writeFileSync(
    path,
    await sharp(data, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

async function runLogits(args: string[]): Promise<number[][]> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const io = { stdout, stderr: new PassThrough(), isTTY: false, signal: new AbortController().signal };
  expect(await logits.run(args, io)).toBe(0);
  return (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { logits: number[][] }).logits;
}

/** `scout logits` arguments for `tokens` with the image files `names` (in root), in order. */
function logitsArgs(tokens: number[], names: string[]): string[] {
  return ['--model', dir, '--tokens', tokens.join(','), ...names.flatMap((n) => ['--image', join(root, n)])];
}

/** Reference features of one image file, tile by tile (llama4.md §4.5). */
async function referenceImageRows(path: string): Promise<Float64Array[]> {
  const vision = loadReferenceVision(dir);
  const image = preprocessImage(await loadImageFile(path), { tileSize: TINY_VISION.image_size });
  const rows: Float64Array[] = [];
  const tile = 3 * image.tileSize ** 2;
  const width = vision.config.textHidden;
  for (let t = 0; t < image.tiles; t++) {
    const f = referenceTileFeatures(vision, image.pixels.subarray(t * tile, (t + 1) * tile));
    for (let r = 0; r < f.length / width; r++) rows.push(f.slice(r * width, (r + 1) * width));
  }
  return rows;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'scout-logits-image-'));
  const spec = {
    ...standardFixtureSpec('scout-f32'),
    name: 'vision',
    purpose: 'logits --image',
    seed: 0x10,
    vision: TINY_VISION,
  };
  dir = writeLlama4VisionCheckpoint(join(root, 'model'), spec);
  patchId = spec.text.vocab_size - 2; // the fixture's image_token_index
  await writePng(join(root, 'wide.png'), 60, 30, 1); // 1×2 tiles + global
  await writePng(join(root, 'small.png'), 20, 20, 2); // one tile
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('scout logits --image', () => {
  it('matches the reference text model fed the reference image features, in one piece or many', async () => {
    const wide = await referenceImageRows(join(root, 'wide.png'));
    const small = await referenceImageRows(join(root, 'small.png'));
    expect(wide.length).toBe(3 * TOKENS_PER_TILE);
    expect(small.length).toBe(TOKENS_PER_TILE);
    const tokens = [
      5,
      9,
      ...Array<number>(wide.length).fill(patchId),
      17,
      ...Array<number>(small.length).fill(patchId),
      40,
      41,
    ];

    // The reference model with the feature rows appended to its embedding table as extra ids.
    const text = loadReferenceModel(dir);
    const D = text.config.hiddenSize;
    const V = text.config.vocabSize;
    const features = [...wide, ...small];
    const embed = new Float64Array((V + features.length) * D);
    embed.set(text.embed.data);
    features.forEach((row, i) => embed.set(row, (V + i) * D));
    const extended = {
      ...text,
      config: { ...text.config, vocabSize: V + features.length },
      embed: { rows: V + features.length, cols: D, data: embed },
    };
    let next = 0;
    const want = referenceLogits(
      extended,
      tokens.map((t) => (t === patchId ? V + next++ : t)),
    );

    const args = logitsArgs(tokens, ['wide.png', 'small.png']);
    for (const extra of [[], ['--step', '7']]) {
      const got = await runLogits([...args, ...extra]);
      expect(got).toHaveLength(tokens.length);
      let worst = 0;
      got.forEach((row, p) =>
        row.forEach(
          (v, i) => (worst = Math.max(worst, Math.abs(v - want[p]![i]!) / (1 + Math.abs(want[p]![i]!)))),
        ),
      );
      expect(worst).toBeLessThanOrEqual(F32_TOLERANCE);
    }

    // Swapping the images' order changes the answer: rows go to the positions in order.
    const swapped = await runLogits(logitsArgs(tokens, ['small.png', 'wide.png']));
    expect(swapped).not.toEqual(await runLogits(args));
  });

  it('refuses images whose features do not fit the prompt', async () => {
    const tokens = [5, ...Array<number>(TOKENS_PER_TILE - 1).fill(patchId), 6];
    const err = await runLogits(logitsArgs(tokens, ['small.png'])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScoutError);
    expect((err as ScoutError).code).toBe('invalid_argument');
    expect((err as ScoutError).message).toMatch(/16 feature rows but --tokens holds 15 <\|patch\|> tokens/);
  });
});
