/**
 * Property tests for the parsers that run in TypeScript rather than in the native core, so
 * libFuzzer cannot reach them: tokenizer.json (bad-inputs.md TK) and the image decoder's header
 * checks in front of libvips (IM). Seeded mutations of small valid inputs, the same every run:
 *   * every outcome is a success or a ScoutError with the parser's code; nothing else escapes
 *     (a TypeError or RangeError from inside means a field reached code unchecked);
 *   * an accepted tokenizer encodes and decodes hostile text with typed errors only;
 *   * an accepted image has the dimensions it claims, and a refusal says so in Scout's own words:
 *     no libvips text, no addresses (IM3);
 *   * no single case takes longer than a second (bad-inputs.md: every case under about 1 s).
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ScoutError } from '../../src/engine/errors.js';
import { parseTokenizerJson } from '../../src/engine/tokenizer/load.js';
import { decodeImage } from '../../src/engine/vision/decode.js';
import { SeededRandom } from '../fixtures/prng.js';
import { tinyTokenizerJson } from '../tokenizer/tiny-tokenizer.js';

const CASE_MS = 1000;

class Mutator {
  constructor(private rng: SeededRandom) {}
  int(n: number): number {
    return Math.floor(this.rng.uniform() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Byte-level damage: flips, overwrites with boundary bytes, inserts, deletes, truncation. */
  bytes(input: Uint8Array): Uint8Array {
    const out = Array.from(input);
    for (let k = 1 + this.int(4); k > 0; k--) {
      const at = this.int(Math.max(out.length, 1));
      switch (this.int(5)) {
        case 0:
          out[at] = (out[at] ?? 0) ^ (1 << this.int(8));
          break;
        case 1:
          out[at] = this.pick([0x00, 0x7f, 0x80, 0xff, 0x22, 0x5c, 0x7b, 0x5d]);
          break;
        case 2:
          out.splice(at, 0, ...Array.from({ length: 1 + this.int(8) }, () => this.int(256)));
          break;
        case 3:
          out.splice(at, 1 + this.int(16));
          break;
        default:
          out.length = at;
          break;
      }
    }
    return Uint8Array.from(out);
  }
}

const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  '',
  '\ud800',
  '\u0000',
  'x'.repeat(5000),
  [],
  [[[[]]]],
  {},
  { '': null },
  [-1, 2 ** 40],
  ['a', 'b'],
  'Ġ',
  '<|s|>',
];

/** Replaces one value somewhere in a JSON tree (objects and arrays alike) with a hostile one. */
function mutateTree(m: Mutator, node: unknown, depth = 0): unknown {
  if (node === null || typeof node !== 'object' || (depth > 0 && m.int(4) === 0))
    return m.pick(HOSTILE_VALUES);
  if (Array.isArray(node)) {
    if (node.length === 0) return m.pick(HOSTILE_VALUES);
    const copy = [...node];
    const i = m.int(copy.length);
    copy[i] = mutateTree(m, copy[i], depth + 1);
    return copy;
  }
  const entries = Object.entries(node as Record<string, unknown>);
  if (entries.length === 0) return m.pick(HOSTILE_VALUES);
  const copy = { ...(node as Record<string, unknown>) };
  const [key, value] = m.pick(entries);
  if (m.int(6) === 0) delete copy[key];
  else copy[key] = mutateTree(m, value, depth + 1);
  return copy;
}

function expectTyped(e: unknown, code: string, what: string): void {
  if (!(e instanceof ScoutError)) throw new Error(`${what}: untyped ${String((e as Error)?.stack ?? e)}`);
  expect(e.code, what).toBe(code);
}

const TEXTS = ['ab a', '', '\ud800x', '\udfff', 'a\u0000b', '<|s|>ab<|s|', 'é'.repeat(300), '\u{1f600}'];

describe('tokenizer.json under mutation', () => {
  it('loads or refuses with a tokenizer error, and an accepted one survives hostile text', () => {
    const m = new Mutator(new SeededRandom(0x70c));
    const base = tinyTokenizerJson();
    const text = new TextEncoder().encode(JSON.stringify(base));
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const input =
        i % 2 === 0 ? JSON.stringify(mutateTree(m, base)) : new TextDecoder().decode(m.bytes(text)); // invalid UTF-8 becomes U+FFFD, as when read
      const started = performance.now();
      try {
        const tok = parseTokenizerJson(input, 'tokenizer.json');
        accepted++;
        for (const t of TEXTS) {
          try {
            const ids = tok.encodeWithSpecialTokens(t);
            tok.decode(ids);
            tok.decode([...tok.encode(t), 0, tok.vocabSize - 1]);
          } catch (e) {
            expectTyped(e, 'tokenizer', `case ${i}, text ${JSON.stringify(t)}`);
          }
        }
      } catch (e) {
        expectTyped(e, 'tokenizer', `case ${i}`);
      }
      expect(performance.now() - started, `case ${i} took too long`).toBeLessThan(CASE_MS);
    }
    // The mutations must leave both outcomes common, or the test stops exercising one side.
    expect(accepted).toBeGreaterThan(20);
    expect(accepted).toBeLessThan(380);
  });
});

describe('image headers under mutation', () => {
  const formats = ['png', 'jpeg', 'gif', 'webp'] as const;

  it.each(formats)('%s: decodes consistently or refuses in Scout’s words', async (format) => {
    const valid = new Uint8Array(
      await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 200, g: 30, b: 90 } } })
        .toFormat(format)
        .toBuffer(),
    );
    const m = new Mutator(new SeededRandom(0x1a6 + format.length));
    let refused = 0;
    for (let i = 0; i < 120; i++) {
      // Damage the first 64 bytes (the header) twice as often as the rest.
      const input =
        i % 3 === 2 ? m.bytes(valid) : Uint8Array.from([...m.bytes(valid.slice(0, 64)), ...valid.slice(64)]);
      const started = performance.now();
      try {
        const image = await decodeImage(input, { maxPixels: 4096 });
        expect(image.width * image.height).toBeGreaterThan(0);
        expect(image.width * image.height).toBeLessThanOrEqual(4096);
        expect(image.data.length).toBe(image.width * image.height * 3);
      } catch (e) {
        refused++;
        expectTyped(e, 'image', `${format} case ${i}`);
        expect((e as Error).message).not.toMatch(/vips|0x[0-9a-f]{6,}|sharp|\bat \//i);
      }
      expect(performance.now() - started, `${format} case ${i} took too long`).toBeLessThan(CASE_MS);
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('refuses a claimed 100k × 100k PNG from its header, before decoding', async () => {
    const png = new Uint8Array(
      await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
        .png()
        .toBuffer(),
    );
    const view = new DataView(png.buffer);
    view.setUint32(16, 100_000); // IHDR width
    view.setUint32(20, 100_000); // IHDR height
    const { crc32 } = await import('node:zlib');
    view.setUint32(29, crc32(png.subarray(12, 29)) >>> 0); // keep the chunk valid
    const started = performance.now();
    await decodeImage(png).then(
      () => expect.unreachable('a decompression bomb was decoded'),
      (e) => expectTyped(e, 'image', 'bomb'),
    );
    expect(performance.now() - started).toBeLessThan(CASE_MS);
  });
});
