// The first-run functions the sidecar serves to the extension's walkthrough.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MachineMemory } from '../../src/engine/model/machine.js';
import { createHubClient, hubUrlFromEnv, planForMachine, setupStatus } from '../../src/engine/model/setup.js';
import { tinyModelFiles } from './tinyModel.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'scout-setup-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const GIB = 1024 ** 3;
const h100: MachineMemory = {
  ramTotalBytes: 128 * GIB,
  ramAvailableBytes: 120 * GIB,
  gpus: [{ index: 0, name: 'NVIDIA H100 80GB HBM3', totalBytes: 81559 * 1024 * 1024, usedBytes: 0 }],
};

function env() {
  return { HF_HOME: join(work, 'hf'), XDG_CACHE_HOME: join(work, 'xdg'), HOME: work };
}

describe('setupStatus', () => {
  it('reports no model and no token on a fresh machine, then the model once it is there', async () => {
    const fresh = await setupStatus({ env: env() });
    expect(fresh).toMatchObject({
      models: [],
      chosen: undefined,
      cacheDir: join(work, 'hf', 'hub'),
      hasToken: false,
    });

    const dir = join(work, 'models', 'tiny');
    mkdirSync(dir, { recursive: true });
    for (const [path, content] of tinyModelFiles()) writeFileSync(join(dir, path), content);
    writeFileSync(join(work, 'hf-token'), 'hf_storedByTheCli12345');
    const ready = await setupStatus({
      folders: [join(work, 'models')],
      env: { ...env(), HF_TOKEN_PATH: join(work, 'hf-token') },
    });
    expect(ready.chosen?.dir).toBe(dir);
    expect(ready.hasToken).toBe(true);
  });
});

describe('planForMachine', () => {
  it("plans for Scout's published config before anything is downloaded", async () => {
    const { source, plan } = await planForMachine({ env: env(), machine: h100, context: 200_000 });
    expect(source).toMatch(/Llama-4-Scout-17B-16E-Instruct \(not downloaded/);
    expect(plan.params.total).toBe(108_641_793_536);
    expect(plan.recommended).toMatchObject({ device: 'gpu', context: 200_000 });
  });
  it('rejects a context the model cannot hold', async () => {
    await expect(planForMachine({ env: env(), machine: h100, context: 1e8 })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});

describe('Hub client', () => {
  it('takes the endpoint from HF_ENDPOINT and refuses anything but http(s)', () => {
    expect(hubUrlFromEnv({})).toBe('https://huggingface.co');
    expect(hubUrlFromEnv({ HF_ENDPOINT: 'http://127.0.0.1:8080/' })).toBe('http://127.0.0.1:8080');
    expect(() => hubUrlFromEnv({ HF_ENDPOINT: 'file:///etc/passwd' })).toThrow(/not an http\(s\) URL/);
  });
  it("prefers the caller's token (the extension's secret storage) over the environment", async () => {
    const client = await createHubClient(
      { token: 'hf_fromSecretStorage1', source: 'VS Code secret storage' },
      { HF_TOKEN: 'hf_fromEnvironment123' },
    );
    expect(client).toMatchObject({ token: 'hf_fromSecretStorage1', tokenSource: 'VS Code secret storage' });
    expect((await createHubClient(undefined, { HF_TOKEN: 'hf_fromEnvironment123' })).tokenSource).toBe(
      'HF_TOKEN',
    );
  });
});
