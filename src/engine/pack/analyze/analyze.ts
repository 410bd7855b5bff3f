/**
 * Analyze one file: read it, judge it (filter/content.ts), chunk it, outline it, collect its
 * definitions and references, and count the tokens of every block it can appear as. This is the
 * expensive, embarrassingly parallel part of a pack; it runs in worker threads (pool.ts) and its
 * result is cached by content (cache/cache.ts).
 */
import { readFileSync } from 'node:fs';
import type { Tokenizer } from '../../tokenizer/types.js';
import { chunkLines, chunkTree } from '../chunk/chunker.js';
import { languageOf } from '../chunk/languages.js';
import { parse } from '../chunk/parser.js';
import { judgeContent } from '../filter/content.js';
import {
  CHUNK_CLOSE,
  chunkOpen,
  FILE_CLOSE,
  fileOpen,
  numberedLines,
  OUTLINE_CLOSE,
  outlineBody,
  outlineOpen,
} from '../render/format.js';
import type { ExcludeReason, FileAnalysis } from '../types.js';

export type AnalyzeOutcome =
  { ok: true; hash: string; analysis: FileAnalysis } | { ok: false; reason: ExcludeReason; detail?: string };

export interface AnalyzeRequest {
  path: string;
  absPath: string;
  /** Parse for chunks, outline and symbols (see FileAnalysis.syntax). */
  syntax: boolean;
}

/** Identifiers worth linking files by: long enough to be specific, not keywords. */
const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]{2,}/g;
const MAX_REFERENCES = 400;
const COMMON = new Set(
  'the and for not with this that from import export return const let var function class new true false null undefined self else elif then case break continue default public private protected static void int string bool boolean number async await yield try catch finally throw throws type interface extends implements package def end module require include use pub impl struct enum match mut fn let func nil none None True False this super'.split(
    ' ',
  ),
);

export async function analyzeFile(req: AnalyzeRequest, tokenizer: Tokenizer): Promise<AnalyzeOutcome> {
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
    analysis: await analyzeText(req.path, verdict.file.text, tokenizer, req.syntax),
  };
}

export async function analyzeText(
  path: string,
  text: string,
  tokenizer: Tokenizer,
  syntax = true,
): Promise<FileAnalysis> {
  const lines = splitLines(text);
  const spec = languageOf(path);
  let parsed = false;
  let chunks = lines.length > 0 ? chunkLines(text) : [];
  let outline: FileAnalysis['outline'] = [];
  let definitions: string[] = [];
  if (spec && syntax && lines.length > 0) {
    const tree = await parse(text, spec);
    if (tree) {
      try {
        const result = chunkTree(tree.root, text, spec);
        ({ chunks, outline, definitions } = result);
        parsed = true;
      } catch {
        // A grammar quirk the chunker did not expect: keep the line chunks; the file still packs.
      } finally {
        tree.dispose();
      }
    }
  }
  const count = (s: string) => tokenizer.count(s);
  // Blocks add up (render/format.ts): count each chunk's lines once, reuse the sums for the full file.
  const bodies = chunks.map((c) => count(numberedLines(lines, c.startLine, c.endLine)));
  const chunkTokens = chunks.map((c, i) => count(chunkOpen(path, c)) + bodies[i]! + count(CHUNK_CLOSE));
  const full = count(fileOpen(path, lines.length)) + bodies.reduce((a, b) => a + b, 0) + count(FILE_CLOSE);
  const outlineTokens = outline.length
    ? count(outlineOpen(path, lines.length)) + count(outlineBody(outline)) + count(OUTLINE_CLOSE)
    : 0;
  return {
    language: spec?.id,
    parsed,
    syntax: syntax || spec === undefined,
    lineCount: lines.length,
    chunks,
    outline,
    definitions,
    references: references(text, new Set(definitions)),
    tokens: { full, outline: outlineTokens, chunks: chunkTokens },
  };
}

/** The file's lines without their newlines; an empty file has none. */
export function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function references(text: string, own: Set<string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(IDENTIFIER)) {
    const id = m[0];
    if (COMMON.has(id) || own.has(id)) continue;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  // Keep the most used (ties in byte order) so a huge file cannot blow up the map or the cache.
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_REFERENCES);
  return Object.fromEntries(top.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}
