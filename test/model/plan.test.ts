// The memory plan against llama4.md's and targets.md's figures for the real Scout config.
import { describe, expect, it } from 'vitest';
import { parseLlama4Config } from '../../src/engine/model/config.js';
import { SCOUT_CONFIG } from '../../src/engine/model/scoutConfig.js';
import { checkFits, kvBytes, kvSizes, maxContext, planMemory } from '../../src/engine/model/plan.js';
import { expectedTensors, paramCounts } from '../../src/engine/model/tensors.js';
import { weightBytes } from '../../src/engine/model/weights.js';
import type { MachineMemory } from '../../src/engine/model/machine.js';
import { ScoutError } from '../../src/engine/errors.js';

const scout = parseLlama4Config(JSON.stringify(SCOUT_CONFIG));
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function machine(gpuTotalMiB?: number, ramAvailableGiB = 16): MachineMemory {
  return {
    ramTotalBytes: 32 * GIB,
    ramAvailableBytes: ramAvailableGiB * GIB,
    gpus: gpuTotalMiB ? [{ index: 0, name: 'test GPU', totalBytes: gpuTotalMiB * MIB, usedBytes: 0 }] : [],
  };
}

describe('parameter counts (llama4.md §1.1 derived sizes)', () => {
  const counts = paramCounts(expectedTensors(scout));
  const plan = planMemory(scout, machine());

  it('totals 108,641,793,536 parameters, 107,769,861,120 of them text', () => {
    expect(plan.params.total).toBe(108_641_793_536);
    expect(plan.params.text).toBe(107_769_861_120);
  });

  it('splits vision tower + adapter and projector as documented', () => {
    expect(counts.vision).toBe(850_960_896);
    expect(counts.projector).toBe(20_971_520);
  });

  it('counts routed + shared experts as 102,676,561,920 (§6.1)', () => {
    expect(counts.experts + counts.shared_expert).toBe(102_676_561_920);
    expect(counts.dense_mlp).toBe(0);
  });

  it('has 16.14 B active parameters per token plus one embedding row (targets.md)', () => {
    // llama4.md's 17,172,894,720 counts the whole embedding matrix; targets.md counts one row.
    expect(plan.params.activePerToken + counts.embeddings - scout.text.hiddenSize).toBe(17_172_894_720);
    expect(plan.params.activePerToken / 1e9).toBeCloseTo(16.14, 2);
  });
});

describe('bytes per weight format (targets.md, llama4.md §6.1)', () => {
  const tensors = expectedTensors(scout);
  it("Meta's int4_mixed: experts 50.80 GiB, text 64.7 GB, 61.9 GiB with vision, 14.5 GB read per token", () => {
    const w = weightBytes(scout, tensors, 'int4_mixed');
    expect((w.byGroup.experts + w.byGroup.shared_expert) / GIB).toBeCloseTo(50.8, 2);
    expect(w.text / 1e9).toBeCloseTo(64.7, 1);
    expect(w.total / GIB).toBeCloseTo(61.9, 1);
    expect(w.perToken / 1e9).toBeCloseTo(14.5, 1);
  });
  it("Scout's int4: 58.6 GB resident text, 9.86 GB per token; 8.83 GB with an int8 lm_head", () => {
    const w = weightBytes(scout, tensors, 'int4');
    expect(w.text / 1e9).toBeCloseTo(58.6, 1);
    expect(w.perToken / 1e9).toBeCloseTo(9.86, 2);
    expect(weightBytes(scout, tensors, 'int4_int8_head').perToken / 1e9).toBeCloseTo(8.83, 2);
  });
  it('bf16 is two bytes per parameter', () => {
    expect(weightBytes(scout, tensors, 'bf16').total).toBe(2 * 108_641_793_536);
  });
});

describe('KV cache (llama4.md §7)', () => {
  it('chunk-aware: 48 KiB/token bf16, 24 KiB fp8; ring 1.125 GiB bf16, 0.5625 GiB fp8', () => {
    expect(kvSizes(scout, 'bf16')).toEqual({
      perToken: 48 * 1024,
      ringBytes: 1.125 * GIB,
      perTokenNaive: 192 * 1024,
    });
    expect(kvSizes(scout, 'fp8')).toEqual({
      perToken: 24 * 1024,
      ringBytes: 0.5625 * GIB,
      perTokenNaive: 96 * 1024,
    });
  });
  it('short contexts only fill the ring up to the context length', () => {
    expect(kvBytes(scout, 'bf16', 100)).toBe(100 * 192 * 1024);
    expect(kvBytes(scout, 'bf16', 20_000)).toBe(20_000 * 48 * 1024 + 1.125 * GIB);
  });
  it('max context inverts kvBytes exactly and is capped at max_position_embeddings', () => {
    for (const budget of [1e6, 3 * GIB, 12.09 * GIB]) {
      const n = maxContext(scout, 'bf16', budget);
      expect(kvBytes(scout, 'bf16', n)).toBeLessThanOrEqual(budget);
      expect(kvBytes(scout, 'bf16', n + 1)).toBeGreaterThan(budget);
    }
    expect(maxContext(scout, 'fp8', 1e15)).toBe(10_485_760);
    expect(maxContext(scout, 'fp8', 0)).toBe(0);
  });
});

describe('planMemory', () => {
  it("reproduces llama4.md §7's table: H100 at 78 GiB usable, int4_mixed with vision", () => {
    const plan = planMemory(scout, machine(78 * 1024));
    const row = (kv: 'bf16' | 'fp8') =>
      plan.rows.find((r) => r.device === 'gpu' && r.weights === 'int4_mixed' && r.kv === kv)!;
    expect(row('bf16').maxContext / 1000).toBeCloseTo(239, -1);
    expect(row('fp8').maxContext / 1000).toBeCloseTo(504, -1);
  });

  it('recommends bf16 KV int4 weights on an H100 for 128K, and fp8 KV for 500K', () => {
    const h100 = machine(81_559);
    const at128k = planMemory(scout, h100, { context: 131_072 }).recommended!;
    expect(at128k).toMatchObject({ device: 'gpu', weights: 'int4_mixed', kv: 'bf16', context: 131_072 });
    const at500k = planMemory(scout, h100, { context: 500_000, includeVision: false }).recommended!;
    expect(at500k.device).toBe('gpu');
    expect(at500k.kv).toBe('fp8');
    expect(at500k.weights).not.toBe('bf16');
  });

  it('falls back to the largest context that fits, and refuses when nothing fits', () => {
    const tight = planMemory(scout, machine(81_559), { context: 5_000_000 }).recommended!;
    expect(tight.context).toBeLessThan(5_000_000);
    expect(tight.reason).toMatch(/largest context/);
    expect(planMemory(scout, machine(undefined, 8)).recommended).toBeUndefined();
  });

  it('checkFits passes a fitting choice and explains a failing one with numbers', () => {
    const plan = planMemory(scout, machine(81_559));
    expect(
      checkFits(plan, { device: 'gpu', weights: 'int4', kv: 'fp8', context: 400_000 }).maxContext,
    ).toBeGreaterThan(400_000);
    expect(() => checkFits(plan, { device: 'gpu', weights: 'bf16', kv: 'bf16', context: 1 })).toThrow(
      /do not fit/,
    );
    try {
      checkFits(plan, { device: 'gpu', weights: 'int4', kv: 'bf16', context: 2_000_000 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScoutError);
      expect((e as ScoutError).code).toBe('out_of_memory');
      expect((e as ScoutError).message).toMatch(
        /largest context is \d+; what fits: \w+ weights with a \w+ KV cache/,
      );
    }
  });

  it('rejects a context beyond the model maximum', () => {
    expect(() => planMemory(scout, machine(), { context: 20_000_000 })).toThrow(/max_position_embeddings/);
  });
});
