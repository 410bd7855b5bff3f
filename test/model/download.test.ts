// The real downloader (and @huggingface/hub under it) against the local Hub mock on loopback.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScoutError } from '../../src/engine/errors.js';
import { downloadModel, matchesPattern, type DownloadOptions } from '../../src/engine/model/download.js';
import type { HubClient } from '../../src/engine/model/hub.js';
import { verifyModel } from '../../src/engine/model/verify.js';
import { HubMock, MOCK_COMMIT, sha256 } from './hubMock.js';
import { tinyModelFiles } from './tinyModel.js';

const REPO = 'meta-llama/Tiny-Scout';
const GATED = 'meta-llama/Tiny-Scout-Gated';
const SPACE = 'meta-llama/Tiny-Scout-Space'; // its own repo, so no request of another test is counted
const WITH_ORIGINAL = 'meta-llama/Tiny-Scout-Original';
const TOKEN_OK = 'hf_acceptedLicenseToken';
const TOKEN_NO = 'hf_notAcceptedLicenseTok';
const files = tinyModelFiles();
const isLfs = (p: string) => p.endsWith('.safetensors');
const shard = 'model-00001-of-00002.safetensors';

const mock = new HubMock([
  { id: REPO, files, isLfs },
  { id: GATED, files, isLfs, gated: 'manual', authorized: [TOKEN_OK] },
  { id: SPACE, files, isLfs },
  {
    id: WITH_ORIGINAL,
    files: new Map([...files, ['original/consolidated.00.pth', Buffer.from('meta weights')]]),
    isLfs,
  },
]);
let work: string;

function client(token?: string): HubClient {
  return { hubUrl: mock.url, token, tokenSource: token ? 'the test' : undefined, fetch: globalThis.fetch };
}

function options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { client: client(), repo: REPO, cacheDir: join(work, 'hub'), retryDelayMs: 5, ...extra };
}

async function expectError(p: Promise<unknown>, code: string, message: RegExp): Promise<ScoutError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ScoutError);
  expect((e as ScoutError).code).toBe(code);
  expect((e as ScoutError).message).toMatch(message);
  return e as ScoutError;
}

beforeAll(async () => {
  await mock.start();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'scout-dl-'));
  mock.faults = {};
  mock.requests.length = 0;
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('downloadModel', () => {
  it('writes the Hugging Face cache layout with hash-named blobs, and the result verifies', async () => {
    const progress: number[] = [];
    const result = await downloadModel(options({ onBytes: (d) => progress.push(d) }));
    const storage = join(work, 'hub', 'models--meta-llama--Tiny-Scout');
    expect(result.snapshotDir).toBe(join(storage, 'snapshots', MOCK_COMMIT));
    expect(readFileSync(join(storage, 'refs', 'main'), 'utf8')).toBe(MOCK_COMMIT);
    for (const [path, content] of files) {
      const link = join(result.snapshotDir, path);
      expect(readFileSync(link).equals(content)).toBe(true);
      expect(readlinkSync(link).startsWith('../../blobs/')).toBe(true);
    }
    expect(readlinkSync(join(result.snapshotDir, shard))).toBe(`../../blobs/${sha256(files.get(shard)!)}`);
    expect(progress.reduce((a, b) => a + b, 0)).toBe([...files.values()].reduce((a, b) => a + b.length, 0));
    expect(readdirSync(join(storage, 'blobs')).some((f) => f.endsWith('.incomplete'))).toBe(false);

    const report = await verifyModel(result.snapshotDir);
    expect(report.issues).toEqual([]);
    expect(report.files.filter((f) => f.hash === 'ok')).toHaveLength(files.size);
  });

  it('fetches nothing the second time', async () => {
    await downloadModel(options());
    mock.requests.length = 0;
    const again = await downloadModel(options());
    expect(again.fetchedBytes).toBe(0);
    expect(mock.fileRequests()).toEqual([]);
  });

  it('honours include patterns', async () => {
    const result = await downloadModel(options({ include: ['*.json'] }));
    expect(result.files.map((f) => f.path).sort()).toEqual([
      'config.json',
      'model.safetensors.index.json',
      'tokenizer_config.json',
    ]);
    expect(matchesPattern('sub/dir/a.safetensors', '*.safetensors')).toBe(true);
    expect(matchesPattern('a.json', 'a.jso?')).toBe(true);
    expect(matchesPattern('a.json', '*.bin')).toBe(false);
    await expectError(downloadModel(options({ include: ['*.gguf'] })), 'not_found', /matches \*\.gguf/);
    const noShards = await downloadModel(options({ exclude: ['model-*.safetensors'] }));
    expect(noShards.files.some((f) => f.path.endsWith('.safetensors'))).toBe(false);
  });

  it("leaves Meta's original/ weights out unless asked, and links nested paths", async () => {
    const plain = await downloadModel(options({ repo: WITH_ORIGINAL }));
    expect(plain.files.map((f) => f.path)).not.toContain('original/consolidated.00.pth');
    const all = await downloadModel(options({ repo: WITH_ORIGINAL, exclude: [] }));
    const link = join(all.snapshotDir, 'original', 'consolidated.00.pth');
    expect(readFileSync(link, 'utf8')).toBe('meta weights');
    expect(readlinkSync(link).startsWith('../../../blobs/')).toBe(true);
  });

  it('reports a cache folder it cannot create as an io error', async () => {
    writeFileSync(join(work, 'file'), 'not a folder');
    await expectError(
      downloadModel(options({ cacheDir: join(work, 'file', 'hub') })),
      'io',
      /cannot create .*ENOTDIR/,
    );
  });

  it('tells the user to accept the license of a gated repo, with and without a token', async () => {
    const noToken = await expectError(
      downloadModel(options({ repo: GATED })),
      'access_denied',
      /gated model: accept its license at http:\/\/127\.0\.0\.1:\d+\/meta-llama\/Tiny-Scout-Gated/,
    );
    expect(noToken.message).toMatch(/set HF_TOKEN or run `hf auth login`/);
    const refused = await expectError(
      downloadModel(options({ repo: GATED, client: client(TOKEN_NO) })),
      'access_denied',
      /not in the authorized list/,
    );
    expect(refused.message).toMatch(/using the token from the test/);
    expect(
      existsSync(join(work, 'hub', 'models--meta-llama--Tiny-Scout-Gated', 'blobs')) &&
        readdirSync(join(work, 'hub', 'models--meta-llama--Tiny-Scout-Gated', 'blobs')),
    ).toBeFalsy();
    const ok = await downloadModel(options({ repo: GATED, client: client(TOKEN_OK) }));
    expect(ok.files).toHaveLength(files.size);
  });

  it('reports an unknown repo as not found', async () => {
    await expectError(downloadModel(options({ repo: 'meta-llama/Nope' })), 'not_found', /Nope was not found/);
    await expectError(
      downloadModel(options({ repo: '../etc' })),
      'invalid_argument',
      /not a Hugging Face model id/,
    );
  });

  it('survives a connection dropped mid-file by resuming with a Range request', async () => {
    mock.faults = { drop: { path: shard, afterBytes: 200_000, times: 2 } };
    const retries: string[] = [];
    const result = await downloadModel(options({ onLog: (m) => retries.push(m) }));
    expect(readFileSync(join(result.snapshotDir, shard)).equals(files.get(shard)!)).toBe(true);
    const ranges = mock
      .fileRequests()
      .filter(
        (r) => r.path.startsWith('/cdn/') && r.path.includes(shard) && r.range && r.range !== 'bytes=0-0',
      )
      .map((r) => r.range);
    // The client may lose the last chunks in flight when the connection dies (a web stream drops its
    // queue on error), so the resume points are at most the bytes sent, and each one is past the last.
    const offsets = ranges.map((r) => Number(/^bytes=(\d+)-$/.exec(r!)![1]));
    expect(offsets).toHaveLength(2);
    expect(offsets[0]).toBeGreaterThan(0);
    expect(offsets[0]).toBeLessThanOrEqual(200_000);
    expect(offsets[1]).toBeGreaterThan(offsets[0]!);
    expect(offsets[1]! - offsets[0]!).toBeLessThanOrEqual(200_000);
    expect(retries.filter((m) => m.includes('resuming at byte'))).toHaveLength(2);
  });

  it('resumes a partial file left by an earlier run, counting its bytes as already done', async () => {
    mock.faults = { drop: { path: shard, afterBytes: 300_000, times: 1 } };
    await expectError(
      downloadModel(options({ retries: 0, concurrency: 1 })),
      'network',
      /connection (dropped|closed) after byte .*run again to resume/,
    );
    const partial = join(
      work,
      'hub',
      'models--meta-llama--Tiny-Scout',
      'blobs',
      `${sha256(files.get(shard)!)}.incomplete`,
    );
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(300_000);

    mock.requests.length = 0;
    let start: { presentBytes: number } | undefined;
    const result = await downloadModel(options({ onStart: (s) => (start = s) }));
    expect(start!.presentBytes).toBe(kept);
    const resumed = mock
      .fileRequests()
      .filter((r) => r.path.startsWith('/cdn/') && r.path.includes(shard) && r.range !== 'bytes=0-0');
    expect(resumed.map((r) => r.range)).toEqual([`bytes=${kept}-`]);
    expect(readFileSync(join(result.snapshotDir, shard)).equals(files.get(shard)!)).toBe(true);
  });

  it('retries a connection that goes silent instead of hanging', async () => {
    mock.faults = { stall: { path: shard, afterBytes: 50_000, times: 1 } };
    const logs: string[] = [];
    const result = await downloadModel(options({ stallTimeoutMs: 300, onLog: (m) => logs.push(m) }));
    expect(readFileSync(join(result.snapshotDir, shard)).equals(files.get(shard)!)).toBe(true);
    expect(logs.join('\n')).toMatch(/no data for 0\.3s after byte \d+; resuming at byte/);
  });

  it('reports an unreachable Hub as a network error', async () => {
    const offline: HubClient = { ...client(), hubUrl: 'http://127.0.0.1:9' };
    await expectError(
      downloadModel(options({ client: offline })),
      'network',
      /cannot reach http:\/\/127\.0\.0\.1:9/,
    );
  });

  it('restarts a file cleanly when the server ignores Range', async () => {
    mock.faults = { drop: { path: shard, afterBytes: 100_000, times: 1 }, ignoreRange: true };
    const result = await downloadModel(options());
    expect(readFileSync(join(result.snapshotDir, shard)).equals(files.get(shard)!)).toBe(true);
  });

  it('reports a hash mismatch, removes the bad bytes and links nothing', async () => {
    mock.faults = { corrupt: shard };
    await expectError(
      downloadModel(options()),
      'network',
      new RegExp(
        `${shard}: the downloaded bytes do not match the Hub's sha256 \\(expected ${sha256(files.get(shard)!)}`,
      ),
    );
    const blobs = join(work, 'hub', 'models--meta-llama--Tiny-Scout', 'blobs');
    expect(readdirSync(blobs).some((f) => f.startsWith(sha256(files.get(shard)!)))).toBe(false);
    expect(existsSync(join(work, 'hub', 'models--meta-llama--Tiny-Scout', 'snapshots'))).toBe(false);
  });

  it('stops on cancel, keeping partial files', async () => {
    const controller = new AbortController();
    const p = downloadModel(options({ signal: controller.signal, onBytes: () => controller.abort() }));
    await expectError(p, 'cancelled', /cancelled/);
  });
});

describe('disk space', () => {
  const total = [...files.values()].reduce((a, b) => a + b.length, 0);

  it('refuses before downloading when the free space is too small (injected at the statfs boundary)', async () => {
    await expectError(
      downloadModel(options({ repo: SPACE, freeBytes: async () => total - 1 })),
      'io',
      /not enough disk space .* needs .* free/,
    );
    expect(mock.fileRequests().filter((r) => r.path.startsWith('/cdn/') && r.path.includes('Space'))).toEqual(
      [],
    );
  });

  // A real small quota folder: a 1 MiB tmpfs (needs root and mount; skipped where unavailable).
  const quota = join(tmpdir(), `scout-quota-${process.pid}`);
  let mounted = false;
  beforeAll(() => {
    if (total <= 1024 * 1024) throw new Error('the tiny model must exceed the 1 MiB quota for these tests');
    try {
      mkdirSync(quota, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', quota], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', [quota]);
    rmSync(quota, { recursive: true, force: true });
  });

  it('refuses a download larger than a real 1 MiB quota folder', async (ctx) => {
    if (!mounted) return ctx.skip();
    await expectError(
      downloadModel(options({ cacheDir: join(quota, 'hub') })),
      'io',
      /not enough disk space/,
    );
  });

  it('turns ENOSPC during the download into a typed error and keeps the partial file', async (ctx) => {
    if (!mounted) return ctx.skip();
    // Lie about the free space so the download starts, and let the kernel report the full disk.
    writeFileSync(join(quota, 'filler'), Buffer.alloc(64 * 1024));
    const e = await expectError(
      downloadModel(options({ cacheDir: join(quota, 'hub'), freeBytes: async () => 1e12, concurrency: 1 })),
      'io',
      /disk full while writing .*ENOSPC.*resumes/,
    );
    expect(e.message).toContain('.safetensors');
    const blobs = join(quota, 'hub', 'models--meta-llama--Tiny-Scout', 'blobs');
    expect(readdirSync(blobs).some((f) => f.endsWith('.incomplete'))).toBe(true);
  });
});
