/**
 * OpenAIBackend against responses recorded in the exact wire formats of vLLM, llama.cpp's server
 * and Ollama, replayed over real HTTP on loopback in random-sized chunks.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationResult } from '../../src/engine/backend.js';
import { ScoutError } from '../../src/engine/errors.js';
import { normalizeEndpoint, OpenAIBackend } from '../../src/engine/openai/client.js';
import { PNG_BYTES, scoutFailure as failure } from './helpers.js';
import { replayServer, type Recorded, type ReplayServer } from './replay.js';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name));
const sse = (name: string, status = 200): Recorded => ({
  status,
  contentType: 'text/event-stream',
  body: fixture(name),
});
const json = (name: string, status = 200): Recorded => ({
  status,
  contentType: 'application/json',
  body: fixture(name),
});

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(routes: Record<string, Recorded>): Promise<OpenAIBackend> {
  server = await replayServer(routes);
  return new OpenAIBackend({ endpoint: server.url });
}

async function chat(
  backend: OpenAIBackend,
  signal?: AbortSignal,
): Promise<GenerationResult & { deltas: string[] }> {
  const deltas: string[] = [];
  const result = await backend.chat(
    { messages: [{ role: 'user', content: 'hi' }] },
    (d) => deltas.push(d),
    signal,
  );
  return { ...result, deltas };
}

describe('OpenAIBackend with vLLM', () => {
  it('lists models with their context length', async () => {
    const backend = await serve({ 'GET /models': json('vllm-models.json') });
    expect(await backend.listModels()).toEqual([
      { id: 'meta-llama/Llama-4-Scout-17B-16E-Instruct', source: server!.url, contextLength: 1048576 },
    ]);
  });

  it('streams a chat: skips role-only and empty deltas, reads the separate usage chunk', async () => {
    const backend = await serve({
      'GET /models': json('vllm-models.json'),
      'POST /chat/completions': sse('vllm-chat-stream.sse'),
    });
    const result = await chat(backend);
    expect(result.deltas).toEqual(['Bonjour', ' !', ' Un', ' café', ' ☕', " s'il vous plaît."]);
    expect(result.text).toBe("Bonjour ! Un café ☕ s'il vous plaît.");
    expect(result.finishReason).toBe('stop');
    expect(result.stats).toMatchObject({ promptTokens: 23, completionTokens: 7, reusedTokens: 16 });
    // The model came from the server's list, and usage was asked for.
    const sent = server!.received.find((r) => r.path === '/chat/completions')!.body as Record<
      string,
      unknown
    >;
    expect(sent).toMatchObject({
      model: 'meta-llama/Llama-4-Scout-17B-16E-Instruct',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends images as data URLs and parameters under their OpenAI names', async () => {
    const backend = await serve({ 'POST /chat/completions': sse('vllm-chat-stream.sse') });
    await backend.chat(
      {
        model: 'scout',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image', data: PNG_BYTES, mimeType: 'image/png' },
            ],
          },
        ],
        params: {
          maxTokens: 9,
          temperature: 0,
          topP: 0.5,
          topK: 40,
          seed: 3,
          stop: ['\n\n'],
          repetitionPenalty: 1,
        },
      },
      () => {},
    );
    const sent = server!.received[0]!.body as Record<string, unknown>;
    expect(sent).toMatchObject({
      model: 'scout',
      max_tokens: 9,
      temperature: 0,
      top_p: 0.5,
      top_k: 40,
      seed: 3,
      stop: ['\n\n'],
    });
    expect(sent).not.toHaveProperty('repetition_penalty');
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          {
            type: 'image_url',
            image_url: { url: `data:image/png;base64,${Buffer.from(PNG_BYTES).toString('base64')}` },
          },
        ],
      },
    ]);
  });

  it('streams a completion that ends at max_tokens', async () => {
    const backend = await serve({ 'POST /completions': sse('vllm-completion-stream.sse') });
    const deltas: string[] = [];
    const result = await backend.complete({ prompt: 'def add', model: 'm' }, (d) => deltas.push(d));
    expect(deltas.join('')).toBe('(a, b):\n    return a + b');
    expect(result.finishReason).toBe('length');
    expect(result.stats.completionTokens).toBe(4);
  });

  it("turns vLLM's 400 error body into invalid_argument with the server's message", async () => {
    const backend = await serve({ 'POST /chat/completions': json('vllm-error-400.json', 400) });
    const e = await failure(
      backend.chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, () => {}),
    );
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(/HTTP 400: This model's maximum context length is 1048576 tokens/);
  });

  it('reports an error event in the middle of a stream', async () => {
    const backend = await serve({ 'POST /chat/completions': sse('vllm-chat-stream-error.sse') });
    const deltas: string[] = [];
    const e = await failure(
      backend.chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, (d) => deltas.push(d)),
    );
    expect(deltas).toEqual(['Partial']);
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/failed mid-stream: The decoder failed: CUDA out of memory/);
  });
});

describe('OpenAIBackend with llama.cpp', () => {
  it('takes usage and timings from the finish chunk', async () => {
    const backend = await serve({
      'GET /models': json('llamacpp-models.json'),
      'POST /chat/completions': sse('llamacpp-chat-stream.sse'),
    });
    expect((await backend.listModels()).map((m) => m.id)).toEqual(['scout-q4_k_m.gguf']);
    const result = await chat(backend);
    expect(result.text).toBe('def add(a, b)');
    expect(result.stats).toMatchObject({
      promptTokens: 40,
      reusedTokens: 32,
      completionTokens: 5,
      prefillMs: 61.5,
      decodeTokS: 42.3,
    });
  });

  it('reads an `error:` line in the stream, and its error bodies', async () => {
    let backend = await serve({ 'POST /chat/completions': sse('llamacpp-chat-stream-error.sse') });
    let e = await failure(backend.chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, () => {}));
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/failed mid-stream: failed to decode the batch, n_ctx is full/);
    await server!.close();

    backend = await serve({ 'POST /chat/completions': json('llamacpp-error-400.json', 400) });
    e = await failure(backend.chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, () => {}));
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(/exceeds the available context size/);
    await server!.close();

    backend = await serve({ 'GET /models': json('llamacpp-error-503.json', 503) });
    e = await failure(backend.listModels());
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/HTTP 503: Loading model/);
  });
});

describe('OpenAIBackend with Ollama', () => {
  it('accepts a role in every delta and counts pieces when no usage comes', async () => {
    const backend = await serve({ 'POST /chat/completions': sse('ollama-chat-stream.sse') });
    const result = await backend.chat(
      { model: 'llama4:scout', messages: [{ role: 'user', content: 'x' }] },
      () => {},
    );
    expect(result.text).toBe('The sky is blue');
    expect(result.stats.completionTokens).toBe(4);
    expect(result.stats.promptTokens).toBe(0);
  });
});

describe('OpenAIBackend failures', () => {
  const ask = (b: OpenAIBackend, signal?: AbortSignal) =>
    b.chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, () => {}, signal);

  it('calls a stream cut off before it finished a protocol error', async () => {
    const body = fixture('vllm-chat-stream.sse');
    const cut = body.subarray(0, body.indexOf('café'));
    const backend = await serve({
      'POST /chat/completions': { status: 200, contentType: 'text/event-stream', body: cut },
    });
    const e = await failure(ask(backend));
    expect(e.code).toBe('protocol');
    expect(e.message).toMatch(/ended before the server said the generation finished/);
  });

  it('explains HTML error pages and API-key refusals', async () => {
    const page = {
      status: 502,
      contentType: 'text/html',
      body: Buffer.from('<html><body>\n<h1>502 Bad Gateway</h1></body></html>'),
    };
    let backend = await serve({ 'POST /chat/completions': page });
    let e = await failure(ask(backend));
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/HTTP 502: <html><body> <h1>502 Bad Gateway/);
    await server!.close();

    const denied = {
      status: 401,
      contentType: 'application/json',
      body: Buffer.from(
        '{"error":{"message":"Unauthorized","type":"authentication_error","param":null,"code":401}}',
      ),
    };
    backend = await serve({ 'POST /chat/completions': denied });
    e = await failure(ask(backend));
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(/HTTP 401 \(check the API key for this endpoint\): Unauthorized/);
  });

  it('times out a server that stops talking, and a server that never answers', async () => {
    server = await replayServer({
      'POST /chat/completions': { ...sse('vllm-chat-stream.sse'), hangAfter: 300 },
    });
    const silent = new OpenAIBackend({ endpoint: server.url, idleTimeoutMs: 200 });
    let e = await failure(ask(silent));
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/the server sent nothing within 200 ms/);

    const mute = http.createServer(() => {});
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    try {
      const port = (mute.address() as AddressInfo).port;
      const backend = new OpenAIBackend({ endpoint: `http://127.0.0.1:${port}`, responseTimeoutMs: 200 });
      e = await failure(ask(backend));
      expect(e.code).toBe('network');
      expect(e.message).toMatch(/did not answer/);
    } finally {
      mute.closeAllConnections();
      await new Promise((r) => mute.close(r));
    }
  });

  it('reports a refused connection as a network error', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const e = await failure(new OpenAIBackend({ endpoint: `http://127.0.0.1:${port}/v1` }).listModels());
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/ECONNREFUSED/);
  });

  it('returns what arrived when the caller aborts mid-stream, and cancels before any text', async () => {
    server = await replayServer({
      'POST /chat/completions': { ...sse('vllm-chat-stream.sse'), hangAfter: 700 },
    });
    const backend = new OpenAIBackend({ endpoint: server.url });
    const controller = new AbortController();
    const deltas: string[] = [];
    const result = await backend.chat(
      { model: 'm', messages: [{ role: 'user', content: 'x' }] },
      (d) => {
        deltas.push(d);
        controller.abort();
      },
      controller.signal,
    );
    expect(result.finishReason).toBe('cancelled');
    expect(result.text).toBe(deltas.join(''));
    expect(result.text.length).toBeGreaterThan(0);

    const early = new AbortController();
    early.abort();
    expect((await failure(ask(backend, early.signal))).code).toBe('cancelled');
  });
});

describe('normalizeEndpoint', () => {
  it('adds /v1 to a bare origin and refuses what fetch cannot or should not use', () => {
    expect(normalizeEndpoint('http://gpu-box:8000')).toBe('http://gpu-box:8000/v1');
    expect(normalizeEndpoint('http://gpu-box:8000/v1/')).toBe('http://gpu-box:8000/v1');
    expect(normalizeEndpoint('https://proxy.example/openai/v1')).toBe('https://proxy.example/openai/v1');
    for (const bad of ['gpu-box:8000', 'ftp://x', 'http://user:pw@x', 'http://x/v1?k=1', 'not a url']) {
      expect(() => normalizeEndpoint(bad)).toThrow(ScoutError);
    }
  });
});
