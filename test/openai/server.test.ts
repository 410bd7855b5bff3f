/**
 * `OpenAIServer` over real HTTP on loopback, driven by Scout's own client and by raw requests.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ScoutError } from '../../src/engine/errors.js';
import { OpenAIBackend } from '../../src/engine/openai/client.js';
import { OpenAIServer, type ServerOptions } from '../../src/engine/openai/server.js';
import { readSse } from '../../src/engine/openai/sse.js';
import { EchoBackend, type EchoOptions } from './echo-backend.js';
import { PNG_BYTES, scoutFailure as failure } from './helpers.js';

const KEY = 'test-key-0123456789abcdef';
let servers: OpenAIServer[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(echo: EchoOptions = {}, options: Partial<ServerOptions> = {}) {
  const backend = new EchoBackend(echo);
  const server = await OpenAIServer.listen({ backend, port: 0, ...options });
  servers.push(server);
  const client = new OpenAIBackend({
    endpoint: server.url,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  return { backend, server, client };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const hello = { messages: [{ role: 'user' as const, content: 'one two three four' }] };

describe('OpenAIServer with the OpenAI client', () => {
  it('lists the backend models', async () => {
    const { client, server } = await start();
    expect(await client.listModels()).toEqual([
      { id: 'scout-echo', source: server.url, contextLength: 4096 },
    ]);
  });

  it('streams a chat and carries usage and cached tokens back', async () => {
    const { client } = await start();
    const deltas: string[] = [];
    const result = await client.chat(hello, (d) => deltas.push(d));
    expect(deltas).toEqual(['four', ' three', ' two', ' one']);
    expect(result.text).toBe('four three two one');
    expect(result.finishReason).toBe('stop');
    expect(result.stats).toMatchObject({ promptTokens: 4, reusedTokens: 2, completionTokens: 4 });
  });

  it('passes max tokens, stop sequences and sampling parameters through', async () => {
    const { client, backend } = await start();
    const limited = await client.chat(
      { ...hello, params: { maxTokens: 2, temperature: 0.7, topP: 0.9, seed: 5 } },
      () => {},
    );
    expect(limited).toMatchObject({ text: 'four three', finishReason: 'length' });
    expect(backend.calls[0]!.request.params).toEqual({ maxTokens: 2, temperature: 0.7, topP: 0.9, seed: 5 });
    const stopped = await client.chat({ ...hello, params: { stop: ['two'] } }, () => {});
    expect(stopped).toMatchObject({ text: 'four three ', finishReason: 'stop' });
  });

  it('delivers images byte for byte', async () => {
    const { client, backend } = await start();
    const result = await client.chat(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'see' },
              { type: 'image', data: PNG_BYTES, mimeType: 'image/png' },
            ],
          },
        ],
      },
      () => {},
    );
    expect(result.text).toBe(`see [image/png:${PNG_BYTES.length}]`);
    const sent = backend.calls[0]!.request as { messages: { content: unknown }[] };
    expect(sent.messages[0]!.content).toEqual([
      { type: 'text', text: 'see' },
      { type: 'image', data: PNG_BYTES, mimeType: 'image/png' },
    ]);
  });

  it('serves completions with a suffix', async () => {
    const { client, backend } = await start();
    const result = await client.complete({ prompt: 'def add', suffix: '\n  pass' }, () => {});
    expect(result.text).toBe('DEF ADD <suffix:7>');
    expect(backend.calls[0]!.request).toMatchObject({
      prompt: 'def add',
      suffix: '\n  pass',
      model: 'scout-echo',
    });
  });

  it('turns a refused request into invalid_argument naming the field', async () => {
    const { client } = await start();
    const e = await failure(
      client.chat({ messages: [{ role: 'user', content: 'x' }], params: { temperature: 7 } }, () => {}),
    );
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(/HTTP 400: temperature: must be a number in \[0, 2\]/);
  });
});

describe('OpenAIServer wire format', () => {
  it('answers a non-streamed chat with a chat.completion object', async () => {
    const { server } = await start();
    const res = await post(`${server.url}/chat/completions`, {
      ...hello,
      model: 'scout-echo',
      max_tokens: 3,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'scout-echo',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'four three two' }, finish_reason: 'length' },
      ],
      usage: {
        prompt_tokens: 4,
        completion_tokens: 3,
        total_tokens: 7,
        prompt_tokens_details: { cached_tokens: 2 },
      },
    });
    expect(body.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
  });

  it('streams role first, then content, finish, usage and [DONE], all under one id', async () => {
    const { server } = await start();
    const res = await post(`${server.url}/chat/completions`, {
      ...hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events: string[] = [];
    for await (const e of readSse(res.body!)) events.push(e.data);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map(
      (d) =>
        JSON.parse(d) as {
          id: string;
          choices: { delta: object; finish_reason: string | null }[];
          usage?: object;
        },
    );
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.slice(1, 5).map((c) => c.choices[0]!.delta)).toEqual([
      { content: 'four' },
      { content: ' three' },
      { content: ' two' },
      { content: ' one' },
    ]);
    expect(chunks[5]!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks[6]).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 4 } });
  });

  it('sends keep-alive comments while the backend is silent', async () => {
    const { server } = await start({ prefillMs: 150 }, { keepAliveMs: 20 });
    const res = await post(`${server.url}/completions`, { prompt: 'a b', stream: true });
    const raw = await res.text();
    expect(raw).toContain(': keep-alive\n\n');
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(raw).toContain('"text":"A"');
  });

  it('refuses wrong routes, methods, media types, bad JSON and oversized bodies', async () => {
    const { server } = await start({}, { maxBodyBytes: 2048 });
    const base = server.url.replace(/\/v1$/, '');
    expect((await fetch(`${base}/v1/embeddings`, { method: 'POST' })).status).toBe(404);
    const wrongMethod = await fetch(`${server.url}/chat/completions`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const text = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      body: 'x',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    const bad = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      body: '{"messages":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { message: 'request body is not valid JSON', type: 'invalid_request_error', code: 400 },
    });
    const deep = await post(`${server.url}/chat/completions`, {
      messages: [{ role: 'user', content: '[[[{"not": "nesting"}' }],
      user: JSON.parse('['.repeat(80) + ']'.repeat(80)) as unknown,
    });
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({
      error: { message: 'request body is nested deeper than 64 levels' },
    });
    const shallow = await post(`${server.url}/chat/completions`, {
      messages: [
        {
          role: 'user',
          content: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"',
        },
      ],
    });
    expect(shallow.status).toBe(200);
    const big = await post(`${server.url}/chat/completions`, {
      messages: [{ role: 'user', content: 'x'.repeat(4096) }],
    });
    expect(big.status).toBe(413);
    expect((await big.json()) as object).toMatchObject({
      error: { message: 'request body is larger than 2048 bytes' },
    });
    const http = await post(`${server.url}/chat/completions`, {
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://127.0.0.1/x.png' } }] },
      ],
    });
    expect(http.status).toBe(400);
    expect(await http.json()).toMatchObject({ error: { param: 'messages[0].content[0].image_url.url' } });
  });

  it('answers an early backend failure with its HTTP status, a later one with an error event', async () => {
    const early = await start({
      failAfterWords: 0,
      failure: new ScoutError('invalid_argument', 'prompt is longer than the context'),
    });
    const res = await post(`${early.server.url}/chat/completions`, { ...hello, stream: true });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { message: 'invalid_argument: prompt is longer than the context' },
    });

    const late = await start({
      failAfterWords: 2,
      failure: new ScoutError('out_of_memory', 'KV cache is full'),
    });
    const deltas: string[] = [];
    const e = await failure(late.client.chat(hello, (d) => deltas.push(d)));
    expect(deltas).toEqual(['four', ' three']);
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/failed mid-stream: out_of_memory: KV cache is full/);
  });

  it('hides the text of unexpected errors and logs them', async () => {
    const lines: string[] = [];
    const { server } = await start(
      { failAfterWords: 0, failure: new Error('secret internal state 0xdeadbeef') },
      { log: (l) => lines.push(l) },
    );
    const res = await post(`${server.url}/chat/completions`, hello);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('0xdeadbeef');
    expect(text).toContain('internal error');
    expect(lines.join('\n')).toContain('0xdeadbeef');
  });
});

describe('OpenAIServer cancellation', () => {
  it('aborts the backend when a streaming client disconnects', async () => {
    const { client, backend } = await start({ hangAfterWords: 1 });
    const controller = new AbortController();
    const result = await client.chat(hello, () => controller.abort(), controller.signal);
    expect(result).toMatchObject({ text: 'four', finishReason: 'cancelled' });
    await backend.whenAborted();
    expect(backend.calls[0]!.aborted).toBe(true);
  });

  it('aborts the backend when a non-streaming client disconnects', async () => {
    const { server, backend } = await start({ hangAfterWords: 1 });
    const url = new URL(`${server.url}/chat/completions`);
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
    req.on('error', () => {});
    req.end(JSON.stringify(hello));
    while (backend.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    await backend.whenAborted();
    expect(backend.calls[0]!.aborted).toBe(true);
  });

  it('ends running streams with an error when the server closes', async () => {
    const { client, backend, server } = await start({ hangAfterWords: 1 });
    const pending = failure(client.chat(hello, () => void server.close()));
    const e = await pending;
    expect(e.message).toMatch(/the server is shutting down/);
    expect(backend.calls[0]!.aborted).toBe(true);
  });
});

describe('OpenAIServer access control', () => {
  it('refuses to bind beyond loopback without an API key, and short keys', async () => {
    const backend = new EchoBackend();
    await expect(OpenAIServer.listen({ backend, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /requires an API key/,
    );
    await expect(OpenAIServer.listen({ backend, port: 0, apiKey: 'short' })).rejects.toThrow(
      /at least 16 characters/,
    );
  });

  it('requires the bearer key on every request when one is set', async () => {
    const { server, client } = await start({}, { apiKey: KEY });
    expect((await client.listModels())[0]!.id).toBe('scout-echo');
    const none = await failure(new OpenAIBackend({ endpoint: server.url }).listModels());
    expect(none.message).toMatch(/HTTP 401 \(check the API key/);
    const wrong = await fetch(`${server.url}/models`, { headers: { Authorization: `Bearer ${KEY}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('answers only requests addressed to loopback when no key is set (DNS rebinding)', async () => {
    const { server } = await start();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${server.url}/models`,
        { headers: { Host: 'attacker.example:8000' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
