/**
 * `scout model download`: a Hub repo into the standard Hugging Face cache, so transformers, vLLM and
 * the hf CLI see the same files without a second copy.
 *
 * The pipeline, top to bottom:
 *   1. ask the Hub for the commit, the gating, and every file with its size and hash;
 *   2. keep the files the include patterns select and the exclude patterns do not;
 *   3. probe access to one file, so a gated repo whose license is not accepted fails now, with the
 *      URL to accept it, and not after a disk check or halfway through 218 GB;
 *   4. check free disk space for what is still missing (partial files count as progress);
 *   5. fetch the missing files in parallel, each resumable and verified (./transfer.ts);
 *   6. rename each verified file to blobs/<hash> and link it from snapshots/<commit>/<path>;
 *   7. record refs/<revision> → commit, as huggingface_hub does.
 * Files already in the cache are only linked. Nothing unverified ever lands under its final name.
 */
import { mkdir, readlink, rename, rm, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { CancelledError, ScoutError } from '../errors.js';
import { formatBytes } from '../progress.js';
import { fetchRepoManifest, httpError, type HubClient, type RepoFile, type RepoManifest } from './hub.js';
import { repoStorageDir, validateRepoId } from './paths.js';
import { transferFile } from './transfer.js';

export interface DownloadOptions {
  client: HubClient;
  repo: string;
  revision?: string;
  /** The Hugging Face hub cache folder (…/huggingface/hub). */
  cacheDir: string;
  /** fnmatch-style patterns (`*`, `?`) over repo paths; all files when empty. */
  include?: string[];
  /** Patterns to leave out; default DEFAULT_EXCLUDE. */
  exclude?: string[];
  concurrency?: number;
  retries?: number;
  retryDelayMs?: number;
  /** Abort and retry a request that receives nothing for this long (default 60 s). */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called once the plan is known: bytes to fetch and bytes already on disk. */
  onStart?: (info: { files: number; totalBytes: number; presentBytes: number; commit: string }) => void;
  onBytes?: (delta: number) => void;
  onLog?: (message: string) => void;
  /** Free bytes on the filesystem holding `dir`; injectable because free space is the machine's to decide. */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface DownloadResult {
  repo: string;
  commit: string;
  snapshotDir: string;
  files: Array<{ path: string; size: number; fetched: boolean }>;
  fetchedBytes: number;
}

/** fnmatch semantics as huggingface_hub's allow_patterns: `*` also crosses '/'. */
export function matchesPattern(path: string, pattern: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(path);
}

/**
 * Meta's original-format weights (consolidated .pth), when a repo carries them next to the
 * safetensors: Scout never reads them, and they would double a 218 GB download.
 */
export const DEFAULT_EXCLUDE = ['original/*'];

const REVISION = /^(?!.*\.\.)[\w.\-/]{1,200}$/;

export async function downloadModel(o: DownloadOptions): Promise<DownloadResult> {
  validateRepoId(o.repo);
  const revision = o.revision ?? 'main';
  if (!REVISION.test(revision) || revision.startsWith('/'))
    throw new ScoutError('invalid_argument', `bad revision '${revision}'`);
  const signal = o.signal ?? new AbortController().signal;
  const log = o.onLog ?? (() => {});

  const manifest = await fetchRepoManifest(o.client, o.repo, revision);
  const include = o.include ?? [];
  const exclude = o.exclude ?? DEFAULT_EXCLUDE;
  const files = manifest.files.filter(
    (f) =>
      (include.length === 0 || include.some((p) => matchesPattern(f.path, p))) &&
      !exclude.some((p) => matchesPattern(f.path, p)),
  );
  if (files.length === 0)
    throw new ScoutError(
      'not_found',
      `no file of ${o.repo}@${revision} matches ${include.join(', ') || '*'} (excluding ${exclude.join(', ') || 'nothing'})`,
    );

  const storage = repoStorageDir(o.cacheDir, o.repo);
  const blobs = join(storage, 'blobs');
  const snapshotDir = join(storage, 'snapshots', manifest.commit);

  const missing: RepoFile[] = [];
  let presentBytes = 0;
  let missingBytes = 0;
  for (const f of files) {
    if (await isCompleteBlob(join(blobs, f.etag), f.size)) continue;
    missing.push(f);
    const partial = await stat(join(blobs, `${f.etag}.incomplete`)).catch(() => undefined);
    const have = partial && partial.size <= f.size ? partial.size : 0;
    presentBytes += have;
    missingBytes += f.size - have;
  }

  if (missing.length > 0) {
    await probeAccess(o.client, manifest, missing[0]!, signal);
    await onDisk(`create ${blobs}`, () => mkdir(blobs, { recursive: true }));
    const free = await onDisk(`measure free space in ${blobs}`, () => (o.freeBytes ?? freeBytesOf)(blobs));
    if (missingBytes > free)
      throw new ScoutError(
        'io',
        `not enough disk space in ${o.cacheDir}: ${o.repo} needs ${formatBytes(missingBytes)} more, ${formatBytes(free)} is free; ` +
          `free some space or pass --dir on a larger disk`,
      );
  }
  o.onStart?.({
    files: missing.length,
    totalBytes: presentBytes + missingBytes,
    presentBytes,
    commit: manifest.commit,
  });

  // Largest first, so the long transfers start early and the pool drains evenly.
  const queue = [...missing].sort((a, b) => b.size - a.size);
  const inner = new AbortController();
  const stop = () => inner.abort();
  signal.addEventListener('abort', stop, { once: true });
  const failures: unknown[] = [];
  const worker = async () => {
    for (let f = queue.shift(); f && !inner.signal.aborted; f = queue.shift()) {
      try {
        await fetchIntoBlob(o, manifest, f, blobs, inner.signal);
        log(`verified ${f.path} (${formatBytes(f.size)})`);
      } catch (e) {
        failures.push(e);
        inner.abort(); // one failure stops the rest; their partial files stay for the resume
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, 16)) }, worker));
  } finally {
    signal.removeEventListener('abort', stop);
  }
  if (signal.aborted) throw new CancelledError('download cancelled; run again to resume');
  const first = failures.find((e) => !(e instanceof CancelledError)) ?? failures[0];
  if (first) throw first;

  for (const f of files) await linkSnapshot(snapshotDir, f.path, join(blobs, f.etag));
  if (revision !== manifest.commit) {
    const ref = join(storage, 'refs', revision);
    await onDisk(`write ${ref}`, async () => {
      await mkdir(dirname(ref), { recursive: true });
      await writeFile(ref, manifest.commit);
    });
  }
  const fetched = new Set(missing.map((f) => f.path));
  return {
    repo: o.repo,
    commit: manifest.commit,
    snapshotDir,
    files: files.map((f) => ({ path: f.path, size: f.size, fetched: fetched.has(f.path) })),
    fetchedBytes: missingBytes,
  };
}

async function fetchIntoBlob(
  o: DownloadOptions,
  m: RepoManifest,
  f: RepoFile,
  blobs: string,
  signal: AbortSignal,
) {
  const blob = join(blobs, f.etag);
  const incompletePath = `${blob}.incomplete`;
  await transferFile({
    client: o.client,
    repo: o.repo,
    url: resolveUrl(o.client, m, f.path),
    file: f,
    incompletePath,
    signal,
    retries: o.retries ?? 5,
    retryDelayMs: o.retryDelayMs ?? 1000,
    stallTimeoutMs: o.stallTimeoutMs ?? 60_000,
    onBytes: o.onBytes ?? (() => {}),
    onRetry: o.onLog,
  });
  await onDisk(`rename ${incompletePath}`, () => rename(incompletePath, blob));
}

function resolveUrl(client: HubClient, m: RepoManifest, path: string): string {
  return `${client.hubUrl}/${m.repo}/resolve/${m.commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * A one-byte request for a file that is still missing: a gated repo answers 401/403 here, before
 * anything is written.
 */
async function probeAccess(
  client: HubClient,
  m: RepoManifest,
  f: RepoFile,
  signal: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    response = await client.fetch(resolveUrl(client, m, f.path), {
      headers: { Range: 'bytes=0-0', ...(client.token ? { Authorization: `Bearer ${client.token}` } : {}) },
      signal,
    });
  } catch (e) {
    if (signal.aborted) throw new CancelledError('download cancelled');
    throw new ScoutError('network', `cannot reach ${client.hubUrl}: ${(e as Error).message}`, { cause: e });
  }
  const text = response.ok ? '' : await response.text().catch(() => '');
  await response.body?.cancel().catch(() => {});
  if (response.ok) return;
  let message = response.headers.get('x-error-message') ?? undefined;
  if (!message) {
    try {
      message = (JSON.parse(text) as { error?: string }).error;
    } catch {
      message = text.slice(0, 300) || undefined;
    }
  }
  throw httpError(client, m.repo, response.status, response.headers.get('x-error-code'), message, f.path);
}

async function isCompleteBlob(path: string, size: number): Promise<boolean> {
  const s = await stat(path).catch(() => undefined);
  return s !== undefined && s.isFile() && s.size === size;
}

/** snapshots/<commit>/<path> → ../../blobs/<etag>, relative so the cache folder can be moved. */
async function linkSnapshot(snapshotDir: string, path: string, blob: string): Promise<void> {
  const link = join(snapshotDir, ...path.split('/'));
  const target = relative(dirname(link), blob);
  const current = await readlink(link).catch(() => undefined);
  if (current === target) return;
  await onDisk(`link ${link}`, async () => {
    await mkdir(dirname(link), { recursive: true });
    await rm(link, { force: true });
    await symlink(target, link);
  });
}

/** Runs a filesystem step, turning errno failures (EACCES, ENOSPC, EROFS…) into `io` errors that say what failed. */
async function onDisk<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw new ScoutError('io', `cannot ${what}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      cause: e,
    });
  }
}

async function freeBytesOf(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}
