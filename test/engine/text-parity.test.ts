/**
 * Text parity: the native engine, run through `scout logits`, against the float64 reference
 * (test/reference/llama4-text.ts) on every standard fixture.
 *
 * CLI contract: `node dist/cli.js logits --model DIR --tokens 1,2,3 [--step N] [--weights f32|bf16]`
 * prints exactly one JSON object on stdout, {"logits": [[...], ...]}: one row of full-vocabulary
 * logits per input position. `--step N` makes the engine consume the prompt N tokens at a time
 * through its KV cache, so every step size exercises a different split of prefill and decode
 * against the same answer.
 *
 * The prompt is 40 tokens: it crosses four chunk boundaries of the chunk-8 fixtures and two of the
 * chunk-16 one, and reaches positions where the NoPE temperature is well above 1.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  fixturePrompt,
  STANDARD_FIXTURES,
  tinyFixture,
  type StandardFixtureName,
} from '../fixtures/standard.js';
import { loadReferenceModel, referenceLogits } from '../reference/llama4-text.js';

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
const PROMPT = fixturePrompt(40);
const STEPS = [undefined, 1, 2, 3, 5, 7] as const;

/** The goal in targets.md for f32 weights: |engine − ref| ≤ 1e-4·(1 + |ref|) on every logit. */
const F32_TOLERANCE = 1e-4;
/**
 * With `--weights bf16` the engine rounds the F32 fixture's weights to bfloat16 (relative error up
 * to 2^-9 per weight), so it is a different model from the F32 reference. Rounding every weight
 * moves the tiny models' logits by at most about 3e-2·(1 + |ref|) (the reference with
 * `roundWeightsToBf16`; the "bf16-weights bound" tests below keep that measurement honest); the
 * bound leaves a factor of about 3 for the engine's own choice of which tensors to round.
 */
const BF16_WEIGHTS_TOLERANCE = 0.1;

const execFileAsync = promisify(execFile);

async function engineLogits(
  model: string,
  step: number | undefined,
  weights: 'f32' | 'bf16',
): Promise<number[][]> {
  const args = [CLI, 'logits', '--model', model, '--tokens', PROMPT.join(','), '--weights', weights];
  if (step !== undefined) args.push('--step', String(step));
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(process.execPath, args, {
      maxBuffer: 32 * 1024 * 1024,
      timeout: 30_000,
    }));
  } catch (e) {
    const { stderr, code } = e as { stderr?: string; code?: unknown };
    throw new Error(`scout ${args.slice(1).join(' ')} failed (exit ${String(code)}): ${stderr ?? String(e)}`);
  }
  const parsed = JSON.parse(stdout) as { logits?: unknown };
  expect(Object.keys(parsed)).toEqual(['logits']);
  return parsed.logits as number[][];
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Checks shape, finiteness and the elementwise bound (reporting the worst logit), then top-1. */
function compare(
  engine: number[][],
  reference: Float64Array[],
  tolerance: number,
  requireSameTop1: boolean,
): void {
  expect(engine.length).toBe(reference.length);
  let worst = { excess: -Infinity, position: -1, token: -1, engine: NaN, reference: NaN };
  reference.forEach((refRow, p) => {
    const row = engine[p]!;
    expect(row.length, `row ${p} length`).toBe(refRow.length);
    refRow.forEach((ref, v) => {
      const got = row[v]!;
      const excess = Number.isFinite(got) ? Math.abs(got - ref) / (1 + Math.abs(ref)) : Infinity;
      if (excess > worst.excess) worst = { excess, position: p, token: v, engine: got, reference: ref };
    });
  });
  expect(
    worst.excess,
    `worst logit: position ${worst.position}, token ${worst.token}: engine ${worst.engine}, reference ${worst.reference}`,
  ).toBeLessThanOrEqual(tolerance);
  if (requireSameTop1) {
    reference.forEach((refRow, p) =>
      expect(argmax(engine[p]!), `top-1 at position ${p}`).toBe(argmax(refRow)),
    );
  }
}

const referenceCache = new Map<StandardFixtureName, Float64Array[]>();
function referenceFor(name: StandardFixtureName): Float64Array[] {
  let logits = referenceCache.get(name);
  if (!logits) {
    logits = referenceLogits(loadReferenceModel(tinyFixture(name)), PROMPT);
    referenceCache.set(name, logits);
  }
  return logits;
}

describe('the bf16-weights bound', () => {
  it.each(STANDARD_FIXTURES.filter((s) => s.dtype === 'F32').map((s) => s.name))(
    'leaves a 3x margin over rounding every weight of %s to bf16',
    (name) => {
      const rounded = referenceLogits(
        loadReferenceModel(tinyFixture(name), { roundWeightsToBf16: true }),
        PROMPT,
      );
      compare(
        rounded.map((row) => [...row]),
        referenceFor(name),
        BF16_WEIGHTS_TOLERANCE / 3,
        false,
      );
    },
  );
});

const cliBuilt = existsSync(CLI);
if (!cliBuilt) console.warn(`text parity skipped: ${CLI} does not exist (run npm run build first)`);

describe.skipIf(!cliBuilt)('engine text logits match the float64 reference', () => {
  describe.each(STANDARD_FIXTURES.map((s) => s.name))('%s', (name) => {
    it.each(STEPS.map((step) => [step === undefined ? 'whole prompt' : `step ${step}`, step] as const))(
      'f32 weights, %s: within 1e-4·(1+|ref|), same top-1',
      async (_label, step) => {
        compare(await engineLogits(tinyFixture(name), step, 'f32'), referenceFor(name), F32_TOLERANCE, true);
      },
    );
  });

  describe.each(STANDARD_FIXTURES.filter((s) => s.dtype === 'F32').map((s) => s.name))('%s', (name) => {
    it('bf16 weights, step 3: within the bf16 rounding bound', async () => {
      compare(
        await engineLogits(tinyFixture(name), 3, 'bf16'),
        referenceFor(name),
        BF16_WEIGHTS_TOLERANCE,
        false,
      );
    });
  });
});
