/**
 * Fit: decide how each file appears so the output stays within the token budget.
 *
 * The budget is spent in steps. The repository map (every file's path) is always there, so every
 * file is represented at least by its path; a budget too small even for that is an error. Then,
 * in order of importance (PageRank), files get their full text until FULL_SHARE of what is left
 * is used; then outlines (signatures from the syntax tree) for as many further files as fit; then
 * leftover budget turns outlined files into full text. The base is computed from the repository
 * alone, so it is the same for every question; question-specific chunks take what the base left.
 *
 * Files are analyzed lazily, in rank order, only as far as the decision needs (`ensure`): exact
 * counts for the files that may be shown in full, a parse for those that may be outlined. A step
 * ends after MAX_MISSES files in a row did not fit, so a large repository with a modest budget
 * never counts or parses files that could not be shown anyway. Every choice depends only on the
 * repository and the budget, never on what happens to be cached, so the output is reproducible.
 * All token numbers are exact (render/format.ts explains why blocks add up).
 */
import { ScoutError } from '../../errors.js';
import type { AnalysisLevel, FileAnalysis, Representation } from '../types.js';

const FULL_SHARE = 0.7;
const MAX_MISSES = 32;
const BATCH = 64;

export interface FitFile {
  path: string;
  /** Read through this accessor: `ensure` may replace a file's analysis with a deeper one. */
  analysis(): FileAnalysis;
  /** Higher is more important. */
  rank: number;
}

export interface CandidateChunk {
  file: number;
  chunk: number;
  score: number;
}

export interface FitInput {
  files: readonly FitFile[];
  /** Tokens of the parts that are always present (headers, notes, the repository map). */
  fixedTokens: number;
  /** Tokens the question section's own tags take. */
  questionTagTokens: number;
  budget: number | undefined;
  /** Share of the budget the base may use when there is a question section. */
  baseShare: number;
  /** Whether a question section will follow (a query, open or recent files). */
  withQuestion: boolean;
  /** Analyzes the given files (indices into `files`) to at least `level`. */
  ensure(files: number[], level: AnalysisLevel): Promise<void>;
  /** Question-specific chunks, best first; called after the base is decided. */
  candidates(): Promise<CandidateChunk[]>;
}

export interface FitPlan {
  representation: Representation[];
  chunks: CandidateChunk[];
  baseTokens: number;
  totalTokens: number;
}

export async function fit(input: FitInput): Promise<FitPlan> {
  const { files, budget } = input;
  const representation: Representation[] = files.map(() => 'path');
  const all = files.map((_, i) => i);
  let used = input.fixedTokens;
  if (budget === undefined) {
    await input.ensure(all, 'count');
    for (const i of all) {
      representation[i] = 'full';
      used += files[i]!.analysis().tokens.full;
    }
    return { representation, chunks: [], baseTokens: used, totalTokens: used };
  }
  const reserve = input.withQuestion ? input.questionTagTokens : 0;
  if (used + reserve > budget)
    throw new ScoutError(
      'pack',
      `a budget of ${budget} tokens is too small: listing the paths of the ${files.length} files alone takes ${used + reserve} tokens`,
    );

  const baseLimit = input.withQuestion ? Math.max(used, Math.floor(budget * input.baseShare)) : budget;
  const order = all.sort(
    (a, b) => files[b]!.rank - files[a]!.rank || (files[a]!.path < files[b]!.path ? -1 : 1),
  );
  const tokensAs = (i: number, as: Representation) => {
    const t = files[i]!.analysis().tokens;
    return as === 'full' ? t.full : as === 'outline' ? t.outline : 0;
  };
  const tryAs = (i: number, as: Representation, limit: number): boolean => {
    const t = tokensAs(i, as);
    const current = tokensAs(i, representation[i]!);
    if (t === 0 || used - current + t > limit) return false;
    used += t - current;
    representation[i] = as;
    return true;
  };
  /** Walks `candidates` in order, analyzing a batch ahead, until MAX_MISSES in a row fail. */
  const step = async (candidates: number[], level: AnalysisLevel, attempt: (i: number) => boolean) => {
    let misses = 0;
    for (let from = 0; from < candidates.length && misses < MAX_MISSES; from += BATCH) {
      const batch = candidates.slice(from, from + BATCH);
      await input.ensure(batch, level);
      for (const i of batch) {
        misses = attempt(i) ? 0 : misses + 1;
        if (misses >= MAX_MISSES) break;
      }
    }
  };

  const fullLimit = used + Math.floor((baseLimit - used) * FULL_SHARE);
  await step(order, 'count', (i) => tryAs(i, 'full', fullLimit));
  await step(
    order.filter((i) => representation[i] === 'path'),
    'syntax',
    (i) => tryAs(i, 'outline', baseLimit),
  );
  for (const i of order) if (representation[i] === 'outline') tryAs(i, 'full', baseLimit);
  const baseTokens = used;

  const chunks: CandidateChunk[] = [];
  if (input.withQuestion) {
    const limit = budget - reserve;
    for (const c of await input.candidates()) {
      if (representation[c.file] === 'full') continue;
      const t = files[c.file]!.analysis().tokens.chunks[c.chunk];
      if (t === undefined || used + t > limit) continue;
      used += t;
      chunks.push(c);
    }
    if (chunks.length > 0) used += reserve;
  }
  return { representation, chunks, baseTokens, totalTokens: used };
}
