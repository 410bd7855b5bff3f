/**
 * Int4 weights through the addon and the CLI's option check: every quantized format loads, is
 * smaller than bf16, and tracks the f32 logits of the same checkpoint; an unknown format is a
 * typed error. (Kernel parity and the recipe are tested natively: native/tests/int4_*.cpp.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineChoice } from '../../src/engine/cli/commands/model-options.js';
import { ScoutError } from '../../src/engine/errors.js';
import { TextModel } from '../../src/engine/native/engine.js';
import { fixturePrompt, tinyFixture } from '../fixtures/standard.js';

let reference: TextModel;
let exact: Float32Array;
const PROMPT = fixturePrompt(40);

beforeAll(async () => {
  reference = await TextModel.load(tinyFixture('scout-f32'), { weights: 'f32' });
  exact = await allLogits(reference);
});
afterAll(() => reference?.dispose());

async function allLogits(model: TextModel): Promise<Float32Array> {
  const seq = model.newSequence(PROMPT.length);
  const out = await seq.eval(PROMPT, 'all');
  seq.dispose();
  return out!;
}

function argmaxRows(logits: Float32Array, vocab: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < logits.length / vocab; r++) {
    let best = 0;
    for (let i = 1; i < vocab; i++) if (logits[r * vocab + i]! > logits[r * vocab + best]!) best = i;
    rows.push(best);
  }
  return rows;
}

describe('int4 weights', () => {
  it.each(['int4_mixed', 'int4', 'int4_int8_head'] as const)(
    '%s loads smaller and tracks f32',
    async (weights) => {
      const bf16 = await TextModel.load(tinyFixture('scout-f32'), { weights: 'bf16' });
      const model = await TextModel.load(tinyFixture('scout-f32'), { weights });
      try {
        expect(model.weightBytes).toBeLessThan(bf16.weightBytes);
        const vocab = model.config.vocabSize;
        const got = await allLogits(model);
        expect(got.length).toBe(exact.length);
        expect(got.every(Number.isFinite)).toBe(true);
        // Quantized, so not equal, but the same predictions almost everywhere (random weights give
        // nearly flat distributions, so a few near-ties may flip).
        expect(got).not.toEqual(exact);
        const a = argmaxRows(exact, vocab),
          b = argmaxRows(got, vocab);
        const agree = a.filter((t, i) => t === b[i]).length / a.length;
        expect(agree).toBeGreaterThanOrEqual(0.6);
      } finally {
        model.dispose();
        bf16.dispose();
      }
    },
  );

  it('rejects an unknown format in the addon and in the CLI options', async () => {
    await expect(
      TextModel.load(tinyFixture('scout-f32'), { weights: 'int3' as never }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(() => engineChoice({ model: '/m', weights: 'int3' })).toThrow(ScoutError);
    expect(() => engineChoice({ model: '/m', weights: 'int3' })).toThrow(/int4_mixed, int4, int4_int8_head/);
    expect(engineChoice({ model: '/m', weights: 'int4' }).weights).toBe('int4');
  });
});
