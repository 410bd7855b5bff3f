/**
 * `scout serve --model`: the built-in engine (a tiny random Llama 4 with the real vocabulary)
 * behind the OpenAI API, driven over loopback HTTP by Scout's own client. The answers are noise;
 * what is checked is the path: streaming, limits, usage, and the prompt cache reached through HTTP.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/engine/cli/command.js';
import { main } from '../../src/engine/cli/main.js';
import { OpenAIBackend } from '../../src/engine/openai/client.js';
import { chatModelDir } from '../fixtures/chat-model.js';
import { PNG_BYTES, scoutFailure } from './helpers.js';

class Lines extends Writable {
  text = '';
  private waiters: (() => void)[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    for (const w of this.waiters.splice(0)) w();
    done();
  }
  async first(): Promise<string> {
    while (!this.text.includes('\n')) await new Promise<void>((r) => this.waiters.push(r));
    return this.text.slice(0, this.text.indexOf('\n'));
  }
}

const controller = new AbortController();
const io: CliIO & { stdout: Lines; stderr: Lines } = {
  stdout: new Lines(),
  stderr: new Lines(),
  isTTY: false,
  signal: controller.signal,
};
let exit: Promise<number>;
let client: OpenAIBackend;

beforeAll(async () => {
  const model = await chatModelDir();
  exit = main(['serve', '--model', model, '--weights', 'bf16', '--context', '1024', '--port', '0'], io);
  const line = await Promise.race([
    io.stdout.first(),
    exit.then((code) => `exit ${code}: ${io.stderr.text}`),
  ]);
  client = new OpenAIBackend({ endpoint: (JSON.parse(line) as { url: string }).url });
}, 120_000);

afterAll(async () => {
  controller.abort();
  expect(await exit).toBe(0);
});

describe('scout serve --model', () => {
  it('streams a chat answer within max_tokens and reuses the prompt prefix on the next turn', async () => {
    const system = { role: 'system' as const, content: 'You answer questions about this code.\n'.repeat(10) };
    const ask = async (q: string) => {
      const deltas: string[] = [];
      const r = await client.chat(
        { messages: [system, { role: 'user', content: q }], params: { maxTokens: 6, temperature: 0 } },
        (d) => deltas.push(d),
      );
      expect(deltas.join('')).toBe(r.text);
      expect(r.stats.completionTokens).toBeGreaterThan(0);
      expect(r.stats.completionTokens).toBeLessThanOrEqual(6);
      return r;
    };
    const first = await ask('What is this?');
    const second = await ask('And that?');
    expect(first.stats.promptTokens).toBeGreaterThan(50);
    expect(second.stats.reusedTokens).toBeGreaterThan(50);
  });

  it('serves completions and lists the loaded model', async () => {
    const [model] = await client.listModels();
    expect(model?.id).toBeTruthy();
    const r = await client.complete({ prompt: 'function add(a, b) {', params: { maxTokens: 4 } }, () => {});
    expect(r.stats.completionTokens).toBeLessThanOrEqual(4);
  });

  it("answers with a 400 carrying the engine's own message when it cannot take the request", async () => {
    const e = await scoutFailure(
      client.chat(
        {
          messages: [{ role: 'user', content: [{ type: 'image', data: PNG_BYTES, mimeType: 'image/png' }] }],
        },
        () => {},
      ),
    );
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(/HTTP 400: image: /);
  });
});
