/**
 * What Scout asks the Hugging Face Hub, through @huggingface/hub: the commit a revision points to,
 * whether the repo is gated, and every file with its size and hash (the tree API gives the LFS
 * sha256 and the git blob sha1). Hub failures become ScoutErrors that tell the user what to do,
 * above all for the gated Llama 4 repos whose license must be accepted on the website first.
 */
import { HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import { CancelledError, ScoutError } from '../errors.js';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface HubClient {
  hubUrl: string;
  token: string | undefined;
  /** Where the token came from, for messages. */
  tokenSource: string | undefined;
  fetch: typeof fetch;
}

export interface RepoFile {
  /** Path inside the repo, '/'-separated, validated (no '..', not absolute). */
  path: string;
  size: number;
  /** The name of the blob in the HF cache: the LFS sha256, else the git blob sha1. */
  etag: string;
  /** Hex sha256 of the contents, for LFS files. */
  sha256: string | undefined;
  /** Hex git blob sha1, for files stored in git (small files). */
  gitSha1: string | undefined;
}

export interface RepoManifest {
  repo: string;
  revision: string;
  commit: string;
  gated: false | 'auto' | 'manual';
  files: RepoFile[];
}

const HEX40 = /^[0-9a-f]{40}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** Rejects repo paths that could escape the snapshot folder once joined to it. */
export function validateRepoPath(path: string): string {
  const parts = path.split('/');
  if (
    !path ||
    path.length > 1024 ||
    path.startsWith('/') ||
    path.includes('\\') ||
    path.includes('\0') ||
    parts.some((p) => p === '' || p === '.' || p === '..')
  )
    throw new ScoutError('protocol', `the Hub listed an unsafe file path '${path.slice(0, 200)}'`);
  return path;
}

export async function fetchRepoManifest(
  client: HubClient,
  repo: string,
  revision: string,
): Promise<RepoManifest> {
  const common = {
    hubUrl: client.hubUrl,
    fetch: client.fetch,
    ...(client.token ? { accessToken: client.token } : {}),
  };
  try {
    const info = await modelInfo({ ...common, name: repo, revision, additionalFields: ['sha'] });
    const commit = (info as { sha?: unknown }).sha;
    if (typeof commit !== 'string' || !HEX40.test(commit))
      throw new ScoutError('protocol', `the Hub gave no commit for ${repo}@${revision}`);
    const files: RepoFile[] = [];
    for await (const entry of listFiles({ ...common, repo, revision: commit, recursive: true })) {
      if (entry.type !== 'file') continue;
      files.push(toRepoFile(entry));
    }
    const gated = info.gated === 'auto' || info.gated === 'manual' ? info.gated : false;
    return { repo, revision, commit, gated, files };
  } catch (e) {
    throw hubError(e, client, repo);
  }
}

function toRepoFile(entry: {
  path: string;
  size: number;
  oid?: string;
  lfs?: { oid: string; size: number };
}): RepoFile {
  const path = validateRepoPath(entry.path);
  const size = entry.lfs ? entry.lfs.size : entry.size;
  if (!Number.isSafeInteger(size) || size < 0)
    throw new ScoutError('protocol', `the Hub gave a bad size for ${path}`);
  if (entry.lfs) {
    if (!HEX64.test(entry.lfs.oid)) throw new ScoutError('protocol', `the Hub gave a bad sha256 for ${path}`);
    return { path, size, etag: entry.lfs.oid, sha256: entry.lfs.oid, gitSha1: undefined };
  }
  if (!entry.oid || !HEX40.test(entry.oid))
    throw new ScoutError('protocol', `the Hub gave no git hash for ${path}`);
  return { path, size, etag: entry.oid, sha256: undefined, gitSha1: entry.oid };
}

function loginHint(client: HubClient): string {
  return client.token
    ? `(using the token from ${client.tokenSource ?? 'the caller'})`
    : 'and give Scout a token: set HF_TOKEN or run `hf auth login`';
}

/** The message for a gated repo the token may not read: what to do, where. */
export function gatedMessage(client: HubClient, repo: string, serverMessage?: string): string {
  const detail = serverMessage ? ` The Hub said: ${serverMessage.slice(0, 300)}` : '';
  return (
    `${repo} is a gated model: accept its license at ${client.hubUrl}/${repo} while logged in, ` +
    `${loginHint(client)}, then run this again.${detail}`
  );
}

/**
 * Maps an HTTP status (and the Hub's X-Error-Code header when there is one) to a ScoutError. The Hub
 * answers 401 for both "no such repo" and "gated, no token", so the error code header decides.
 */
export function httpError(
  client: HubClient,
  repo: string,
  status: number,
  errorCode: string | null,
  serverMessage: string | undefined,
  what: string,
): ScoutError {
  if (
    errorCode === 'GatedRepo' ||
    (status === 403 && /gated|restricted|authorized list/i.test(serverMessage ?? ''))
  )
    return new ScoutError('access_denied', gatedMessage(client, repo, serverMessage));
  if (errorCode === 'RepoNotFound' || (status === 401 && !client.token))
    return new ScoutError(
      'not_found',
      `${repo} was not found on ${client.hubUrl}; if it is private or gated, log in ${loginHint(client)}`,
    );
  if (status === 401)
    return new ScoutError(
      'network',
      `the Hub rejected the token from ${client.tokenSource ?? 'the caller'} (401) for ${what}`,
    );
  if (status === 403)
    return new ScoutError(
      'network',
      `access to ${what} was refused (403)${serverMessage ? `: ${serverMessage.slice(0, 300)}` : ''}`,
    );
  if (status === 404 || errorCode === 'EntryNotFound' || errorCode === 'RevisionNotFound')
    return new ScoutError(
      'not_found',
      `${what} was not found on the Hub${serverMessage ? `: ${serverMessage.slice(0, 300)}` : ''}`,
    );
  return new ScoutError(
    'network',
    `the Hub answered ${status} for ${what}${serverMessage ? `: ${serverMessage.slice(0, 300)}` : ''}`,
  );
}

/** Turns anything thrown by the Hub client into a ScoutError. */
export function hubError(e: unknown, client: HubClient, repo: string): ScoutError {
  if (e instanceof ScoutError) return e;
  if (e instanceof HubApiError) {
    const data = e.data as { error?: unknown } | undefined;
    const message = typeof data?.error === 'string' ? data.error : e.message;
    return httpError(client, repo, e.statusCode, null, message, repo);
  }
  if (e instanceof Error && e.name === 'AbortError') return new CancelledError('download cancelled');
  const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
  return new ScoutError('network', `cannot reach ${client.hubUrl}: ${cause}`, { cause: e });
}
