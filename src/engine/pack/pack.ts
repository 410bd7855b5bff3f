/**
 * The repository packer: the whole codebase as one prompt, within a token budget.
 *
 *   discover → filter (paths) → analyze (read, filter content, chunk, count; in workers, cached)
 *   → rank (repository map, question, open files) → fit (budget) → render
 *
 * Each stage lives in its own folder with a stated contract; `PackDeps` holds the replaceable
 * ones so tests and the sidecar can swap them (a different tokenizer, an in-memory cache, the
 * calling thread instead of workers). A `RepoPacker` keeps its last state in memory: fed with
 * file-change events it re-analyzes only what changed and skips discovery.
 */
import { readFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ScoutError } from '../errors.js';
import { splitLines, type AnalyzeOutcome } from './analyze/analyze.js';
import { WorkerPool, type Analyzer } from './analyze/pool.js';
import { tokenizerId, type TokenizerSource } from './analyze/tokenizer-source.js';
import { PackCache } from './cache/cache.js';
import { checkAborted, discover, type DiscoverResult } from './discover/discover.js';
import { decode } from './filter/content.js';
import { DEFAULT_MAX_FILE_BYTES, pathRuleFor } from './filter/path-rules.js';
import { fit, type CandidateChunk } from './fit/fit.js';
import { bm25 } from './rank/bm25.js';
import { rankFiles } from './rank/repo-map.js';
import * as format from './render/format.js';
import { mapOrder, render } from './render/render.js';
import type { Excluded, ExcludeReason, FileAnalysis, PackOptions, PackResult, RepoFile } from './types.js';

export interface PackDeps {
  discover: (opts: {
    root: string;
    filesExclude?: string[];
    signal?: AbortSignal;
  }) => Promise<DiscoverResult>;
  analyzer: Analyzer;
  /** undefined: no cache (every pack analyzes every file). */
  cache: PackCache | undefined;
  /** Reads a file's bytes for rendering; undefined when it cannot be read any more. */
  readBytes: (absPath: string) => Uint8Array | undefined;
  maxFileBytes: number;
  now: () => number;
}

export interface DefaultDepsOptions {
  tokenizer?: TokenizerSource;
  /** A cache file path, or false for no on-disk cache. Default: the user's cache folder. */
  cacheFile?: string | false;
  workers?: number;
}

/** The production wiring: o200k_base (unless told otherwise), worker threads, the on-disk cache. */
export function defaultDeps(root: string, opts: DefaultDepsOptions = {}): PackDeps {
  const source = opts.tokenizer ?? { kind: 'o200k_base' };
  const id = tokenizerId(source);
  const cacheFile =
    opts.cacheFile === undefined ? PackCache.defaultFile(root, id) : opts.cacheFile || undefined;
  return {
    discover,
    analyzer: new WorkerPool(source, id, opts.workers),
    cache: new PackCache(cacheFile, PackCache.keyFor(id)),
    readBytes: (p) => {
      try {
        return readFileSync(p);
      } catch {
        return undefined;
      }
    },
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    now: () => performance.now(),
  };
}

interface Packed {
  file: RepoFile;
  analysis: FileAnalysis;
}

const DEFAULT_BASE_SHARE = 0.75;
/** Open and recently edited files outrank any text match in the question section. */
const OPEN_FILE_BONUS = 1000;
const RECENT_FILE_BONUS = 500;

export class RepoPacker {
  private discovered: DiscoverResult | undefined;
  private readonly changed = new Set<string>();
  private rediscover = true;
  private readonly lineCache = new Map<string, { mtimeMs: number; size: number; lines: string[] }>();

  constructor(
    readonly root: string,
    private readonly deps: PackDeps,
  ) {}

  /**
   * File-change events (from the extension's watcher): the next pack re-reads only these paths.
   * A path not seen before, or a change to an ignore file, makes the next pack discover again.
   */
  notifyChanged(paths: readonly string[]): void {
    for (const p of paths) {
      const known = this.discovered?.files.some((f) => f.path === p) ?? false;
      if (!known || /(^|\/)\.(git|scout)ignore$/.test(p)) this.rediscover = true;
      this.changed.add(p);
    }
  }

  /** Without events, every pack discovers again (the CLI's one-shot use). */
  invalidateAll(): void {
    this.rediscover = true;
  }

  async pack(opts: Omit<PackOptions, 'root'> = {}): Promise<PackResult> {
    const t0 = this.deps.now();
    const { signal } = opts;
    if (opts.budget !== undefined && (!Number.isSafeInteger(opts.budget) || opts.budget <= 0))
      throw new ScoutError('invalid_argument', `budget must be a positive integer, got ${opts.budget}`);
    const baseShare = opts.baseShare ?? DEFAULT_BASE_SHARE;
    if (!(baseShare > 0 && baseShare <= 1))
      throw new ScoutError('invalid_argument', `baseShare must be in (0, 1], got ${baseShare}`);

    // 1. Discover.
    const found = await this.discoverStage(opts.filesExclude, signal);
    // 2. Filter by path and size.
    const excluded: Excluded[] = [...found.excluded];
    const candidates: RepoFile[] = [];
    for (const file of found.files) {
      const rule = pathRuleFor(file, { maxFileBytes: this.deps.maxFileBytes });
      if (rule) excluded.push({ path: file.path, ...rule });
      else candidates.push(file);
    }
    // 3. Analyze what the cache does not know (in workers).
    // Without a budget every file is shown in full: chunks, outlines and symbols are not needed.
    const syntax = opts.budget !== undefined;
    const { packed, cached } = await this.analyzeStage(candidates, excluded, syntax, signal);
    checkAborted(signal);
    // 4. Rank.
    const centrality = rankFiles(packed.map((p) => ({ path: p.file.path, analysis: p.analysis })));
    const fixedText =
      format.repositoryOpen(basename(this.root), packed.length) +
      format.repositoryMap(mapOrder(packed.map((p) => p.file.path))) +
      format.REPOSITORY_CLOSE;
    const [fixedTokens, questionTagTokens] = await this.deps.analyzer.count([
      fixedText,
      format.QUESTION_OPEN + format.QUESTION_CLOSE,
    ]);
    const chunkCandidates = opts.budget === undefined ? [] : this.questionCandidates(packed, opts);
    // 5. Fit.
    const plan = fit({
      files: packed.map((p, i) => ({ path: p.file.path, analysis: p.analysis, rank: centrality[i]! })),
      fixedTokens: fixedTokens!,
      questionTagTokens: questionTagTokens!,
      budget: opts.budget,
      baseShare,
      candidates: chunkCandidates,
    });
    checkAborted(signal);
    // 6. Render.
    const { text, baseChars } = render({
      rootName: basename(this.root),
      files: packed.map((p) => ({ path: p.file.path, analysis: p.analysis })),
      plan,
      lines: (i) => this.linesOf(packed[i]!),
    });
    this.deps.cache?.save();

    const byReason: Partial<Record<ExcludeReason, number>> = {};
    for (const e of excluded) byReason[e.reason] = (byReason[e.reason] ?? 0) + 1;
    const represented = { full: 0, outline: 0, path: 0 };
    for (const r of plan.representation) represented[r]++;
    excluded.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return {
      text,
      baseChars,
      excluded,
      stats: {
        files: packed.length,
        tokens: plan.totalTokens,
        ms: Math.round(this.deps.now() - t0),
        excluded: byReason,
        represented,
        chunks: plan.chunks.length,
        baseTokens: plan.baseTokens,
        cached,
        tokenizer: this.deps.analyzer.tokenizerId,
      },
    };
  }

  async close(): Promise<void> {
    await this.deps.analyzer.close();
  }

  private async discoverStage(
    filesExclude: string[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<DiscoverResult> {
    if (this.rediscover || !this.discovered) {
      this.discovered = await this.deps.discover({ root: this.root, filesExclude, signal });
      this.rediscover = false;
      this.changed.clear();
      return this.discovered;
    }
    if (this.changed.size > 0) {
      // Only known paths changed: refresh their stat data (a deleted one drops out), no discovery.
      const changed = this.changed;
      const files: RepoFile[] = [];
      for (const f of this.discovered.files) {
        if (!changed.has(f.path)) files.push(f);
        else {
          const st = await lstat(f.absPath).catch(() => undefined);
          if (st?.isFile()) files.push({ ...f, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
        }
      }
      this.discovered = { ...this.discovered, files };
      this.changed.clear();
    }
    return this.discovered;
  }

  private async analyzeStage(
    files: RepoFile[],
    excluded: Excluded[],
    syntax: boolean,
    signal: AbortSignal | undefined,
  ) {
    const outcomes: (AnalyzeOutcome | undefined)[] = files.map((f) => {
      const hit = this.deps.cache?.get(f);
      return hit && syntax && hit.ok && !hit.analysis.syntax ? undefined : hit;
    });
    const missing = files.filter((_, i) => outcomes[i] === undefined);
    const fresh = await this.deps.analyzer.analyze(
      missing.map((f) => ({ path: f.path, absPath: f.absPath, syntax })),
      signal,
    );
    let k = 0;
    const packed: Packed[] = [];
    files.forEach((file, i) => {
      let outcome = outcomes[i];
      if (outcome === undefined) {
        outcome = fresh[k++]!;
        this.deps.cache?.set(file, outcome);
      }
      if (outcome.ok) packed.push({ file, analysis: outcome.analysis });
      else
        excluded.push({
          path: file.path,
          reason: outcome.reason,
          ...(outcome.detail ? { detail: outcome.detail } : {}),
        });
    });
    this.deps.cache?.retain(new Set(files.map((f) => f.path)));
    return { packed, cached: files.length - missing.length };
  }

  /** Token counts of whole texts, from the cache when it knows them (a warm pack then starts no worker). */
  private async countTexts(texts: string[]): Promise<number[]> {
    const known = texts.map((t) => this.deps.cache?.getCount(t));
    const missing = texts.filter((_, i) => known[i] === undefined);
    const fresh = await this.deps.analyzer.count(missing);
    let k = 0;
    return texts.map((t, i) => {
      const cached = known[i];
      if (cached !== undefined) return cached;
      const n = fresh[k++]!;
      this.deps.cache?.setCount(t, n);
      return n;
    });
  }

  /** Chunks for the question section: open files first, then recently edited ones, then BM25 matches. */
  private questionCandidates(packed: Packed[], opts: Omit<PackOptions, 'root'>): CandidateChunk[] {
    const open = new Map((opts.openFiles ?? []).map((p, i) => [p, OPEN_FILE_BONUS - i] as const));
    const recent = new Map((opts.recentFiles ?? []).map((p, i) => [p, RECENT_FILE_BONUS - i] as const));
    const query = opts.query?.trim() ?? '';
    if (!query && open.size === 0 && recent.size === 0) return [];
    const refs: CandidateChunk[] = [];
    const docs: { text: string; symbols: readonly string[] }[] = [];
    packed.forEach((p, file) => {
      const bonus = (open.get(p.file.path) ?? 0) + (recent.get(p.file.path) ?? 0);
      if (!query && bonus === 0) return;
      const lines = this.linesOf(p);
      p.analysis.chunks.forEach((c, chunk) => {
        refs.push({ file, chunk, score: bonus });
        docs.push({
          text: query ? lines.slice(c.startLine - 1, c.endLine).join('\n') : '',
          symbols: c.symbols,
        });
      });
    });
    if (query) bm25(query, docs).forEach((s, i) => (refs[i]!.score += s));
    return refs
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score || a.file - b.file || a.chunk - b.chunk);
  }

  /** The file's lines as analyzed; re-read only when its stat data changed since the last pack. */
  private linesOf(p: Packed): string[] {
    const hit = this.lineCache.get(p.file.path);
    if (hit && hit.mtimeMs === p.file.mtimeMs && hit.size === p.file.size) return hit.lines;
    const bytes = this.deps.readBytes(p.file.absPath);
    const lines = bytes ? splitLines(decode(bytes) ?? '') : [];
    this.lineCache.set(p.file.path, { mtimeMs: p.file.mtimeMs, size: p.file.size, lines });
    return lines;
  }
}

/** One pack of `opts.root`: the CLI's entry point. `overrideDeps` replaces stages (tests). */
export async function pack(
  opts: PackOptions,
  overrideDeps: Partial<PackDeps> & DefaultDepsOptions = {},
): Promise<PackResult> {
  const deps = { ...defaultDeps(opts.root, overrideDeps), ...overrideDeps };
  const packer = new RepoPacker(opts.root, deps);
  try {
    return await packer.pack(opts);
  } finally {
    await packer.close();
  }
}
