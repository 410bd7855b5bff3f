// `scout model download|list|verify|plan` end to end, in-process, against the loopback Hub mock.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/engine/cli/main.js';
import { HubMock, MOCK_COMMIT, sha256 } from './hubMock.js';
import { tinyModelFiles } from './tinyModel.js';

const REPO = 'meta-llama/Tiny-Scout';
const GATED = 'meta-llama/Tiny-Gated';
const files = tinyModelFiles();
const isLfs = (p: string) => p.endsWith('.safetensors');
const mock = new HubMock([
  { id: REPO, files, isLfs },
  { id: GATED, files, isLfs, gated: 'manual', authorized: [] },
]);
let work: string;
const saved = { ...process.env };

async function scout(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _e, done) {
        append(chunk.toString());
        done();
      },
    });
  const io = {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  await mock.start();
  work = mkdtempSync(join(tmpdir(), 'scout-cli-'));
  for (const key of ['HF_TOKEN', 'HF_TOKEN_PATH', 'SCOUT_MODEL', 'HUGGINGFACE_HUB_CACHE'])
    delete process.env[key];
  Object.assign(process.env, {
    HF_ENDPOINT: mock.url,
    HF_HOME: join(work, 'hf'),
    HF_HUB_CACHE: join(work, 'hf', 'hub'),
    XDG_CACHE_HOME: join(work, 'xdg'),
    HOME: work, // so ~/.cache/huggingface of the machine running the tests is not scanned
  });
});
afterAll(async () => {
  process.env = saved;
  await mock.close();
  rmSync(work, { recursive: true, force: true });
});

const snapshot = () => join(work, 'hf', 'hub', 'models--meta-llama--Tiny-Scout', 'snapshots', MOCK_COMMIT);

describe('scout model', () => {
  it('download: fetches into the HF cache, printing plain progress lines when piped', async () => {
    const r = await scout('model', 'download', '--repo', REPO);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${snapshot()}\n`);
    expect(r.stderr).toMatch(/verified model-00001-of-00002\.safetensors/);
    expect(r.stderr).toMatch(/downloaded 1\.\d+ MiB of meta-llama\/Tiny-Scout in \d+s\n$/);
    expect(r.stderr).not.toMatch(/[\r\x1b]/);
    const again = await scout('model', 'download', '--repo', REPO, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ commit: MOCK_COMMIT, fetchedBytes: 0 });
    expect(again.stderr).toMatch(/is already complete/);
  });

  it('download: explains a gated license, using the token file of the Hugging Face CLI', async () => {
    mkdirSync(join(work, 'hf'), { recursive: true });
    writeFileSync(join(work, 'hf', 'token'), 'hf_notAcceptedYet12345\n');
    const r = await scout('model', 'download', '--repo', GATED);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `scout model: access_denied: ${GATED} is a gated model: accept its license at ${mock.url}/${GATED} while logged in, \\(using the token from ${join(work, 'hf', 'token')}\\)`,
      ),
    );
    rmSync(join(work, 'hf', 'token'));
  });

  it('list: shows the downloaded model with its int4 cache state', async () => {
    const r = await scout('model', 'list', '--json');
    const models = JSON.parse(r.stdout).models as Array<Record<string, unknown>>;
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({
      repo: REPO,
      commit: MOCK_COMMIT,
      refs: ['main'],
      supported: true,
      complete: true,
      dtype: 'bfloat16',
    });
    const text = await scout('model', 'list');
    expect(text.stdout).toMatch(/meta-llama\/Tiny-Scout@0123456789ab \(main\)\s+\[hf-cache\]/);
    expect(text.stdout).toMatch(
      /Llama4ForConditionalGeneration, bfloat16, 1\.\d+ MiB of weights; int4 cache: none/,
    );
  });

  it('verify: ok for the download, exit 1 with the problem for a corrupted blob', async () => {
    const ok = await scout('model', 'verify', snapshot());
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/2 shards, \d+ tensors, 5 of 5 files hash-checked\nok\n$/);
    const blob = join(
      work,
      'hf',
      'hub',
      'models--meta-llama--Tiny-Scout',
      'blobs',
      sha256(files.get('model-00002-of-00002.safetensors')!),
    );
    const bytes = readFileSync(blob);
    bytes[bytes.length - 2]! ^= 0x10;
    writeFileSync(blob, bytes);
    const bad = await scout('model', 'verify', snapshot());
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/problem: model-00002-of-00002\.safetensors: contents hash to/);
    expect((await scout('model', 'verify', snapshot(), '--no-hash')).code).toBe(0);
  });

  it('plan: from a model folder, as JSON and as a table', async () => {
    const r = await scout('model', 'plan', '--model', snapshot(), '--context', '2048', '--json');
    expect(r.code).toBe(0);
    const { plan, source } = JSON.parse(r.stdout);
    expect(source).toBe(snapshot());
    expect(plan.requestedContext).toBe(2048);
    expect(plan.recommended).toMatchObject({ weights: 'bf16', kv: 'bf16', context: 2048 });
    const table = await scout('model', 'plan', '--model', snapshot());
    expect(table.stdout).toMatch(/^recommended: (gpu|ram), --weights bf16, --kv bf16, context 4,096/m);
  });

  it('rejects bad arguments with usage errors', async () => {
    expect((await scout('model', 'frobnicate')).code).toBe(2);
    expect((await scout('model', 'verify')).code).toBe(2);
    expect((await scout('model', 'plan', '--context', 'lots')).code).toBe(2);
    expect((await scout('model', 'download', '--repo', 'not a repo')).stderr).toMatch(
      /invalid_argument: 'not a repo' is not a Hugging Face model id/,
    );
  });
});
