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

/**
 * Everything the packer needs to know about one file's content, computed in a worker and cached
 * by content hash (so a rename or a revert costs nothing).
 */
export interface FileAnalysis {
  language: string | undefined;
  /** True when tree-sitter produced the chunks; false when the file was chunked by lines. */
  parsed: boolean;
  /**
   * True when the syntax was looked at (or the file has no grammar). A pack without a budget or a
   * question shows every file in full and needs no syntax, so it skips parsing; a later pack that
   * needs chunks, outlines and symbols re-analyzes the files where this is false.
   */
  syntax: boolean;
  lineCount: number;
  chunks: ChunkInfo[];
  outline: OutlineLine[];
  /** Symbols this file defines (for the repository map). */
  definitions: string[];
  /** Identifiers this file mentions, deduplicated, with counts (for the repository map). */
  references: Record<string, number>;
  /** Exact token counts of the rendered blocks (render/format.ts), with the tokenizer that packs. */
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
  /** Files whose analysis came from the cache rather than a worker. */
  cached: number;
  tokenizer: string;
}

export interface PackResult {
  text: string;
  stats: PackStats;
  excluded: Excluded[];
  /** The first `baseChars` characters of `text` are the stable base. */
  baseChars: number;
}
