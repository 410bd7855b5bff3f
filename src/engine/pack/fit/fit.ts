/**
 * Fit: decide how each file appears so the output stays within the token budget.
 *
 * The budget is spent in steps. The repository map (every file's path) is always there, so every
 * file is represented at least by its path; a budget too small even for that is an error. Then,
 * in order of importance (PageRank), files get their full text, until FULL_SHARE of what is left
 * is used; then outlines (signatures) for as many further files as fit; then leftover budget turns
 * more files into full text. The base is computed from the repository alone, so it is the same
 * for every question; question-specific chunks then take what the base left, best first.
 *
 * All token numbers are exact (see render/format.ts for why blocks add up).
 */
import { ScoutError } from '../../errors.js';
import type { FileAnalysis, Representation } from '../types.js';

const FULL_SHARE = 0.7;

export interface FitFile {
  path: string;
  analysis: FileAnalysis;
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
  /** Tokens the question section's own tags take, when there is one. */
  questionTagTokens: number;
  budget: number | undefined;
  /** Share of the budget the base may use when there is a question section. */
  baseShare: number;
  /** Question-specific chunks, best first; empty when there is no question and no open files. */
  candidates: readonly CandidateChunk[];
}

export interface FitPlan {
  representation: Representation[];
  chunks: CandidateChunk[];
  baseTokens: number;
  totalTokens: number;
}

export function fit(input: FitInput): FitPlan {
  const { files, budget } = input;
  const representation: Representation[] = files.map(() => 'path');
  let used = input.fixedTokens;
  if (budget === undefined) {
    for (let i = 0; i < files.length; i++) {
      representation[i] = 'full';
      used += files[i]!.analysis.tokens.full;
    }
    return { representation, chunks: [], baseTokens: used, totalTokens: used };
  }
  const withQuestion = input.candidates.length > 0;
  const reserve = withQuestion ? input.questionTagTokens : 0;
  if (used + reserve > budget)
    throw new ScoutError(
      'pack',
      `a budget of ${budget} tokens is too small: listing the paths of the ${files.length} files alone takes ${used + reserve} tokens`,
    );

  const baseLimit = withQuestion ? Math.max(used, Math.floor(budget * input.baseShare)) : budget;
  const order = files
    .map((_, i) => i)
    .sort((a, b) => files[b]!.rank - files[a]!.rank || (files[a]!.path < files[b]!.path ? -1 : 1));
  const fullLimit = used + Math.floor((baseLimit - used) * FULL_SHARE);

  const tryAs = (i: number, as: Representation, limit: number) => {
    const t = as === 'full' ? files[i]!.analysis.tokens.full : files[i]!.analysis.tokens.outline;
    const current = representation[i] === 'outline' ? files[i]!.analysis.tokens.outline : 0;
    if (t === 0 || used - current + t > limit) return;
    used += t - current;
    representation[i] = as;
  };
  for (const i of order) tryAs(i, 'full', fullLimit);
  for (const i of order) if (representation[i] === 'path') tryAs(i, 'outline', baseLimit);
  for (const i of order) if (representation[i] !== 'full') tryAs(i, 'full', baseLimit);
  const baseTokens = used;

  const chunks: CandidateChunk[] = [];
  if (withQuestion) {
    const limit = budget - reserve;
    for (const c of input.candidates) {
      if (representation[c.file] === 'full') continue;
      const t = files[c.file]!.analysis.tokens.chunks[c.chunk]!;
      if (used + t > limit) continue;
      used += t;
      chunks.push(c);
    }
    if (chunks.length > 0) used += reserve;
  }
  return { representation, chunks, baseTokens, totalTokens: used };
}
