/**
 * `scout model verify DIR`: is this folder a complete, intact Llama 4 checkpoint?
 *
 * Checks, in order, collecting every problem rather than stopping at the first:
 *   1. config.json parses and describes a Llama 4 model;
 *   2. the shard index names only plain files in the folder, all present, and its total_size is
 *      the sum of the tensors' bytes;
 *   3. every shard's safetensors header is valid and its size is exactly what the header implies;
 *   4. each tensor is in the shard the index says, once;
 *   5. the tensors are exactly those the config implies, with the config's shapes and dtype;
 *   6. files that are HF-cache links to hash-named blobs (sha256 for LFS, git sha1 otherwise) hash to
 *      their names: that is the Hub's metadata, kept by the cache layout itself.
 * Symlinks may point into the folder or into its HF-cache repo folder (snapshots → ../../blobs), nowhere else.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { ScoutError } from '../errors.js';
import { parseLlama4Config, type Llama4Config } from './config.js';
import { readSafetensorsHeader, type SafetensorsHeader } from './safetensors.js';
import { expectedTensors } from './tensors.js';

export interface VerifiedFile {
  path: string;
  size: number;
  /** ok: matches its blob name; mismatch: does not; none: no hash known (not a hash-named blob); skipped: --no-hash. */
  hash: 'ok' | 'mismatch' | 'none' | 'skipped';
}

export interface VerifyReport {
  dir: string;
  ok: boolean;
  architecture: string | undefined;
  shards: number;
  tensors: number;
  files: VerifiedFile[];
  issues: string[];
}

export interface VerifyOptions {
  /** Hash every hash-named file (reads all bytes: minutes for 218 GB). Default true. */
  hashes?: boolean;
  /** Called once with the bytes that will be hashed, before hashing starts. */
  onHashStart?: (totalBytes: number) => void;
  onHashBytes?: (delta: number) => void;
  signal?: AbortSignal;
}

export const INDEX_FILE = 'model.safetensors.index.json';
const SINGLE_FILE = 'model.safetensors';
const DTYPE_OF: Record<string, string> = { bfloat16: 'BF16', float16: 'F16', float32: 'F32' };
const MAX_LISTED = 20;

export async function verifyModel(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new ScoutError('not_found', `${dir} is not a folder`);
  const issues: string[] = [];
  const report: VerifyReport = {
    dir,
    ok: false,
    architecture: undefined,
    shards: 0,
    tensors: 0,
    files: [],
    issues,
  };
  const allowedRoots = await allowedTargets(dir);

  // 1. config
  let config: Llama4Config | undefined;
  try {
    config = parseLlama4Config(await readFile(join(dir, 'config.json'), 'utf8'));
    report.architecture = config.architecture;
  } catch (e) {
    issues.push(
      e instanceof ScoutError
        ? `config.json: ${e.message}`
        : `config.json: cannot read (${(e as NodeJS.ErrnoException).code})`,
    );
  }

  // 2–4. index and shards
  const { shardNames, weightMap, totalSize } = await readIndex(dir, issues);
  const headers = new Map<string, SafetensorsHeader>();
  for (const name of shardNames) {
    const path = join(dir, name);
    if (!(await insideAllowed(path, allowedRoots, issues, name))) continue;
    try {
      headers.set(name, await readSafetensorsHeader(path));
    } catch (e) {
      issues.push(
        e instanceof ScoutError && e.code === 'not_found' ? `${name}: missing` : `${(e as Error).message}`,
      );
    }
  }
  report.shards = shardNames.length;
  const found = new Map<string, { shard: string; dtype: string; shape: number[] }>();
  let tensorBytes = 0;
  for (const [shard, header] of headers) {
    for (const t of header.tensors) {
      const prior = found.get(t.name);
      if (prior) issues.push(`tensor ${t.name} is in both ${prior.shard} and ${shard}`);
      found.set(t.name, { shard, dtype: t.dtype, shape: t.shape });
      tensorBytes += t.end - t.begin;
      if (weightMap && weightMap.get(t.name) !== shard)
        issues.push(
          `tensor ${t.name} is in ${shard} but the index says ${weightMap.get(t.name) ?? 'nothing'}`,
        );
    }
  }
  if (weightMap)
    for (const [name, shard] of weightMap)
      if (headers.has(shard) && !found.has(name))
        issues.push(`the index lists ${name} in ${shard}, but no shard holds it`);
  if (totalSize !== undefined && headers.size === shardNames.length && totalSize !== tensorBytes)
    issues.push(`the index's total_size is ${totalSize} but the shards hold ${tensorBytes} bytes of tensors`);
  report.tensors = found.size;

  // 5. config ↔ tensors
  if (config && headers.size === shardNames.length) checkAgainstConfig(config, found, issues);

  // 6. hashes of hash-named blobs
  report.files = await checkHashes(dir, allowedRoots, options, issues);
  report.ok = issues.length === 0;
  return report;
}

async function readIndex(dir: string, issues: string[]) {
  const indexPath = join(dir, INDEX_FILE);
  let text: string | undefined;
  try {
    text = await readFile(indexPath, 'utf8');
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    const single = await stat(join(dir, SINGLE_FILE)).catch(() => undefined);
    if (!single) issues.push(`neither ${INDEX_FILE} nor ${SINGLE_FILE} is present`);
    return { shardNames: single ? [SINGLE_FILE] : [], weightMap: undefined, totalSize: undefined };
  }
  let json: { weight_map?: unknown; metadata?: { total_size?: unknown } };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    issues.push(`${INDEX_FILE} is not valid JSON`);
    return { shardNames: [], weightMap: undefined, totalSize: undefined };
  }
  const map = json.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    issues.push(`${INDEX_FILE} has no weight_map object`);
    return { shardNames: [], weightMap: undefined, totalSize: undefined };
  }
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(map)) {
    // A shard is a plain file name: no folders, no '..', no absolute paths (bad-inputs.md ST 15).
    if (typeof shard !== 'string' || !/^[\w.-]+\.safetensors$/.test(shard) || shard.startsWith('..')) {
      issues.push(`${INDEX_FILE} names an unsafe shard '${String(shard).slice(0, 100)}' for ${name}`);
      continue;
    }
    weightMap.set(name, shard);
  }
  const total = json.metadata?.total_size;
  const totalSize =
    typeof total === 'number' && Number.isSafeInteger(total) && total >= 0 ? total : undefined;
  if (total !== undefined && totalSize === undefined)
    issues.push(`${INDEX_FILE} has a bad metadata.total_size`);
  return { shardNames: [...new Set(weightMap.values())].sort(), weightMap, totalSize };
}

function checkAgainstConfig(
  config: Llama4Config,
  found: Map<string, { dtype: string; shape: number[] }>,
  issues: string[],
): void {
  const expected = expectedTensors(config);
  const dtype = DTYPE_OF[config.text.dtype]!;
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const spec of expected) {
    const t = found.get(spec.name);
    if (!t) missing.push(spec.name);
    else if (t.shape.join(',') !== spec.shape.join(','))
      wrong.push(
        `${spec.name} has shape [${t.shape.join(', ')}], the config implies [${spec.shape.join(', ')}]`,
      );
    else if (t.dtype !== dtype)
      wrong.push(`${spec.name} is ${t.dtype}, the config says ${config.text.dtype}`);
  }
  const names = new Set(expected.map((s) => s.name));
  const extra = [...found.keys()].filter((n) => !names.has(n));
  const list = (xs: string[]) =>
    xs.slice(0, MAX_LISTED).join(', ') + (xs.length > MAX_LISTED ? `, … (${xs.length} in all)` : '');
  if (missing.length)
    issues.push(`${missing.length} tensors the config implies are missing: ${list(missing)}`);
  if (extra.length) issues.push(`${extra.length} tensors the config does not describe: ${list(extra)}`);
  issues.push(...wrong.slice(0, MAX_LISTED));
  if (wrong.length > MAX_LISTED)
    issues.push(`… and ${wrong.length - MAX_LISTED} more shape or dtype mismatches`);
}

/** The folder itself, plus the HF-cache repo folder when DIR is snapshots/<commit>. */
async function allowedTargets(dir: string): Promise<string[]> {
  const real = await realpath(dir);
  const roots = [real];
  if (basename(dirname(dir)) === 'snapshots')
    roots.push(await realpath(join(dir, '..', '..')).catch(() => real));
  return roots;
}

async function insideAllowed(
  path: string,
  roots: string[],
  issues: string[],
  name: string,
): Promise<boolean> {
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return true; // missing: reported by the header read
  if (roots.some((r) => real === r || real.startsWith(r + sep))) return true;
  issues.push(`${name} links outside the model folder (to ${real})`);
  return false;
}

async function checkHashes(
  dir: string,
  roots: string[],
  o: VerifyOptions,
  issues: string[],
): Promise<VerifiedFile[]> {
  // First the cheap pass (links, sizes, which hash each blob name carries), so progress knows the total.
  const files: Array<{ path: string; real: string; size: number; kind: 'sha256' | 'sha1' | undefined }> = [];
  for (const path of await listFiles(dir)) {
    const full = join(dir, path);
    if ((await lstat(full)).isSymbolicLink() && !(await insideAllowed(full, roots, issues, path))) continue;
    const real = await realpath(full).catch(() => undefined);
    if (!real) {
      issues.push(`${path}: broken link`);
      continue;
    }
    const blob = basename(real);
    const kind = /^[0-9a-f]{64}$/.test(blob) ? 'sha256' : /^[0-9a-f]{40}$/.test(blob) ? 'sha1' : undefined;
    files.push({ path, real, size: (await stat(real)).size, kind });
  }
  const hashing = o.hashes !== false;
  if (hashing) o.onHashStart?.(files.filter((f) => f.kind).reduce((a, f) => a + f.size, 0));

  const out: VerifiedFile[] = [];
  for (const { path, real, size, kind } of files) {
    if (!kind || !hashing) {
      out.push({ path, size, hash: kind ? 'skipped' : 'none' });
      continue;
    }
    const blob = basename(real);
    const digest = await hashFile(real, kind, size, o);
    const ok = digest === blob;
    if (!ok)
      issues.push(
        `${path}: contents hash to ${digest}, but the Hub's ${kind === 'sha256' ? 'sha256' : 'git sha1'} is ${blob}`,
      );
    out.push({ path, size, hash: ok ? 'ok' : 'mismatch' });
  }
  return out;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    if (entry.name === '.cache') continue; // huggingface_hub's local-dir bookkeeping, not model files
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

async function hashFile(
  path: string,
  kind: 'sha256' | 'sha1',
  size: number,
  o: VerifyOptions,
): Promise<string> {
  const hash = createHash(kind);
  if (kind === 'sha1') hash.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal: o.signal })) {
    hash.update(chunk as Buffer);
    o.onHashBytes?.((chunk as Buffer).length);
  }
  return hash.digest('hex');
}
