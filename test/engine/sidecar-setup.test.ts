/**
 * The first-run methods the walkthrough drives (model/setup, model/download, model/plan) and the
 * preflight before model/load, through the real core and JSON-RPC wiring (in-memory streams) and the
 * real Hub client against the local Hub stand-in on loopback. The environment (HF_ENDPOINT, HF_HOME)
 * and the machine's memory are the test's own, so nothing here touches the user's cache.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  CancellationTokenSource,
  createMessageConnection,
  type MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineMemory } from '../../src/engine/model/machine.js';
import { SCOUT_REPO } from '../../src/engine/model/paths.js';
import * as P from '../../src/engine/protocol.js';
import { serveConnection } from '../../src/engine/server/connection.js';
import { createCore } from '../../src/engine/server/core.js';
import { productionDeps } from '../../src/engine/server/deps.js';
import { setupDeps } from '../../src/engine/server/setupDeps.js';
import { chatModelDir } from '../fixtures/chat-model.js';
import { HubMock } from '../model/hubMock.js';
import { tinyModelFiles } from '../model/tinyModel.js';

const GIB = 1024 ** 3;
const GATED = 'meta-llama/Tiny-Scout-Gated';
const STALLING = 'meta-llama/Tiny-Scout-Stalls';
const TOKEN_OK = 'hf_acceptedLicenseToken';
const files = tinyModelFiles();
const isLfs = (p: string) => p.endsWith('.safetensors');
const mock = new HubMock([
  { id: GATED, files, isLfs, gated: 'manual', authorized: [TOKEN_OK] },
  { id: STALLING, files, isLfs },
]);

let work: string;
let connection: MessageConnection;
let machine: MachineMemory;
const progress: P.ProgressParams[] = [];

beforeAll(async () => {
  await mock.start();
  work = mkdtempSync(join(tmpdir(), 'scout-sidecar-setup-'));
  const env = {
    HF_ENDPOINT: mock.url,
    HF_HOME: join(work, 'hf'),
    XDG_CACHE_HOME: join(work, 'xdg'),
    HOME: work,
  };
  machine = { ramTotalBytes: 64 * GIB, ramAvailableBytes: 60 * GIB, gpus: [] };
  const core = createCore(
    productionDeps({ setup: setupDeps({ env, probe: async () => machine }) }),
    {
      progress: (p) => progress.push(p),
      chatDelta: () => {},
      log: () => {},
    },
    () => {},
  );
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createMessageConnection(
    new StreamMessageReader(toServer),
    new StreamMessageWriter(toClient),
  );
  serveConnection(server, core);
  server.listen();
  connection = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  connection.listen();
  await connection.sendRequest(P.Initialize.type, {
    protocolVersion: P.PROTOCOL_VERSION,
    clientName: 'vitest',
    clientVersion: '0',
    settings: {},
  });
}, 60_000);

afterAll(async () => {
  connection?.dispose();
  await mock.close();
  rmSync(work, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<{ scoutCode: string; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ResponseError);
  const r = e as ResponseError<P.ErrorData>;
  return { scoutCode: r.data!.scoutCode, message: r.message };
}

describe('model/setup, model/download, model/plan', () => {
  it("reports a fresh machine: no model, no token, and Scout's plan before any download", async () => {
    const status = await connection.sendRequest(P.ModelSetup.type, {});
    expect(status).toMatchObject({
      models: [],
      chosen: null,
      repo: SCOUT_REPO,
      cacheDir: join(work, 'hf', 'hub'),
      hasToken: false,
    });
    expect(status.plan.source).toMatch(/not downloaded/);
    expect(status.plan.machine).toEqual(machine);
    // No GPU: the plan is for RAM only.
    expect(status.plan.plan.devices.map((d) => d.kind)).toEqual(['ram']);
  });

  it('refuses a gated model without an accepted license, then downloads with the given token', async () => {
    const denied = await failure(connection.sendRequest(P.ModelDownload.type, { repo: GATED }));
    expect(denied.scoutCode).toBe('access_denied');
    expect(denied.message).toMatch(/gated model: accept its license/);

    const badToken = await failure(
      connection.sendRequest(P.ModelDownload.type, { repo: GATED, token: 'hf_pasted\nwith a newline' }),
    );
    expect(badToken.scoutCode).toBe('invalid_argument');

    progress.length = 0;
    const result = await connection.sendRequest(P.ModelDownload.type, {
      repo: GATED,
      token: TOKEN_OK,
      progressToken: 'dl-1',
    });
    expect(result).toMatchObject({ repo: GATED, files: files.size });
    expect(existsSync(join(result.path, 'config.json'))).toBe(true);
    // The token went to the Hub with this call's requests, and only as a bearer token.
    expect(mock.requests.some((r) => r.auth === TOKEN_OK)).toBe(true);
    const mine = progress.filter((p) => p.token === 'dl-1');
    expect(mine.every((p) => p.kind === 'download')).toBe(true);
    const last = mine.at(-1)!;
    expect(last.total).toBe([...files.values()].reduce((n, b) => n + b.length, 0));
    expect(last.done).toBe(last.total);

    // The download lands in the shared HF cache, where discovery finds it.
    const status = await connection.sendRequest(P.ModelSetup.type, {});
    expect(status.chosen).toBe(result.path);
    expect(status.models[0]).toMatchObject({ path: result.path, usable: true });
    expect(status.plan.source).toBe(result.path);
  });

  it('plans for a given folder and context, and rejects bad parameters', async () => {
    const { path } = await connection.sendRequest(P.ModelDownload.type, { repo: GATED, token: TOKEN_OK });
    const plan = await connection.sendRequest(P.ModelPlan.type, { path, context: 1024 });
    expect(plan.source).toBe(path);
    expect(plan.plan.requestedContext).toBe(1024);
    expect(plan.plan.recommended?.device).toBe('ram');
    const bad = await failure(connection.sendRequest(P.ModelPlan.type, { path, context: -5 }));
    expect(bad.scoutCode).toBe('invalid_argument');
    const missing = await failure(connection.sendRequest(P.ModelPlan.type, { path: join(work, 'nothing') }));
    expect(missing.scoutCode).not.toBe('internal');
  });

  it('cancels a download that is under way', async () => {
    mock.faults = { stall: { path: 'model-00001-of-00002.safetensors', afterBytes: 16, times: 100 } };
    try {
      const cts = new CancellationTokenSource();
      progress.length = 0;
      const pending = connection.sendRequest(
        P.ModelDownload.type,
        { repo: STALLING, progressToken: 'dl-2' },
        cts.token,
      );
      // Cancel once the transfer has started (the plan is known and bytes flow).
      const started = Date.now();
      while (!progress.some((p) => p.token === 'dl-2') && Date.now() - started < 10_000)
        await new Promise((r) => setTimeout(r, 20));
      cts.cancel();
      const cancelled = await failure(pending);
      expect(cancelled.scoutCode).toBe('cancelled');
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      mock.faults = {};
    }
  });
});

describe('model/load preflight', () => {
  it('refuses a model that does not fit, saying what would, and loads nothing', async () => {
    const dir = await chatModelDir();
    const saved = machine;
    // Just over the reserve: the weights alone do not fit.
    machine = { ramTotalBytes: 5 * GIB, ramAvailableBytes: 4 * GIB + 1024, gpus: [] };
    try {
      const refused = await failure(connection.sendRequest(P.ModelLoad.type, { path: dir }));
      expect(refused.scoutCode).toBe('out_of_memory');
      expect(refused.message).toMatch(/would not fit in this machine's memory with f32 weights/);
      expect(refused.message).toMatch(/do not fit in/);
      const status = await connection.sendRequest(P.Status.type, {});
      expect(status.model).toBeNull();
    } finally {
      machine = saved;
    }
    const loaded = await connection.sendRequest(P.ModelLoad.type, { path: dir });
    expect(loaded.backend).toBe('native');
    await connection.sendRequest(P.ModelUnload.type, {});
  }, 60_000);
});
