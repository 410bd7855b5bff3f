/**
 * The repository packer: the whole codebase as one prompt, within a token budget.
 *
 *   discover → filter (paths) → scan (read, filter content, symbols; in workers, cached)
 *   → rank (repository map) → fit (budget; counts and parses lazily, in rank order)
 *   → question (open files, BM25) → render
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
import { atLeast, splitLines, type AnalyzeOutcome } from './analyze/analyze.js';
import { WorkerPool, type Analyzer } from './analyze/pool.js';
import { tokenizerId, type TokenizerSource } from './analyze/tokenizer-source.js';
import { PackCache } from './cache/cache.js';
import { checkAborted, discover, type DiscoverResult } from './discover/discover.js';
import { decode } from './filter/content.js';
import { DEFAULT_MAX_FILE_BYTES, pathRuleFor } from './filter/path-rules.js';
import { fit } from './fit/fit.js';
import { hasQuestion, questionCandidates } from './rank/question.js';
import { RepoMapRanker } from './rank/repo-map.js';
import * as format from './render/format.js';
import { mapOrder, render } from './render/render.js';
import type {
  AnalysisLevel,
  Excluded,
  ExcludeReason,
  FileAnalysis,
  PackOptions,
  PackResult,
  RepoFile,
} from './types.js';

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

/** The state of one pack() call. */
interface Run {
  packed: Packed[];
  cached: number;
  analyzed: number;
  signal: AbortSignal | undefined;
}

const DEFAULT_BASE_SHARE = 0.75;
/** Progress steps of a pack: list, read, rank, fit, render (the fifth completes it). */
const PACK_STEPS = 5;
const SAVE_AFTER_ANALYZED = 16;

export class RepoPacker {
  private discovered: DiscoverResult | undefined;
  private readonly changed = new Set<string>();
  private rediscover = true;
  private readonly ranker = new RepoMapRanker();
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

    const progress = (step: number, stage: string) => opts.onProgress?.(step, PACK_STEPS, stage);
    // 1. Discover.
    progress(0, 'listing files');
    const found = await this.discoverStage(opts.filesExclude, signal);
    // 2. Filter by path and size.
    const excluded: Excluded[] = [...found.excluded];
    const candidates: RepoFile[] = [];
    for (const file of found.files) {
      const rule = pathRuleFor(file, { maxFileBytes: this.deps.maxFileBytes });
      if (rule) excluded.push({ path: file.path, ...rule });
      else candidates.push(file);
    }
    // 3. Scan every file: read, filter by content, find symbols (in workers, cached).
    progress(1, `reading ${candidates.length} files`);
    const run: Run = { packed: [], cached: 0, analyzed: 0, signal };
    // Without a budget every file is shown in full, so the first pass counts as well: one read per file.
    run.packed = await this.analyzeStage(
      run,
      candidates,
      excluded,
      opts.budget === undefined ? 'count' : 'scan',
    );
    const packed = run.packed;
    // 4. Rank: the repository map (question-independent).
    progress(2, 'ranking files');
    const centrality = this.ranker.rank(packed.map((p) => ({ path: p.file.path, analysis: p.analysis })));
    const paths = packed.map((p) => p.file.path);
    const fixedText =
      format.repositoryOpen(basename(this.root), packed.length) +
      format.repositoryMap(mapOrder(paths)) +
      format.REPOSITORY_CLOSE;
    const [fixedTokens, questionTagTokens] = await this.countTexts([
      fixedText,
      format.QUESTION_OPEN + format.QUESTION_CLOSE,
    ]);
    // 5. Fit, analyzing deeper (counts, syntax) only the files the budget can show.
    progress(3, 'fitting the budget');
    const ensure = (files: number[], level: AnalysisLevel) => this.ensure(run, files, level);
    const plan = await fit({
      files: packed.map((p, i) => ({
        path: p.file.path,
        analysis: () => packed[i]!.analysis,
        rank: centrality[i]!,
      })),
      fixedTokens: fixedTokens!,
      questionTagTokens: questionTagTokens!,
      budget: opts.budget,
      baseShare,
      withQuestion: opts.budget !== undefined && hasQuestion(opts),
      ensure,
      candidates: () =>
        questionCandidates({
          paths,
          analysis: (i) => packed[i]!.analysis,
          lines: (i) => this.linesOf(packed[i]!),
          ensure,
          query: opts.query,
          openFiles: opts.openFiles,
          recentFiles: opts.recentFiles,
        }),
    });
    checkAborted(signal);
    // 6. Render.
    progress(4, 'rendering');
    const { text, baseChars } = render({
      rootName: basename(this.root),
      files: packed.map((p) => ({ path: p.file.path, analysis: p.analysis })),
      plan,
      lines: (i) => this.linesOf(packed[i]!),
    });
    // Writing the cache costs time proportional to the repository: after a pack that analyzed only
    // a few files (an edit), leave it to close() or the next larger pack.
    if (run.analyzed >= SAVE_AFTER_ANALYZED) this.deps.cache?.save();

    const byReason: Partial<Record<ExcludeReason, number>> = {};
    progress(PACK_STEPS, 'done');
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
        cached: run.cached,
        analyzed: run.analyzed,
        tokenizer: this.deps.analyzer.tokenizerId,
      },
    };
  }

  async close(): Promise<void> {
    this.deps.cache?.save();
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

  /** Scans every candidate (cache first); files judged by content join `excluded`. */
  private async analyzeStage(
    run: Run,
    files: RepoFile[],
    excluded: Excluded[],
    level: AnalysisLevel,
  ): Promise<Packed[]> {
    const outcomes = await this.analyzeFiles(run, files, level);
    const packed: Packed[] = [];
    files.forEach((file, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) packed.push({ file, analysis: outcome.analysis });
      else
        excluded.push({
          path: file.path,
          reason: outcome.reason,
          ...(outcome.detail ? { detail: outcome.detail } : {}),
        });
    });
    this.deps.cache?.retain(new Set(files.map((f) => f.path)));
    return packed;
  }

  /** Brings the given packed files to at least `level`. A file that changed into something not packable shows as its path only. */
  private async ensure(run: Run, indices: number[], level: AnalysisLevel): Promise<void> {
    const need = indices.filter((i) => !atLeast(run.packed[i]!.analysis.level, level));
    if (need.length === 0) return;
    const outcomes = await this.analyzeFiles(
      run,
      need.map((i) => run.packed[i]!.file),
      level,
    );
    need.forEach((i, k) => {
      const outcome = outcomes[k]!;
      const p = run.packed[i]!;
      p.analysis = outcome.ok
        ? outcome.analysis
        : { ...p.analysis, level, tokens: { full: 0, outline: 0, chunks: [] }, chunks: [], outline: [] };
    });
  }

  private async analyzeFiles(run: Run, files: RepoFile[], level: AnalysisLevel): Promise<AnalyzeOutcome[]> {
    const outcomes: (AnalyzeOutcome | undefined)[] = files.map((f) => {
      const hit = this.deps.cache?.get(f);
      return hit && (!hit.ok || atLeast(hit.analysis.level, level)) ? hit : undefined;
    });
    const missing = files.filter((_, i) => outcomes[i] === undefined);
    run.cached += files.length - missing.length;
    run.analyzed += missing.length;
    const fresh = await this.deps.analyzer.analyze(
      missing.map((f) => ({ path: f.path, absPath: f.absPath, level })),
      run.signal,
    );
    let k = 0;
    return files.map((file, i) => {
      const known = outcomes[i];
      if (known) return known;
      const outcome = fresh[k++]!;
      this.deps.cache?.set(file, outcome);
      return outcome;
    });
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
