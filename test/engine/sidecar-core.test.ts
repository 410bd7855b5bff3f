/**
 * The sidecar core over an in-memory duplex: the same objects as the stdio process, no child process.
 * The transport-independence that lets tests, the stdio entry and a debugging socket share one core.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  createMessageConnection,
  type MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as P from '../../src/engine/protocol.js';
import { serveConnection } from '../../src/engine/server/connection.js';
import { createCore } from '../../src/engine/server/core.js';
import { productionDeps } from '../../src/engine/server/deps.js';

let client: MessageConnection;
let server: MessageConnection;
let repo: string;
let shutdownCalls = 0;

beforeAll(() => {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  server = createMessageConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  const notify = {
    progress: (p: P.ProgressParams) => void server.sendNotification(P.Progress.type, p),
    chatDelta: (p: P.ChatDeltaParams) => void server.sendNotification(P.ChatDelta.type, p),
    log: (p: P.LogParams) => void server.sendNotification(P.Log.type, p),
  };
  serveConnection(
    server,
    createCore(productionDeps(), notify, () => shutdownCalls++),
  );
  server.listen();
  client.listen();
  repo = mkdtempSync(join(tmpdir(), 'scout-core-repo-'));
  writeFileSync(join(repo, 'a.py'), 'def double(x):\n    return 2 * x\n');
});

afterAll(() => {
  client.dispose();
  server.dispose();
  rmSync(repo, { recursive: true, force: true });
});

describe('sidecar core in memory', () => {
  it('initializes, refuses another protocol version, and answers ping', async () => {
    const init = (protocolVersion: number) =>
      client.sendRequest(P.Initialize.type, {
        protocolVersion,
        clientName: 't',
        clientVersion: '0',
        settings: {},
      });
    expect((await init(P.PROTOCOL_VERSION)).protocolVersion).toBe(P.PROTOCOL_VERSION);
    const err = (await init(99).catch((e: unknown) => e)) as ResponseError<P.ErrorData>;
    expect(err.code).toBe(P.ErrorCodeNumbers.protocol);
    expect((await client.sendRequest(P.Ping.type, {})).time).toBeGreaterThan(0);
  });

  it('counts tokens with o200k_base before a model is loaded, and packs', async () => {
    expect(await client.sendRequest(P.Tokenize.type, { text: 'hello world' })).toEqual({
      count: 2,
      tokenizer: 'o200k_base',
    });
    const packed = await client.sendRequest(P.RepoPack.type, { root: repo });
    expect(packed.files).toBe(1);
    const status = await client.sendRequest(P.Status.type, {});
    expect(status).toMatchObject({ state: 'idle', model: null });
  });

  it('gives typed errors, and answers shutdown before leaving', async () => {
    const err = (await client
      .sendRequest(P.Complete.type, {
        requestId: 'x',
        uri: 'file:///a',
        languageId: 'py',
        prefix: '',
        suffix: '',
      })
      .catch((e: unknown) => e)) as ResponseError<P.ErrorData>;
    expect(err.data?.scoutCode).toBe('invalid_argument');
    const unknown = (await client
      .sendRequest('no/such/method', {})
      .catch((e: unknown) => e)) as ResponseError<unknown>;
    expect(unknown.code).toBe(-32601);
    expect(await client.sendRequest(P.Shutdown.type, {})).toEqual({});
    await new Promise((r) => setTimeout(r, 10));
    expect(shutdownCalls).toBe(1);
  });
});
