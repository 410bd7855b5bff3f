/**
 * `scout serve --endpoint`: the CLI command in-process, as a loopback front for another
 * OpenAI-compatible server (here a second OpenAIServer over a deterministic backend).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/engine/cli/command.js';
import { main } from '../../src/engine/cli/main.js';
import { OpenAIBackend } from '../../src/engine/openai/client.js';
import { OpenAIServer } from '../../src/engine/openai/server.js';
import { EchoBackend } from './echo-backend.js';

class Capture extends Writable {
  text = '';
  private waiters: (() => void)[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    for (const w of this.waiters.splice(0)) w();
    done();
  }
  async line(): Promise<string> {
    while (!this.text.includes('\n')) await new Promise<void>((r) => this.waiters.push(r));
    return this.text.slice(0, this.text.indexOf('\n'));
  }
}

function cliIO() {
  const controller = new AbortController();
  const io: CliIO & { stdout: Capture; stderr: Capture } = {
    stdout: new Capture(),
    stderr: new Capture(),
    isTTY: false,
    signal: controller.signal,
  };
  return { io, stop: () => controller.abort() };
}

let upstream: OpenAIServer | undefined;
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
});

describe('scout serve --endpoint', () => {
  it('proxies chat and completions to the remote server and stops cleanly on SIGINT', async () => {
    const backend = new EchoBackend();
    upstream = await OpenAIServer.listen({ backend, port: 0 });
    const { io, stop } = cliIO();
    const exit = main(['serve', '--endpoint', upstream.url, '--port', '0'], io);
    const { url } = JSON.parse(await io.stdout.line()) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(url).not.toBe(upstream.url);

    const client = new OpenAIBackend({ endpoint: url });
    expect((await client.listModels()).map((m) => m.id)).toEqual(['scout-echo']);
    const deltas: string[] = [];
    const result = await client.chat({ messages: [{ role: 'user', content: 'a b c' }] }, (d) =>
      deltas.push(d),
    );
    expect(deltas).toEqual(['c', ' b', ' a']);
    expect(result.stats.promptTokens).toBe(3);
    expect((await client.complete({ prompt: 'x y', params: { maxTokens: 1 } }, () => {})).text).toBe('X');
    expect(backend.calls.map((c) => c.kind)).toEqual(['chat', 'complete']);

    stop();
    expect(await exit).toBe(0);
    expect(io.stderr.text).toContain(`scout-echo at ${url}`);
    await expect(client.listModels()).rejects.toMatchObject({ code: 'network' });
  });

  it('refuses bad option combinations before loading anything', async () => {
    const cases: [string[], RegExp][] = [
      [['serve'], /exactly one of --model DIR or --endpoint URL/],
      [['serve', '--model', '/m', '--endpoint', 'http://127.0.0.1:1'], /exactly one of/],
      [
        ['serve', '--endpoint', 'http://127.0.0.1:1', '--host', '0.0.0.0'],
        /not loopback: it requires --api-key/,
      ],
      [['serve', '--endpoint', 'http://127.0.0.1:1', '--threads', '4'], /--threads applies to --model/],
      [
        ['serve', '--endpoint', 'http://127.0.0.1:1', '--port', '70000'],
        /--port must be between 0 and 65535/,
      ],
      [['serve', '--endpoint', 'ftp://x'], /http:\/\/ or https:\/\//],
    ];
    for (const [argv, message] of cases) {
      const { io } = cliIO();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.stderr.text).toMatch(message);
    }
  });

  it('fails at start-up when the endpoint cannot be reached', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const { io } = cliIO();
    expect(await main(['serve', '--endpoint', `http://127.0.0.1:${port}/v1`, '--port', '0'], io)).toBe(1);
    expect(io.stderr.text).toContain(`network: cannot talk to http://127.0.0.1:${port}/v1: ECONNREFUSED`);
  });
});
