/**
 * The native engine through its N-API addon: async work off the JavaScript thread, streamed tokens,
 * cancellation, typed errors. Runs on the tiny random checkpoints from test/fixtures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, ScoutError } from '../../src/engine/errors.js';
import { TextModel } from '../../src/engine/native/engine.js';
import { tinyFixture } from '../fixtures/standard.js';

let model: TextModel;
const PROMPT = [5, 17, 42, 7, 99, 3, 64, 12, 8, 31];

beforeAll(async () => {
  model = await TextModel.load(tinyFixture('scout-f32'));
});
afterAll(() => model?.dispose());

async function expectScoutError(p: Promise<unknown> | (() => unknown), code: string): Promise<ScoutError> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ScoutError);
  expect((caught as ScoutError).code).toBe(code);
  return caught as ScoutError;
}

describe('native engine addon', () => {
  it('loads a checkpoint and reports its config', () => {
    expect(model.config.architecture).toBe('Llama4ForConditionalGeneration');
    expect(model.config.vocabSize).toBeGreaterThan(100);
    expect(model.config.numHiddenLayers).toBeGreaterThan(1);
    expect(model.weightBytes).toBeGreaterThan(0);
  });

  it('returns every row with "all" and the same last row with "last"', async () => {
    const vocab = model.config.vocabSize;
    const a = model.newSequence(64);
    const b = model.newSequence(64);
    const all = (await a.eval(PROMPT, 'all'))!;
    const last = (await b.eval(PROMPT, 'last'))!;
    expect(all.length).toBe(PROMPT.length * vocab);
    expect(last.length).toBe(vocab);
    expect(Array.from(last)).toEqual(Array.from(all.subarray((PROMPT.length - 1) * vocab)));
    expect(a.position).toBe(PROMPT.length);
    expect(await a.eval([1], 'none')).toBeNull();
    expect(a.position).toBe(PROMPT.length + 1);
    a.dispose();
    b.dispose();
  });

  it('streams generated tokens in order, exactly once, and greedy decoding is deterministic', async () => {
    const run = async () => {
      const seq = model.newSequence(128);
      const streamed: number[] = [];
      const r = await seq.generate(PROMPT, {
        maxTokens: 24,
        stopIds: [],
        onToken: (id) => streamed.push(id),
      });
      seq.dispose();
      expect(streamed).toEqual(r.tokens);
      return r;
    };
    const first = await run();
    expect(first.stopReason).toBe('max_tokens');
    expect(first.tokens).toHaveLength(24);
    expect((await run()).tokens).toEqual(first.tokens);
  });

  it('reproduces seeded sampling and stops on a stop id', async () => {
    const sample = async (seed: number) => {
      const seq = model.newSequence(128);
      const r = await seq.generate(PROMPT, { maxTokens: 16, temperature: 1.5, seed, stopIds: [] });
      seq.dispose();
      return r.tokens;
    };
    expect(await sample(7)).toEqual(await sample(7));

    const greedy = model.newSequence(64);
    const firstToken = (await greedy.generate(PROMPT, { maxTokens: 1, stopIds: [] })).tokens[0]!;
    greedy.dispose();
    const stopping = model.newSequence(64);
    const r = await stopping.generate(PROMPT, { maxTokens: 10, stopIds: [firstToken] });
    expect(r).toEqual({ tokens: [firstToken], stopReason: 'eos' });
    stopping.dispose();
  });

  it('keeps the JavaScript thread free while the engine computes', async () => {
    const seq = model.newSequence(512);
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    await seq.generate(PROMPT, { maxTokens: 200, stopIds: [] });
    running = false;
    seq.dispose();
    // The event loop went round many times during generation: no call blocked it.
    expect(ticks).toBeGreaterThan(20);
  });

  it('cancels generation and keeps what was generated', async () => {
    const seq = model.newSequence(2048);
    const controller = new AbortController();
    const r = await seq.generate(PROMPT, {
      maxTokens: 1500,
      stopIds: [],
      signal: controller.signal,
      onToken: () => {
        if (!controller.signal.aborted) controller.abort();
      },
    });
    expect(r.stopReason).toBe('cancelled');
    expect(r.tokens.length).toBeGreaterThanOrEqual(1);
    expect(r.tokens.length).toBeLessThan(1500);
    seq.dispose();
  });

  it('cancels a prefill and leaves the sequence where it was', async () => {
    const seq = model.newSequence(4096);
    await seq.eval(PROMPT, 'none');
    const long = Array.from({ length: 3000 }, (_, i) => (i * 7) % 100);
    const controller = new AbortController();
    const pending = seq.eval(long, 'last', controller.signal);
    setTimeout(() => controller.abort(), 1);
    await expectScoutError(pending, 'cancelled');
    expect(seq.position).toBe(PROMPT.length);
    await expect(seq.eval([1], 'none', AbortSignal.abort())).rejects.toBeInstanceOf(CancelledError);
    seq.dispose();
  });

  it('gives typed errors for bad input', async () => {
    await expectScoutError(TextModel.load('/nonexistent/scout-model'), 'not_found');
    const seq = model.newSequence(8);
    await expectScoutError(seq.eval([model.config.vocabSize], 'last'), 'invalid_argument');
    await expectScoutError(seq.eval([-1], 'last'), 'invalid_argument');
    await expectScoutError(
      seq.eval(
        Array.from({ length: 9 }, () => 1),
        'last',
      ),
      'invalid_argument',
    );
    const busy = seq.eval([1, 2, 3], 'last');
    await expectScoutError(seq.eval([4], 'last'), 'invalid_argument');
    await busy;
    await expectScoutError(seq.generate([1], { maxTokens: 2, topP: 2 }), 'invalid_argument');
    seq.dispose();
    await expectScoutError(() => model.newSequence(0), 'invalid_argument');
  });
});

describe('KV cache files', () => {
  it('saves a sequence and loads it into a new one that continues with identical logits', async () => {
    const { mkdtempSync, rmSync, writeFileSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'scout-kv-'));
    try {
      // 30 tokens cross several attention chunks, so the rings have wrapped.
      const prompt = Array.from({ length: 30 }, (_, i) => 4 + ((i * 37) % 200));
      const a = model.newSequence(64);
      await a.eval(prompt, 'none');
      const path = join(dir, 'prefix.kv');
      await a.save(path);
      const next = [9, 8, 7];
      const expected = (await a.eval(next, 'all'))!;

      const b = model.newSequence(64);
      await b.load(path);
      expect(b.position).toBe(prompt.length);
      expect(Array.from((await b.eval(next, 'all'))!)).toEqual(Array.from(expected));

      // Refused: a file into a non-empty sequence, a truncated file, another model's file.
      await expectScoutError(b.load(path), 'invalid_argument');
      writeFileSync(join(dir, 'cut.kv'), readFileSync(path).subarray(0, 200));
      const c = model.newSequence(64);
      await expectScoutError(c.load(join(dir, 'cut.kv')), 'invalid_argument');
      expect(c.position).toBe(0);
      const other = await TextModel.load(tinyFixture('scout-bf16'), { weights: 'bf16' });
      const d = other.newSequence(64);
      await expectScoutError(d.load(path), 'invalid_argument');
      await expectScoutError(d.load(join(dir, 'missing.kv')), 'not_found');
      for (const s of [a, b, c, d]) s.dispose();
      other.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
