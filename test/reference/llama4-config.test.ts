import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectScoutError } from '../fixtures/expect-scout-error.js';
import { tinyFixture } from '../fixtures/standard.js';
import {
  attentionTemperature,
  keyVisible,
  parseLlama4TextConfig,
  ropeFrequencies,
  type ReferenceTextConfig,
} from './llama4-config.js';

function fixtureConfigJson(name: 'scout-f32' | 'dense-top2-f32' | 'band-f32'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(tinyFixture(name), 'config.json'), 'utf8'));
}

describe('attention temperature (llama4.md §2.2 step 5)', () => {
  it('matches the sample values for floor_scale 8192 and attn_scale 0.1', () => {
    const s = (p: number) => attentionTemperature(p, 8192, 0.1);
    expect(s(0)).toBe(1);
    expect(s(8190)).toBe(1);
    const samples: [number, number][] = [
      [8191, 1.0693],
      [16383, 1.1099],
      [32767, 1.1609],
      [131071, 1.2833],
      [1048575, 1.486],
      [10485759, 1.7155],
    ];
    for (const [p, value] of samples) expect(s(p), `s(${p})`).toBeCloseTo(value, 4);
  });

  it('first exceeds 1 at p = floor_scale - 1 in the tiny fixtures', () => {
    expect(attentionTemperature(6, 8, 0.1)).toBe(1);
    expect(attentionTemperature(7, 8, 0.1)).toBeCloseTo(1 + 0.1 * Math.log(2), 12);
    expect(attentionTemperature(39, 8, 0.1)).toBeCloseTo(1 + 0.1 * Math.log(6), 12);
  });
});

describe('llama3 RoPE frequencies (llama4.md §2.3)', () => {
  const scout = { headDim: 128, ropeTheta: 500000 };
  const scaling = { factor: 16, lowFreqFactor: 1, highFreqFactor: 1, originalMaxPositionEmbeddings: 8192 };

  it("keeps j = 0..34 and divides j = 35..63 by 16 for Scout's released values", () => {
    const { omega, branch } = ropeFrequencies({ ...scout, ropeScaling: scaling });
    expect(branch.indexOf('divided')).toBe(35);
    expect(branch.slice(0, 35).every((b) => b === 'kept')).toBe(true);
    expect(branch.slice(35).every((b) => b === 'divided')).toBe(true);
    expect((2 * Math.PI) / omega[34]!).toBeCloseTo(6695, 0);
    expect((2 * Math.PI) / (16 * omega[35]!)).toBeCloseTo(8219, 0);
    expect(omega[35]).toBeCloseTo(500000 ** (-70 / 128) / 16, 15);
  });

  it('never divides by zero when low == high and a wavelength falls exactly on the edge', () => {
    // head_dim 2: one pair with ω = 1, wavelength 2π, which is also the edge original/high.
    const { omega, branch } = ropeFrequencies({
      headDim: 2,
      ropeTheta: 10000,
      ropeScaling: {
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 1,
        originalMaxPositionEmbeddings: 2 * Math.PI,
      },
    });
    expect(branch).toEqual(['kept']);
    expect(omega[0]).toBe(1);
  });

  it('hits all three branches for the smoothing-band fixture, with smoothed values in between', () => {
    const config = parseLlama4TextConfig(fixtureConfigJson('band-f32'));
    const { omega, branch } = ropeFrequencies(config);
    expect(branch).toEqual(['kept', 'kept', 'kept', 'smoothed', 'smoothed', 'divided', 'divided', 'divided']);
    for (const j of [3, 4]) {
      const base = 10000 ** (-j / 8);
      expect(omega[j]).toBeGreaterThan(base / 8);
      expect(omega[j]).toBeLessThan(base);
      // Interpolation weight (original/λ - low)/(high - low), computed here from the definition.
      const weight = (700 / ((2 * Math.PI) / base) - 1) / 3;
      expect(omega[j]).toBeCloseTo((1 - weight) * (base / 8) + weight * base, 15);
    }
  });

  it('uses only the two outer branches in the Scout-like and dense fixtures', () => {
    expect(ropeFrequencies(parseLlama4TextConfig(fixtureConfigJson('scout-f32'))).branch.join()).toBe(
      'kept,kept,divided,divided,divided,divided,divided,divided',
    );
    expect(ropeFrequencies(parseLlama4TextConfig(fixtureConfigJson('dense-top2-f32'))).branch.join()).toBe(
      'kept,kept,kept,divided,divided,divided,divided,divided',
    );
  });
});

describe('attention masks (llama4.md §2.2 step 7)', () => {
  const visibleKeys = (q: number, rope: boolean) =>
    Array.from({ length: 40 }, (_, k) => k).filter((k) => keyVisible(q, k, rope, 8));

  it('limits RoPE layers to the chunk aligned at position 0, never to a sliding window', () => {
    expect(visibleKeys(0, true)).toEqual([0]);
    expect(visibleKeys(7, true)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(visibleKeys(8, true)).toEqual([8]);
    expect(visibleKeys(13, true)).toEqual([8, 9, 10, 11, 12, 13]);
  });

  it('lets NoPE layers see every earlier position and no later one', () => {
    expect(visibleKeys(13, false)).toEqual(Array.from({ length: 14 }, (_, k) => k));
    expect(keyVisible(13, 14, false, 8)).toBe(false);
  });
});

describe('config parsing', () => {
  it('reads both layouts and the integer temperature-tuning flag', () => {
    const scout: ReferenceTextConfig = parseLlama4TextConfig(fixtureConfigJson('scout-f32'));
    expect(scout.prefix).toBe('language_model.');
    expect(scout.ropeLayers).toEqual([true, true, true, false]);
    expect(scout.moeLayers).toEqual([true, true, true, true]);
    const dense = parseLlama4TextConfig(fixtureConfigJson('dense-top2-f32'));
    expect(dense.prefix).toBe('');
    expect(dense.temperatureTuning).toBe(true); // stored as the integer 4
    expect(dense.moeLayers).toEqual([false, true, false, true, false, true]);
    expect(dense.topK).toBe(2);
  });

  it("falls back to Hugging Face's default NoPE pattern when no_rope_layers is absent", () => {
    const json = fixtureConfigJson('dense-top2-f32');
    delete json.no_rope_layers;
    expect(parseLlama4TextConfig(json).ropeLayers).toEqual([true, true, true, false, true, true]);
  });

  it('rejects configs the reference cannot interpret', () => {
    const broken = (edit: (text: Record<string, unknown>) => void) => {
      const json = fixtureConfigJson('dense-top2-f32');
      edit(json);
      return () => parseLlama4TextConfig(json);
    };
    expectScoutError(
      broken((t) => (t.num_key_value_heads = 3)),
      'config',
      /multiple of num_key_value_heads/,
    );
    expectScoutError(
      broken((t) => (t.rms_norm_eps = 0)),
      'config',
      /rms_norm_eps/,
    );
    expectScoutError(
      broken((t) => (t.attn_temperature_tuning = 'yes')),
      'config',
      /attn_temperature_tuning/,
    );
    expectScoutError(
      broken((t) => (t.no_rope_layers = [1, 1])),
      'config',
      /no_rope_layers/,
    );
    expectScoutError(
      broken((t) => (t.architectures = ['LlamaForCausalLM'])),
      'config',
      /architectures/,
    );
    expectScoutError(
      broken((t) => (t.rope_scaling = { rope_type: 'yarn', factor: 8 })),
      'config',
      /yarn/,
    );
    expectScoutError(
      broken(
        (t) => (t.rope_scaling = { ...(t.rope_scaling as object), low_freq_factor: 4, high_freq_factor: 1 }),
      ),
      'config',
      /high_freq_factor < low_freq_factor/,
    );
    expectScoutError(() => parseLlama4TextConfig([]), 'config', /not a JSON object/);
  });
});
