/**
 * The built-in engine behind the Backend interface, on a tiny random model with the real Llama 4
 * vocabulary: chat formatting, streaming, stop sequences, and prefix reuse proven by the counters and
 * by logits-identical answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/engine/backend.js';
import { ScoutError } from '../../src/engine/errors.js';
import { formatLlama4Chat } from '../../src/engine/prompt/index.js';
import { createNativeBackend, type NativeBackend } from '../../src/engine/session/native-backend.js';
import { chatModelDir } from '../fixtures/chat-model.js';

let backend: NativeBackend;

beforeAll(async () => {
  backend = await createNativeBackend({ model: await chatModelDir(), contextSize: 2048, kvStore: false });
}, 120_000);
afterAll(() => backend?.dispose());

const BASE: ChatMessage = {
  role: 'system',
  content:
    'You answer questions about the repository below.\n' +
    'export function add(a, b) { return a + b; }\n'.repeat(20),
};

describe('NativeBackend', () => {
  it('streams deltas whose concatenation is the answer', async () => {
    const deltas: string[] = [];
    const r = await backend.chat(
      { messages: [BASE, { role: 'user', content: 'What does add do?' }], params: { maxTokens: 12 } },
      (d) => deltas.push(d),
    );
    expect(deltas.join('')).toBe(r.text);
    expect(r.stats.completionTokens).toBeGreaterThan(0);
    expect(r.stats.completionTokens).toBeLessThanOrEqual(12);
    expect(['stop', 'length']).toContain(r.finishReason);
  });

  it('reuses the shared prefix of a second question and answers exactly as a cold run does', async () => {
    const ask = (q: string) =>
      backend.chat({ messages: [BASE, { role: 'user', content: q }], params: { maxTokens: 8 } }, () => {});
    const first = await ask('Where is add defined?');
    const second = await ask('Who calls add?');
    // The system turn is a byte-identical prefix: its tokens were not evaluated again.
    expect(second.stats.reusedTokens).toBeGreaterThan(200);
    expect(second.stats.reusedTokens).toBeLessThan(second.stats.promptTokens);
    expect(first.stats.promptTokens).toBeGreaterThan(200);

    const cold = await createNativeBackend({ model: backend.model.dir, contextSize: 2048, kvStore: false });
    try {
      const coldAnswer = await cold.chat(
        { messages: [BASE, { role: 'user', content: 'Who calls add?' }], params: { maxTokens: 8 } },
        () => {},
      );
      expect(coldAnswer.stats.reusedTokens).toBe(0);
      expect(coldAnswer.text).toBe(second.text);
    } finally {
      await cold.dispose();
    }
    expect(backend.cacheStats().hits).toBeGreaterThan(0);
  });

  it('ends the text before a stop sequence and never streams part of it', async () => {
    const plain = await backend.chat(
      { messages: [{ role: 'user', content: 'Say something.' }], params: { maxTokens: 24 } },
      () => {},
    );
    expect(plain.text.length).toBeGreaterThan(4);
    const stop = plain.text.slice(2, 4);
    const deltas: string[] = [];
    const r = await backend.chat(
      { messages: [{ role: 'user', content: 'Say something.' }], params: { maxTokens: 24, stop: [stop] } },
      (d) => deltas.push(d),
    );
    expect(r.finishReason).toBe('stop');
    expect(r.text).toBe(plain.text.slice(0, plain.text.indexOf(stop)));
    expect(deltas.join('')).toBe(r.text);
  });

  it('completes code and cancels on request', async () => {
    const r = await backend.complete({ prompt: 'function add(a, b) {\n  return', suffix: '\n}\n' }, () => {});
    expect(r.stats.promptTokens).toBeGreaterThan(10);
    const controller = new AbortController();
    const cancelled = await backend.chat(
      { messages: [{ role: 'user', content: 'Talk for a long time.' }], params: { maxTokens: 1500 } },
      () => controller.abort(),
      controller.signal,
    );
    expect(cancelled.finishReason).toBe('cancelled');
    expect(cancelled.stats.completionTokens).toBeLessThan(1500);
  });

  it('rejects what it cannot do with typed errors', async () => {
    const image = { type: 'image' as const, data: new Uint8Array([1]), mimeType: 'image/png' };
    await expect(
      backend.chat({ messages: [{ role: 'user', content: [image] }] }, () => {}),
    ).rejects.toMatchObject({ code: 'image' });
    const huge = 'word '.repeat(3000);
    const err = await backend.chat({ messages: [{ role: 'user', content: huge }] }, () => {}).catch((e) => e);
    expect(err).toBeInstanceOf(ScoutError);
    expect(err.code).toBe('invalid_argument');
  });
});

describe('NativeBackend scheduling', () => {
  it('answers in slices exactly as one uninterrupted generation does', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'Count to fifty.' }];
    const sliced = await backend.chat({ messages, params: { maxTokens: 40 } }, () => {});
    const ids = formatLlama4Chat(backend.tokenizer, [{ role: 'user', content: 'Count to fifty.' }]).ids;
    const seq = backend.model.newSequence(2048);
    const whole = await seq.generate(ids, { maxTokens: 40 });
    seq.dispose();
    expect(sliced.stats.completionTokens).toBe(whole.tokens.length);
    // The answer text leaves out end-of-turn and every other special token.
    const special = new Set([
      ...backend.model.config.eosTokenIds,
      ...backend.tokenizer.specialTokens.values(),
    ]);
    expect(sliced.text).toBe(backend.tokenizer.decode(whole.tokens.filter((t) => !special.has(t))));
    expect(sliced.text).not.toMatch(/<\|[a-z_0-9]+\|>/);
  });

  it('lets a completion in while a long chat answer is being written', async () => {
    const before = backend.queueStats().preemptions;
    let completionDone = false;
    let chatDoneFirst = false;
    let started!: () => void;
    const firstDelta = new Promise<void>((r) => (started = r));
    const chat = backend
      .chat(
        { messages: [{ role: 'user', content: 'Write a long story.' }], params: { maxTokens: 300 } },
        () => started(),
      )
      .then((r) => {
        chatDoneFirst = !completionDone;
        return r;
      });
    await firstDelta;
    const completion = await backend.complete(
      { prompt: 'const x =', suffix: ';\n', params: { maxTokens: 4 } },
      () => {},
    );
    completionDone = true;
    const answer = await chat;
    expect(completion.stats.completionTokens).toBeGreaterThan(0);
    expect(chatDoneFirst).toBe(false);
    expect(answer.stats.completionTokens).toBeGreaterThan(8);
    expect(backend.queueStats().preemptions).toBeGreaterThan(before);
  });
});

describe('NativeBackend KV files', () => {
  it('reloads a long system prefix from disk in a new backend, with the same answer', async () => {
    const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { KvStore } = await import('../../src/engine/session/kv-store.js');
    const dir = mkdtempSync(join(tmpdir(), 'scout-kvstore-'));
    const ask = async () => {
      const b = await createNativeBackend({
        model: backend.model.dir,
        contextSize: 2048,
        kvStore: new KvStore(dir),
      });
      try {
        return await b.chat(
          { messages: [BASE, { role: 'user', content: 'What is add?' }], params: { maxTokens: 8 } },
          () => {},
        );
      } finally {
        await b.dispose();
      }
    };
    try {
      const first = await ask();
      expect(first.stats.reusedTokens).toBe(0);
      expect(readdirSync(dir).filter((f) => f.endsWith('.kv'))).toHaveLength(1);
      const second = await ask(); // a new engine instance: only the disk connects them
      expect(second.stats.reusedTokens).toBeGreaterThan(200);
      expect(second.text).toBe(first.text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
