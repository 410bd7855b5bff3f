/**
 * One file from the Hub to `<blob>.incomplete`, resumable, hashed as it streams.
 *
 * - Resume: an existing `.incomplete` is hashed first, then the rest is asked for with
 *   `Range: bytes=<have>-`. A server that ignores the range (200 instead of 206) restarts the file.
 * - Dropped or silent connections, 5xx and 429 are retried with backoff, each retry resuming where
 *   the bytes stopped; 4xx answers are final and become typed errors.
 * - The size and the hash (sha256 for LFS files, git blob sha1 for small files) are checked against
 *   the Hub's metadata before the caller renames the file into place; a mismatch deletes the partial
 *   file, since resuming it could never repair it.
 * - A full disk (ENOSPC/EDQUOT) is an `io` error that keeps the partial file for a later resume.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { CancelledError, ScoutError } from '../errors.js';
import { httpError, type HubClient, type RepoFile } from './hub.js';

export interface TransferOptions {
  client: HubClient;
  repo: string;
  url: string;
  file: RepoFile;
  incompletePath: string;
  signal: AbortSignal;
  retries: number;
  retryDelayMs: number;
  /** A request that receives nothing for this long is aborted and retried. */
  stallTimeoutMs: number;
  /** Called with the number of new bytes each time some arrive (or are found already on disk). */
  onBytes: (delta: number) => void;
  /** Called with a human message when a retry happens. */
  onRetry?: (message: string) => void;
}

class RetryableError extends Error {}

function newHash(file: RepoFile): Hash {
  if (file.sha256) return createHash('sha256');
  // A git blob id is sha1("blob <size>\0" + contents).
  return createHash('sha1').update(`blob ${file.size}\0`);
}

async function hashExisting(path: string, hash: Hash, signal: AbortSignal): Promise<number> {
  let have = 0;
  for await (const chunk of createReadStream(path, { signal })) {
    hash.update(chunk as Buffer);
    have += (chunk as Buffer).length;
  }
  return have;
}

function diskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Downloads and verifies one file into `incompletePath`. Resolves once its size and hash match. */
export async function transferFile(o: TransferOptions): Promise<void> {
  const state: TransferState = { hash: newHash(o.file), have: 0 };
  const existing = await stat(o.incompletePath).catch(() => undefined);
  if (existing && existing.size <= o.file.size) {
    state.have = await hashExisting(o.incompletePath, state.hash, o.signal);
    o.onBytes(state.have);
  } else if (existing) {
    await rm(o.incompletePath, { force: true });
  }

  const handle = await open(o.incompletePath, 'a').catch((e: NodeJS.ErrnoException) => {
    throw new ScoutError('io', `cannot write ${o.incompletePath}: ${e.code ?? String(e)}`, { cause: e });
  });
  try {
    for (let attempt = 0; state.have < o.file.size; attempt++) {
      if (o.signal.aborted) throw new CancelledError('download cancelled');
      try {
        await fetchRange(o, handle, state);
      } catch (e) {
        if (o.signal.aborted) throw new CancelledError('download cancelled');
        if (!(e instanceof RetryableError)) throw e;
        if (attempt >= o.retries)
          throw new ScoutError(
            'network',
            `${o.file.path}: ${e.message} (gave up after ${attempt + 1} attempts; run again to resume)`,
          );
        o.onRetry?.(
          `${o.file.path}: ${e.message}; resuming at byte ${state.have} (retry ${attempt + 1}/${o.retries})`,
        );
        await sleep(o.retryDelayMs * 2 ** attempt, o.signal);
      }
    }
  } finally {
    await handle.close();
  }

  const digest = state.hash.digest('hex');
  const expected = o.file.sha256 ?? o.file.gitSha1!;
  if (digest !== expected) {
    await rm(o.incompletePath, { force: true });
    throw new ScoutError(
      'network',
      `${o.file.path}: the downloaded bytes do not match the Hub's ${o.file.sha256 ? 'sha256' : 'git sha1'} ` +
        `(expected ${expected}, got ${digest}); the partial file was removed, run again to download it afresh`,
    );
  }
}

/** The bytes on disk and their running hash; they always describe the same prefix of the file. */
interface TransferState {
  hash: Hash;
  have: number;
}

/**
 * One HTTP request: asks for the bytes from `state.have` on and appends what arrives. A watchdog
 * aborts the request when no byte arrives for `stallTimeoutMs`, so a connection that goes silent
 * (a dead proxy, a half-open socket) becomes a retry instead of a hang.
 */
async function fetchRange(o: TransferOptions, handle: FileHandle, state: TransferState): Promise<void> {
  const request = new AbortController();
  let stalled = false;
  let watchdog: NodeJS.Timeout | undefined;
  const feed = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      stalled = true;
      request.abort();
    }, o.stallTimeoutMs);
  };
  const cancel = () => request.abort();
  o.signal.addEventListener('abort', cancel, { once: true });
  feed();
  try {
    let response: Response;
    try {
      response = await o.client.fetch(o.url, {
        headers: {
          ...(o.client.token ? { Authorization: `Bearer ${o.client.token}` } : {}),
          ...(state.have > 0 ? { Range: `bytes=${state.have}-` } : {}),
        },
        signal: request.signal,
      });
    } catch (e) {
      const silence = `no response for ${o.stallTimeoutMs / 1000}s`;
      throw new RetryableError(stalled ? silence : `connection failed (${causeOf(e)})`);
    }
    await checkResponse(o, response, handle, state);
    const reader = response.body!.getReader();
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          throw new RetryableError(
            stalled
              ? `no data for ${o.stallTimeoutMs / 1000}s after byte ${state.have}`
              : `connection dropped after byte ${state.have} (${causeOf(e)})`,
          );
        }
        if (chunk.done) break;
        feed();
        await append(o, handle, state, chunk.value);
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  } finally {
    clearTimeout(watchdog);
    o.signal.removeEventListener('abort', cancel);
  }
  if (state.have < o.file.size)
    throw new RetryableError(`connection closed after byte ${state.have} of ${o.file.size}`);
}

/** Status and range checks before any byte is written; may restart the file (a server ignoring Range). */
async function checkResponse(
  o: TransferOptions,
  response: Response,
  handle: FileHandle,
  state: TransferState,
) {
  if (response.status >= 500 || response.status === 429) {
    await response.body?.cancel();
    throw new RetryableError(`the server answered ${response.status}`);
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    const message = response.headers.get('x-error-message') ?? jsonError(text);
    throw httpError(
      o.client,
      o.repo,
      response.status,
      response.headers.get('x-error-code'),
      message,
      o.file.path,
    );
  }
  if (state.have > 0 && response.status !== 206) {
    // The server ignored the range: start over rather than append a second copy.
    await handle.truncate(0);
    o.onBytes(-state.have);
    state.hash = newHash(o.file);
    state.have = 0;
  } else if (state.have > 0) {
    const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
    if (Number(start) !== state.have) {
      await response.body?.cancel();
      throw new ScoutError(
        'protocol',
        `${o.file.path}: asked for bytes from ${state.have}, the server sent '${response.headers.get('content-range')}'`,
      );
    }
  }
  if (!response.body) throw new RetryableError('empty response body');
}

/** Writes then hashes one chunk, so the hash always describes exactly the bytes on disk. */
async function append(o: TransferOptions, handle: FileHandle, state: TransferState, bytes: Uint8Array) {
  if (state.have + bytes.length > o.file.size)
    throw new ScoutError(
      'network',
      `${o.file.path}: the server sent more than the ${o.file.size} bytes the Hub lists`,
    );
  try {
    await handle.write(bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (diskFull(e))
      throw new ScoutError(
        'io',
        `disk full while writing ${o.file.path} (${code}); free some space and run again: the download resumes`,
      );
    throw new ScoutError('io', `cannot write ${o.incompletePath}: ${code ?? String(e)}`);
  }
  state.hash.update(bytes);
  state.have += bytes.length;
  o.onBytes(bytes.length);
}

function causeOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? e.message;
}

function jsonError(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as { error?: unknown };
    return typeof v.error === 'string' ? v.error : undefined;
  } catch {
    return text ? text.slice(0, 300) : undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CancelledError('download cancelled'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError('download cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
