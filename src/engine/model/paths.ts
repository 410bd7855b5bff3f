/**
 * Where model files live on disk: the Hugging Face cache (shared with every other tool that uses the
 * Hub's layout), the Hub token, and the folder where Scout keeps its int4 weight caches.
 *
 * HF cache layout (huggingface_hub's, which @huggingface/hub also follows):
 *   <cache>/models--<owner>--<name>/blobs/<etag>          file contents; etag = sha256 for LFS files,
 *                                                          the git blob sha1 for small files
 *   <cache>/models--<owner>--<name>/refs/<revision>       the commit a branch or tag pointed to
 *   <cache>/models--<owner>--<name>/snapshots/<commit>/<path> → ../../blobs/<etag>  (relative symlink)
 * Naming blobs by their hash is what lets `scout model verify` check a snapshot against the Hub's
 * metadata long after the download, without any side file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { ScoutError } from '../errors.js';

export const SCOUT_REPO = 'meta-llama/Llama-4-Scout-17B-16E-Instruct';

type Env = Record<string, string | undefined>;

/** $HOME from the given environment (so tests and callers can redirect it), else the OS's answer. */
function home(env: Env): string {
  return env['HOME'] || os.homedir();
}

/** The user's cache folder: $XDG_CACHE_HOME, else ~/.cache. */
export function xdgCache(env: Env = process.env): string {
  return env['XDG_CACHE_HOME'] || join(home(env), '.cache');
}

function hfHome(env: Env): string {
  return env['HF_HOME'] || join(xdgCache(env), 'huggingface');
}

/** The cache huggingface_hub writes to: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function defaultHubCache(env: Env = process.env): string {
  return env['HF_HUB_CACHE'] || env['HUGGINGFACE_HUB_CACHE'] || join(hfHome(env), 'hub');
}

/** Every cache a model may already sit in, most specific first, without duplicates. */
export function hubCacheCandidates(env: Env = process.env): string[] {
  const dirs = [
    env['HF_HUB_CACHE'],
    env['HUGGINGFACE_HUB_CACHE'],
    env['HF_HOME'] && join(env['HF_HOME'], 'hub'),
    join(xdgCache(env), 'huggingface', 'hub'),
    join(home(env), '.cache', 'huggingface', 'hub'),
  ];
  return [...new Set(dirs.filter((d): d is string => !!d))];
}

/** `owner/name` → `<cache>/models--owner--name`. */
export function repoStorageDir(cache: string, repo: string): string {
  return join(cache, getRepoFolderName({ name: repo, type: 'model' }));
}

/** Checks a repo id before it becomes part of a path or URL. */
export function validateRepoId(repo: string): string {
  if (
    !/^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/.test(repo) ||
    repo.includes('..') ||
    repo.includes('--')
  )
    throw new ScoutError('invalid_argument', `'${repo}' is not a Hugging Face model id (owner/name)`);
  return repo;
}

export interface HubToken {
  token: string;
  /** Where it came from, for messages (never the token itself). */
  source: string;
}

/**
 * The token the Hugging Face CLI would use: $HF_TOKEN, else the file at $HF_TOKEN_PATH, else
 * $HF_HOME/token (what `hf auth login` writes). Undefined when there is none: public repos need none.
 */
export async function readHubToken(env: Env = process.env): Promise<HubToken | undefined> {
  const fromEnv = env['HF_TOKEN']?.trim();
  if (fromEnv) return { token: checkToken(fromEnv, 'HF_TOKEN'), source: 'HF_TOKEN' };
  const file = env['HF_TOKEN_PATH'] || join(hfHome(env), 'token');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ScoutError(
      'io',
      `cannot read the Hugging Face token file ${file}: ${(e as NodeJS.ErrnoException).code}`,
    );
  }
  const token = text.trim();
  return token ? { token: checkToken(token, file), source: file } : undefined;
}

function checkToken(token: string, source: string): string {
  if (!/^hf_[A-Za-z0-9]{10,200}$/.test(token))
    throw new ScoutError(
      'invalid_argument',
      `the Hugging Face token from ${source} is not a token (expected hf_ followed by letters and digits)`,
    );
  return token;
}

/**
 * The folder of one int4 weight cache (written by the quantizer, the next engine issue):
 * $XDG_CACHE_HOME/scout/int4/<key>, key = the model's identity (see int4CacheKey) and the format.
 * The quantizer writes `manifest.json` last, so a cache exists exactly when that file does.
 */
export function int4CacheDir(key: string, env: Env = process.env): string {
  if (!/^[0-9a-z_-]{1,128}$/.test(key))
    throw new ScoutError('invalid_argument', `bad int4 cache key '${key}'`);
  return join(xdgCache(env), 'scout', 'int4', key);
}

export const INT4_CACHE_MANIFEST = 'manifest.json';

/**
 * A model's identity for its int4 caches: the hash of its config and shard index (or, for a single
 * file, of the shard's header), so the same weights in two folders share one cache and changed
 * weights never reuse a stale one.
 */
export function int4CacheKey(format: string, configText: string, indexOrHeader: string): string {
  const h = createHash('sha256').update(configText).update('\0').update(indexOrHeader).digest('hex');
  return `${format}-${h.slice(0, 24)}`;
}
