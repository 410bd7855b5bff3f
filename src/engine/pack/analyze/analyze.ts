/**
 * Analyze one file, to the level a pack needs (AnalysisLevel in types.ts):
 *   scan    read it, judge it (filter/content.ts), count its lines, find its symbols for ranking;
 *   count   + the exact tokens of the file shown in full;
 *   syntax  + tree-sitter chunks and outline, and the tokens of each chunk and of the outline.
 * This is the expensive, embarrassingly parallel part of a pack: it runs in worker threads
 * (pool.ts), and its results are cached (cache/cache.ts), so a level is computed once per content.
 */
import { readFileSync } from 'node:fs';
import { ScoutError } from '../../errors.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { chunkLines, chunkTree } from '../chunk/chunker.js';
import { languageOf } from '../chunk/languages.js';
import { parse } from '../chunk/parser.js';
import { judgeContent } from '../filter/content.js';
import { scanSymbols } from '../rank/symbols.js';
import * as format from '../render/format.js';
import type { AnalysisLevel, ExcludeReason, FileAnalysis } from '../types.js';

export type AnalyzeOutcome =
  { ok: true; hash: string; analysis: FileAnalysis } | { ok: false; reason: ExcludeReason; detail?: string };

export interface AnalyzeRequest {
  path: string;
  absPath: string;
  level: AnalysisLevel;
}

export const LEVELS: readonly AnalysisLevel[] = ['scan', 'count', 'syntax'];

export function atLeast(have: AnalysisLevel, want: AnalysisLevel): boolean {
  return LEVELS.indexOf(have) >= LEVELS.indexOf(want);
}

/** `tokenizer` is asked for only when the level needs counts. */
export async function analyzeFile(
  req: AnalyzeRequest,
  tokenizer: () => Promise<Tokenizer>,
): Promise<AnalyzeOutcome> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(req.absPath);
  } catch (e) {
    return { ok: false, reason: 'unreadable', detail: (e as NodeJS.ErrnoException).code ?? 'read failed' };
  }
  const verdict = judgeContent(req.path, bytes);
  if (!verdict.ok) return verdict;
  return {
    ok: true,
    hash: verdict.file.hash,
    analysis: await analyzeText(
      req.path,
      verdict.file.text,
      req.level === 'scan' ? undefined : await tokenizer(),
      req.level,
    ),
  };
}

export async function analyzeText(
  path: string,
  text: string,
  tokenizer: Tokenizer | undefined,
  level: AnalysisLevel = 'syntax',
): Promise<FileAnalysis> {
  const lines = splitLines(text);
  const spec = languageOf(path);
  const analysis: FileAnalysis = {
    level,
    language: spec?.id,
    parsed: false,
    lineCount: lines.length,
    chunks: [],
    outline: [],
    symbols: [],
    ...scanSymbols(text),
    tokens: { full: 0, outline: 0, chunks: [] },
  };
  if (level === 'scan') return analysis;
  if (!tokenizer) throw new ScoutError('internal', `analyzing ${path} to '${level}' needs a tokenizer`);

  let chunks = lines.length > 0 ? chunkLines(text) : [];
  if (level === 'syntax' && spec && lines.length > 0) {
    const tree = await parse(text, spec);
    if (tree) {
      try {
        const result = chunkTree(tree.root, text, spec);
        chunks = result.chunks;
        analysis.outline = result.outline;
        analysis.symbols = result.definitions;
        analysis.parsed = true;
      } catch {
        // A grammar quirk the chunker did not expect: keep the line chunks; the file still packs.
      } finally {
        tree.dispose();
      }
    }
  }
  const count = (s: string) => tokenizer.count(s);
  // Blocks add up (render/format.ts): count each chunk's lines once and reuse the sums.
  const bodies = chunks.map((c) => count(format.numberedLines(lines, c.startLine, c.endLine)));
  analysis.tokens.full =
    count(format.fileOpen(path, lines.length)) + bodies.reduce((a, b) => a + b, 0) + count(format.FILE_CLOSE);
  if (level === 'syntax') {
    analysis.chunks = chunks;
    analysis.tokens.chunks = chunks.map(
      (c, i) => count(format.chunkOpen(path, c)) + bodies[i]! + count(format.CHUNK_CLOSE),
    );
    if (analysis.outline.length > 0) {
      const open = format.outlineOpen(path, lines.length);
      analysis.tokens.outline =
        count(open) + count(format.outlineBody(analysis.outline)) + count(format.OUTLINE_CLOSE);
    }
  }
  return analysis;
}

/** The file's lines without their newlines; an empty file has none. */
export function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
