/**
 * The data that flows between the packer's stages (pack.ts lists them in order):
 *
 *   discover → RepoFile[]  filter/read → ReadFile[]  analyze → FileAnalysis  rank → scores
 *   fit → FitPlan  render → the packed text
 *
 * Paths are always POSIX-style and relative to the repository root; line numbers are 1-based and
 * inclusive. Everything here is plain data so it can cross a worker boundary and sit in the cache.
 */

/** Why a file that exists in the repository was left out of the pack. Reported as counts by reason. */
export type ExcludeReason =
  | 'scoutignore'
  | 'files-exclude'
  | 'symlink'
  | 'not-regular'
  | 'too-large'
  | 'binary'
  | 'lock-file'
  | 'minified'
  | 'generated'
  | 'vendored'
  | 'secret-path'
  | 'secret-content'
  | 'unreadable';

export interface Excluded {
  path: string;
  reason: ExcludeReason;
  /** A short human explanation, e.g. the secret pattern's name; never the secret itself. */
  detail?: string;
}

/** A file found by discovery, before its content is read. */
export interface RepoFile {
  path: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** What a syntax-tree (or line) chunk is. */
export type ChunkKind =
  | 'function'
  | 'method'
  | 'class'
  | 'interface'
  | 'type'
  | 'enum'
  | 'module'
  | 'variable'
  | 'section'
  | 'block'
  | 'lines';

/** A contiguous run of lines of one file. Chunks of a file tile it: no gaps, no overlaps. */
export interface ChunkInfo {
  startLine: number;
  endLine: number;
  kind: ChunkKind;
  /** The defined symbols inside, outermost first ("Class.method" for methods); empty for plain blocks. */
  symbols: string[];
}

/** One line of a file's outline: a definition's signature and where it starts. */
export interface OutlineLine {
  line: number;
  /** Indentation depth (0 = top level, 1 = member). */
  depth: number;
  text: string;
}

/** How far a file has been analyzed; each level includes the ones before it. */
export type AnalysisLevel = 'scan' | 'count' | 'syntax';

/**
 * Everything the packer needs to know about one file's content, computed in a worker and cached
 * (so a level is computed once per content). Fields marked with a level are empty below it.
 */
export interface FileAnalysis {
  level: AnalysisLevel;
  language: string | undefined;
  lineCount: number;
  /** Symbols the file defines, from the text scan (rank/symbols.ts): what the repository map links. */
  definitions: string[];
  /** Identifiers the file mentions, with counts, from the same scan. */
  references: Record<string, number>;
  /** syntax: true when tree-sitter produced the chunks; false when the file was chunked by lines. */
  parsed: boolean;
  /** syntax: the chunks (they tile the file). */
  chunks: ChunkInfo[];
  /** syntax: each definition's signature. */
  outline: OutlineLine[];
  /** syntax: the symbols tree-sitter found (names chunks; not used for ranking). */
  symbols: string[];
  /** Exact token counts of the rendered blocks (render/format.ts): `full` from count, the rest from syntax. */
  tokens: { full: number; outline: number; chunks: number[] };
}

/** Options the caller controls. */
export interface PackOptions {
  root: string;
  /** Token budget for the whole output; undefined = no budget (everything in full). */
  budget?: number;
  /** The user's question: ranks question-specific chunks after the stable base. */
  query?: string;
  /** Files open in the editor, most recent first (from the extension). */
  openFiles?: string[];
  /** Recently edited files, most recent first (from the extension). */
  recentFiles?: string[];
  /** VS Code's `files.exclude` globs that are enabled, when called from the extension. */
  filesExclude?: string[];
  /** Called as each stage starts: `step` of `steps`, with what it is doing (for progress bars). */
  onProgress?: (step: number, steps: number, stage: string) => void;
  /** Share of the budget for the question-independent base (0..1). */
  baseShare?: number;
  signal?: AbortSignal;
}

/** How each file appears in the output. */
export type Representation = 'full' | 'outline' | 'path';

export interface PackStats {
  files: number;
  tokens: number;
  ms: number;
  excluded: Partial<Record<ExcludeReason, number>>;
  represented: Record<Representation, number>;
  /** Question-specific chunks included after the base. */
  chunks: number;
  /** Tokens of the stable base: every question about this repository state shares this prefix. */
  baseTokens: number;
  /** File analyses served by the cache. */
  cached: number;
  /** File analyses computed by this pack (a file can be analyzed at more than one level). */
  analyzed: number;
  tokenizer: string;
}

export interface PackResult {
  text: string;
  stats: PackStats;
  excluded: Excluded[];
  /** The first `baseChars` characters of `text` are the stable base. */
  baseChars: number;
}
