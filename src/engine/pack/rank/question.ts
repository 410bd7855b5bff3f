/**
 * The question section's candidates: chunks of the files the user has open (first), recently
 * edited (next), and the chunks that best match the question (BM25).
 *
 * Two rounds keep this cheap on large repositories: BM25 over whole files picks the few files
 * worth parsing, then BM25 over those files' syntax chunks orders the chunks themselves.
 */
import type { AnalysisLevel, FileAnalysis } from '../types.js';
import type { CandidateChunk } from '../fit/fit.js';
import { bm25 } from './bm25.js';

const OPEN_FILE_BONUS = 1000;
const RECENT_FILE_BONUS = 500;
/** Files whose chunks are scored in the second round. */
const SHORTLIST = 32;

export interface QuestionInput {
  paths: readonly string[];
  analysis(file: number): FileAnalysis;
  lines(file: number): readonly string[];
  ensure(files: number[], level: AnalysisLevel): Promise<void>;
  query?: string;
  openFiles?: readonly string[];
  recentFiles?: readonly string[];
}

export function hasQuestion(q: {
  query?: string;
  openFiles?: readonly string[];
  recentFiles?: readonly string[];
}): boolean {
  return Boolean(q.query?.trim()) || (q.openFiles?.length ?? 0) > 0 || (q.recentFiles?.length ?? 0) > 0;
}

export async function questionCandidates(q: QuestionInput): Promise<CandidateChunk[]> {
  const bonus = new Map<number, number>();
  const index = new Map(q.paths.map((p, i) => [p, i] as const));
  (q.openFiles ?? []).forEach((p, k) => addBonus(bonus, index.get(p), OPEN_FILE_BONUS - k));
  (q.recentFiles ?? []).forEach((p, k) => addBonus(bonus, index.get(p), RECENT_FILE_BONUS - k));
  const query = q.query?.trim() ?? '';

  const shortlist = new Set(bonus.keys());
  if (query) {
    const fileScores = bm25(
      query,
      q.paths.map((p, i) => ({ text: q.lines(i).join('\n'), symbols: [p, ...q.analysis(i).definitions] })),
    );
    const best = [...fileScores.keys()]
      .filter((i) => fileScores[i]! > 0)
      .sort((a, b) => fileScores[b]! - fileScores[a]! || a - b);
    for (const i of best.slice(0, SHORTLIST)) shortlist.add(i);
  }
  const files = [...shortlist].sort((a, b) => a - b);
  await q.ensure(files, 'syntax');

  const refs: CandidateChunk[] = [];
  const docs: { text: string; symbols: readonly string[] }[] = [];
  for (const file of files) {
    const lines = q.lines(file);
    q.analysis(file).chunks.forEach((c, chunk) => {
      refs.push({ file, chunk, score: bonus.get(file) ?? 0 });
      docs.push({
        text: query ? lines.slice(c.startLine - 1, c.endLine).join('\n') : '',
        symbols: c.symbols,
      });
    });
  }
  if (query) bm25(query, docs).forEach((s, i) => (refs[i]!.score += s));
  return refs
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.file - b.file || a.chunk - b.chunk);
}

function addBonus(bonus: Map<number, number>, file: number | undefined, value: number): void {
  if (file !== undefined) bonus.set(file, (bonus.get(file) ?? 0) + value);
}
