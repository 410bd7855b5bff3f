import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectScoutError } from '../fixtures/expect-scout-error.js';
import { fixturePrompt, tinyFixture } from '../fixtures/standard.js';
import {
  applyRope,
  loadReferenceModel,
  moeForward,
  referenceLogits,
  rmsNorm,
  sigmoid,
  silu,
  topK,
  type MoeWeights,
  type ReferenceModel,
} from './llama4-text.js';

const PROMPT = fixturePrompt(40);
const scout = loadReferenceModel(tinyFixture('scout-f32'));
const scoutLogits = referenceLogits(scout, PROMPT);

const scratch = mkdtempSync(join(tmpdir(), 'scout-reference-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Largest |a - b| / (1 + |a|) over two logit tables. */
function maxRelativeDiff(a: Float64Array[], b: Float64Array[]): number {
  let worst = 0;
  a.forEach((row, p) =>
    row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[p]![j]!) / (1 + Math.abs(v))))),
  );
  return worst;
}

/** Positions whose logit rows are not bit-identical. */
function changedPositions(a: Float64Array[], b: Float64Array[]): number[] {
  return a.flatMap((row, p) => (row.every((v, j) => v === b[p]![j]) ? [] : [p]));
}

function withConfig(model: ReferenceModel, edit: Partial<ReferenceModel['config']>): ReferenceModel {
  return { ...model, config: { ...model.config, ...edit } };
}

describe('building blocks', () => {
  it('RMS-normalizes with and without a weight', () => {
    const inv = 1 / Math.sqrt((9 + 16) / 2 + 1e-5);
    expect([...rmsNorm(Float64Array.of(3, 4), 1e-5)]).toEqual([3 * inv, 4 * inv]);
    expect([...rmsNorm(Float64Array.of(3, 4), 1e-5, Float64Array.of(2, -1))]).toEqual([6 * inv, -4 * inv]);
  });

  it('rotates interleaved pairs (2j, 2j+1), not the two halves', () => {
    const omega = Float64Array.of(Math.PI / 2, Math.PI);
    const rotated = applyRope(Float64Array.of(1, 2, 3, 4), 1, omega);
    // Pair 0: (1 + 2i)·i = -2 + i.  Pair 1: (3 + 4i)·(-1) = -3 - 4i.
    [-2, 1, -3, -4].forEach((v, i) => expect(rotated[i]).toBeCloseTo(v, 12));
    expect([...applyRope(Float64Array.of(1, 2, 3, 4), 0, omega)]).toEqual([1, 2, 3, 4]);
  });

  it('breaks top-k ties towards the lower expert index', () => {
    expect(topK(Float64Array.of(1, 3, 3, 2), 2)).toEqual([1, 2]);
    expect(topK(Float64Array.of(1, 3, 3, 2), 3)).toEqual([1, 2, 3]);
  });

  it('scales the routed expert INPUT by the sigmoid score and adds the shared expert', () => {
    // hidden 2, expert width 1, two experts, top-1: small enough to write out by hand.
    const m = (rows: number, cols: number, ...data: number[]) => ({
      rows,
      cols,
      data: Float64Array.from(data),
    });
    const w: MoeWeights = {
      kind: 'moe',
      router: m(2, 2, 1, 0, 0, -1),
      // Expert e, input-major [hidden 2, 2·width]: row i = (gate_i, up_i).
      gateUp: { count: 2, ...m(2, 2, 9, 9, 9, 9, /* expert 1: */ 0.7, -0.4, 1.3, 0.2) },
      down: { count: 2, ...m(1, 2, 9, 9, /* expert 1: */ 0.6, -1.1) },
      shared: { gate: m(1, 2, 0.3, 0.8), up: m(1, 2, -0.5, 0.9), down: m(2, 1, 1.5, 0.25) },
    };
    const b = Float64Array.of(0.5, -1);
    // Router logits (0.5, 1): expert 1 wins with score σ(1).
    const s = sigmoid(1);
    const [z0, z1] = [s * 0.5, s * -1];
    const routed = silu(z0 * 0.7 + z1 * 1.3) * (z0 * -0.4 + z1 * 0.2);
    const shared = silu(0.5 * 0.3 - 0.8) * (0.5 * -0.5 - 0.9);
    const expected = [shared * 1.5 + routed * 0.6, shared * 0.25 + routed * -1.1];
    const routes: [number[], number[]][] = [];
    const out = moeForward(b, w, 1, (e, sc) => routes.push([e, sc]));
    expect(routes).toEqual([[[1], [s]]]);
    expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 14));
    // Scaling the output instead (a known implementation mistake) gives a different answer.
    const routedOnOutput = s * silu(0.5 * 0.7 - 1.3) * (0.5 * -0.4 - 0.2);
    expect(Math.abs(out[0]! - (shared * 1.5 + routedOnOutput * 0.6))).toBeGreaterThan(1e-3);

    // Top-2 adds expert 0 with its own score σ(0.5), again applied to its input; no renormalization.
    const s0 = sigmoid(0.5);
    const pre0 = s0 * 0.5 * 9 + s0 * -1 * 9;
    const routed0 = silu(pre0) * pre0;
    const top2Routes: [number[], number[]][] = [];
    const top2 = moeForward(b, w, 2, (e, sc) => top2Routes.push([e, sc]));
    expect(top2Routes).toEqual([
      [
        [1, 0],
        [s, s0],
      ],
    ]);
    expected.forEach((v, i) => expect(top2[i]).toBeCloseTo(v + routed0 * 9, 12));
  });
});

describe('whole-model properties', () => {
  it('reduces to lm_head(norm(embedding)) when every residual branch is zeroed', () => {
    const zeroed: ReferenceModel = {
      ...scout,
      layers: scout.layers.map((layer) => {
        if (layer.ffn.kind !== 'moe') throw new Error('scout fixture is all-MoE');
        const zero = <T extends { data: Float64Array }>(x: T): T => ({
          ...x,
          data: new Float64Array(x.data.length),
        });
        return {
          ...layer,
          o: zero(layer.o),
          ffn: {
            ...layer.ffn,
            down: zero(layer.ffn.down),
            shared: { ...layer.ffn.shared, down: zero(layer.ffn.shared.down) },
          },
        };
      }),
    };
    const logits = referenceLogits(zeroed, PROMPT.slice(0, 3));
    const D = scout.config.hiddenSize;
    PROMPT.slice(0, 3).forEach((token, p) => {
      const h = rmsNorm(scout.embed.data.slice(token * D, (token + 1) * D), 1e-5, scout.finalNorm);
      for (const v of [0, 17, scout.config.vocabSize - 1]) {
        let dot = 0;
        for (let i = 0; i < D; i++) dot += scout.lmHead.data[v * D + i]! * h[i]!;
        expect(logits[p]![v]).toBeCloseTo(dot, 12);
      }
    });
  });

  it('lets query head h read KV head floor(h / group size)', () => {
    // Scout fixture: 4 query heads over 2 KV heads, head_dim 16. Zero the values of KV head 1, so
    // query heads 2 and 3 output zeros; then the o_proj columns of those heads cannot matter.
    const d = scout.config.headDim;
    const layer = scout.layers[0]!;
    const vData = layer.v.data.slice();
    vData.fill(0, d * layer.v.cols, 2 * d * layer.v.cols);
    const oColumnsScaled = (firstHead: number) => {
      const o = layer.o.data.slice();
      for (let r = 0; r < layer.o.rows; r++) {
        for (let c = firstHead * d; c < (firstHead + 1) * d; c++) o[r * layer.o.cols + c]! *= 3;
      }
      return { ...layer.o, data: o };
    };
    const withLayer0 = (o: typeof layer.o): ReferenceModel => ({
      ...scout,
      layers: [{ ...layer, v: { ...layer.v, data: vData }, o }, ...scout.layers.slice(1)],
    });
    const tokens = PROMPT.slice(0, 10);
    const base = referenceLogits(withLayer0(layer.o), tokens);
    expect(changedPositions(base, referenceLogits(withLayer0(oColumnsScaled(2)), tokens))).toEqual([]);
    expect(changedPositions(base, referenceLogits(withLayer0(oColumnsScaled(3)), tokens))).toEqual([]);
    expect(changedPositions(base, referenceLogits(withLayer0(oColumnsScaled(1)), tokens))).toHaveLength(10);
  });

  it('is causal: changing tokens after t leaves the logits up to t unchanged', () => {
    const changed = [...PROMPT.slice(0, 20), ...PROMPT.slice(20).map((t) => t + 1)];
    const positions = changedPositions(scoutLogits, referenceLogits(scout, changed));
    expect(positions).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i));
  });

  it('keeps RoPE layers inside their chunk: without NoPE layers an earlier chunk cannot reach later ones', () => {
    const edited = PROMPT.map((t, p) => (p === 3 ? t + 1 : t));
    const allRope = withConfig(scout, { ropeLayers: scout.config.ropeLayers.map(() => true) });
    expect(changedPositions(referenceLogits(allRope, PROMPT), referenceLogits(allRope, edited))).toEqual([
      3, 4, 5, 6, 7,
    ]);
    // With the real NoPE layer (layer 3, global attention) the change reaches every later position.
    const positions = changedPositions(scoutLogits, referenceLogits(scout, edited));
    expect(positions).toEqual(Array.from({ length: 37 }, (_, i) => 3 + i));
  });

  it('aligns chunks to position 0 and uses relative positions: a repeated chunk repeats its logits', () => {
    const chunk = PROMPT.slice(0, 8);
    const repeated = [...chunk, ...chunk, ...chunk];
    const allRope = withConfig(scout, { ropeLayers: scout.config.ropeLayers.map(() => true) });
    const logits = referenceLogits(allRope, repeated);
    expect(maxRelativeDiff(logits.slice(0, 8), logits.slice(8, 16))).toBeLessThan(1e-10);
    expect(maxRelativeDiff(logits.slice(0, 8), logits.slice(16, 24))).toBeLessThan(1e-10);
    // The global NoPE layer sees the earlier chunks, so the real model does not repeat itself.
    const real = referenceLogits(scout, repeated);
    expect(maxRelativeDiff(real.slice(0, 8), real.slice(8, 16))).toBeGreaterThan(1e-3);
  });

  it('applies the attention temperature from position floor_scale - 1 on', () => {
    const untuned = referenceLogits(withConfig(scout, { temperatureTuning: false }), PROMPT);
    const floorScale = scout.config.floorScale;
    expect(changedPositions(scoutLogits, untuned)).toEqual(
      Array.from({ length: PROMPT.length - (floorScale - 1) }, (_, i) => floorScale - 1 + i),
    );
  });

  it('reads BF16 checkpoints exactly: the BF16 fixture equals the F32 one with weights rounded to bf16', () => {
    const bf16 = referenceLogits(loadReferenceModel(tinyFixture('band-bf16')), PROMPT);
    const rounded = referenceLogits(
      loadReferenceModel(tinyFixture('band-f32'), { roundWeightsToBf16: true }),
      PROMPT,
    );
    expect(changedPositions(bf16, rounded)).toEqual([]);
    // …and the rounding matters, so this comparison could fail.
    const f32 = referenceLogits(loadReferenceModel(tinyFixture('band-f32')), PROMPT);
    expect(maxRelativeDiff(f32, bf16)).toBeGreaterThan(1e-4);
  });
});

describe.each(['scout-f32', 'dense-top2-f32', 'band-f32'] as const)(
  'fixture %s is not degenerate',
  (name) => {
    const model = loadReferenceModel(tinyFixture(name));
    const expertsUsed = new Map<number, Set<number>>();
    const scores: number[] = [];
    const logits = referenceLogits(model, PROMPT, (layer, _p, experts, s) => {
      for (const e of experts) expertsUsed.set(layer, (expertsUsed.get(layer) ?? new Set()).add(e));
      scores.push(...s);
    });

    it('routes tokens to every expert in every MoE layer, with scores far from saturated', () => {
      const moeLayers = model.config.moeLayers.flatMap((moe, i) => (moe ? [i] : []));
      expect([...expertsUsed.keys()].sort()).toEqual(moeLayers);
      for (const used of expertsUsed.values()) expect(used.size).toBe(model.config.numExperts);
      expect(Math.min(...scores)).toBeLessThan(0.5);
      expect(scores.filter((s) => s < 0.9).length).toBeGreaterThan(scores.length / 4);
    });

    it('produces spread-out logits whose argmax changes along the prompt', () => {
      const argmax = logits.map((row) => row.indexOf(Math.max(...row)));
      expect(new Set(argmax).size).toBeGreaterThan(20);
      const all = logits.flatMap((row) => [...row]);
      const mean = all.reduce((s, v) => s + v, 0) / all.length;
      const std = Math.sqrt(all.reduce((s, v) => s + (v - mean) ** 2, 0) / all.length);
      expect(std).toBeGreaterThan(0.5);
      expect(std).toBeLessThan(5);
    });
  },
);

describe('bad inputs', () => {
  it('rejects token ids outside the vocabulary and empty prompts', () => {
    expectScoutError(
      () => referenceLogits(scout, [1, scout.config.vocabSize]),
      'invalid_argument',
      /outside the vocabulary/,
    );
    expectScoutError(() => referenceLogits(scout, [1.5]), 'invalid_argument', /outside the vocabulary/);
    expectScoutError(() => referenceLogits(scout, []), 'invalid_argument', /no tokens/);
  });

  it('rejects a checkpoint whose tensors do not match its config', () => {
    const dir = join(scratch, 'mismatch');
    cpSync(tinyFixture('dense-top2-f32'), dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, intermediate_size_mlp: 81 }));
    expectScoutError(
      () => loadReferenceModel(dir),
      'model_mismatch',
      /gate_proj\.weight has shape \[80,64\]/,
    );
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ...config, num_hidden_layers: 7, no_rope_layers: null }),
    );
    expectScoutError(() => loadReferenceModel(dir), 'model_mismatch', /missing tensor model\.layers\.6\./);
  });
});
