/**
 * Finding models on this machine, in the order a user expects to be obeyed:
 *   1. `--model DIR` (an explicit choice: if it is wrong, that is an error, never a silent fallback);
 *   2. $SCOUT_MODEL (the same);
 *   3. configured folders (the extension's setting, or `--folder`): each either a model folder or a
 *      folder of model folders;
 *   4. the Hugging Face caches ($HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub):
 *      models--<owner>--<name>/snapshots/<commit>, Llama 4 Scout first.
 * Describing a model reads config.json, the shard index and file sizes only: no weights.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ScoutError } from '../errors.js';
import { parseLlama4Config } from './config.js';
import { hubCacheCandidates, int4CacheDir, int4CacheKey, INT4_CACHE_MANIFEST, SCOUT_REPO } from './paths.js';
import { INDEX_FILE } from './verify.js';
import type { WeightFormat } from './weights.js';

type Env = Record<string, string | undefined>;

export type ModelSource = 'flag' | 'env' | 'configured' | 'hf-cache';

export interface ModelLocation {
  dir: string;
  source: ModelSource;
  /** owner/name and commit, for HF-cache snapshots. */
  repo?: string;
  commit?: string;
  /** Branches or tags (refs/*) that point at this snapshot. */
  refs?: string[];
}

export interface Int4CacheInfo {
  format: WeightFormat;
  dir: string;
  exists: boolean;
}

export interface ModelSummary extends ModelLocation {
  /** config.architectures[0], when config.json is readable. */
  architecture: string | undefined;
  /** True for a Llama 4 config Scout can run. */
  supported: boolean;
  dtype: string | undefined;
  /** Bytes of the weight shards present. */
  weightBytes: number;
  /** Every shard the index names is present (sizes and hashes are `verify`'s job). */
  complete: boolean;
  int4Caches: Int4CacheInfo[];
  /** Why the model is unusable, when it is. */
  problem: string | undefined;
}

export interface DiscoverOptions {
  model?: string;
  folders?: string[];
  /** Hub caches to scan; default: every standard location. */
  caches?: string[];
  env?: Env;
}

const INT4_FORMATS: WeightFormat[] = ['int4', 'int4_mixed', 'int4_int8_head'];

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function hasConfig(dir: string): Promise<boolean> {
  return (await stat(join(dir, 'config.json')).catch(() => undefined))?.isFile() ?? false;
}

async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** Snapshots of every `models--*` repo in one hub cache, Scout's repo first. */
async function scanHubCache(cache: string): Promise<ModelLocation[]> {
  const found: ModelLocation[] = [];
  for (const name of await entries(cache)) {
    if (!name.startsWith('models--')) continue;
    const repo = name.slice('models--'.length).split('--').join('/');
    const repoDir = join(cache, name);
    const refs = new Map<string, string[]>();
    for (const ref of await entries(join(repoDir, 'refs'))) {
      const commit = (await readFile(join(repoDir, 'refs', ref), 'utf8').catch(() => '')).trim();
      refs.set(commit, [...(refs.get(commit) ?? []), ref]);
    }
    for (const commit of await entries(join(repoDir, 'snapshots'))) {
      const dir = join(repoDir, 'snapshots', commit);
      if (await hasConfig(dir))
        found.push({ dir, source: 'hf-cache', repo, commit, refs: refs.get(commit) ?? [] });
    }
  }
  return found.sort((a, b) => Number(b.repo === SCOUT_REPO) - Number(a.repo === SCOUT_REPO));
}

/** Every place a model may be, in priority order, without duplicates. */
export async function locateModels(o: DiscoverOptions = {}): Promise<ModelLocation[]> {
  const env = o.env ?? process.env;
  const out: ModelLocation[] = [];
  if (o.model) out.push({ dir: o.model, source: 'flag' });
  if (env['SCOUT_MODEL']) out.push({ dir: env['SCOUT_MODEL'], source: 'env' });
  for (const folder of o.folders ?? []) {
    if (await hasConfig(folder)) out.push({ dir: folder, source: 'configured' });
    else
      for (const child of await entries(folder))
        if (await hasConfig(join(folder, child)))
          out.push({ dir: join(folder, child), source: 'configured' });
  }
  for (const cache of o.caches ?? hubCacheCandidates(env))
    if (await isDir(cache)) out.push(...(await scanHubCache(cache)));
  const seen = new Set<string>();
  return out.filter((l) => !seen.has(l.dir) && seen.add(l.dir));
}

/** Reads what `scout model list` shows about one folder. Never throws: problems are reported in the summary. */
export async function describeModel(location: ModelLocation, env: Env = process.env): Promise<ModelSummary> {
  const summary: ModelSummary = {
    ...location,
    architecture: undefined,
    supported: false,
    dtype: undefined,
    weightBytes: 0,
    complete: false,
    int4Caches: [],
    problem: undefined,
  };
  let configText: string;
  try {
    configText = await readFile(join(location.dir, 'config.json'), 'utf8');
    const raw = JSON.parse(configText) as {
      architectures?: unknown;
      torch_dtype?: unknown;
      text_config?: { torch_dtype?: unknown };
    };
    summary.architecture = Array.isArray(raw.architectures) ? String(raw.architectures[0]) : undefined;
    const dtype = raw.text_config?.torch_dtype ?? raw.torch_dtype;
    summary.dtype = typeof dtype === 'string' ? dtype : undefined;
  } catch (e) {
    summary.problem = `no readable config.json (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    return summary;
  }
  try {
    parseLlama4Config(configText);
    summary.supported = true;
  } catch (e) {
    summary.problem = (e as Error).message;
  }

  const { shards, indexText } = await shardList(location.dir);
  let present = 0;
  const identity: string[] = [];
  for (const shard of shards) {
    const path = join(location.dir, shard);
    const s = await stat(path).catch(() => undefined);
    if (!s?.isFile()) continue;
    present++;
    summary.weightBytes += s.size;
    identity.push(`${shard}:${await shardIdentity(path, s.size, s.mtimeMs)}`);
  }
  summary.complete = shards.length > 0 && present === shards.length;
  if (!summary.complete && !summary.problem)
    summary.problem = shards.length
      ? `${shards.length - present} of ${shards.length} weight shards missing`
      : 'no weights';
  if (summary.supported) {
    for (const format of INT4_FORMATS) {
      const dir = int4CacheDir(int4CacheKey(format, configText, `${indexText}\n${identity.join('\n')}`), env);
      const exists = (await stat(join(dir, INT4_CACHE_MANIFEST)).catch(() => undefined))?.isFile() ?? false;
      summary.int4Caches.push({ format, dir, exists });
    }
  }
  return summary;
}

/**
 * What identifies a shard's contents without reading them: in the HF cache, the sha256 its blob is
 * named after (so every snapshot of the same weights shares one int4 cache); elsewhere its size and
 * modification time (so rewritten weights never reuse a stale cache).
 */
async function shardIdentity(path: string, size: number, mtimeMs: number): Promise<string> {
  const blob = basename(await realpath(path).catch(() => path));
  return /^[0-9a-f]{64}$/.test(blob) ? blob : `${size}@${Math.round(mtimeMs)}`;
}

async function shardList(dir: string): Promise<{ shards: string[]; indexText: string }> {
  const indexText = await readFile(join(dir, INDEX_FILE), 'utf8').catch(() => undefined);
  if (indexText === undefined) {
    const single = await stat(join(dir, 'model.safetensors')).catch(() => undefined);
    return { shards: single ? ['model.safetensors'] : [], indexText: '' };
  }
  try {
    const map = (JSON.parse(indexText) as { weight_map?: Record<string, unknown> }).weight_map ?? {};
    const shards = [...new Set(Object.values(map))].filter(
      (s): s is string => typeof s === 'string' && /^[\w.-]+$/.test(s),
    );
    return { shards: shards.sort(), indexText };
  } catch {
    return { shards: [], indexText };
  }
}

export async function findModels(o: DiscoverOptions = {}): Promise<ModelSummary[]> {
  const env = o.env ?? process.env;
  return Promise.all((await locateModels(o)).map((l) => describeModel(l, env)));
}

/**
 * The model to run: the first complete Llama 4 model in priority order. An explicit --model or
 * $SCOUT_MODEL that is unusable is an error naming the problem, not a reason to pick another model.
 */
export async function resolveModel(o: DiscoverOptions = {}): Promise<ModelSummary> {
  const env = o.env ?? process.env;
  const locations = await locateModels(o);
  for (const location of locations) {
    const explicit = location.source === 'flag' || location.source === 'env';
    if (explicit && !(await isDir(location.dir)))
      throw new ScoutError(
        'not_found',
        `${location.source === 'flag' ? '--model' : 'SCOUT_MODEL'} ${location.dir} is not a folder`,
      );
    const summary = await describeModel(location, env);
    if (summary.supported && summary.complete) return summary;
    if (explicit)
      throw new ScoutError(
        summary.supported ? 'not_found' : 'config',
        `${location.dir}: ${summary.problem ?? 'not usable'}`,
      );
  }
  const searched = (o.caches ?? hubCacheCandidates(env)).join(', ');
  throw new ScoutError(
    'not_found',
    `no Llama 4 model found (searched ${o.folders?.length ? `${o.folders.join(', ')}, ` : ''}${searched}); ` +
      `run 'scout model download' or pass --model DIR`,
  );
}
