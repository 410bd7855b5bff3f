/**
 * The repository map's ranking: which files matter most, independent of any question.
 *
 * As in aider's repo map, files are nodes and an edge runs from a file that mentions an identifier
 * to each file that defines it. Edges are weighted so that a specific name (used by few files,
 * long, or written in camelCase/snake_case) counts more than a generic one, and a name used many
 * times counts with diminishing returns (square root). PageRank over that graph ranks the files
 * that much of the code depends on first.
 */
import type { FileAnalysis } from '../types.js';

const DAMPING = 0.85;
const ITERATIONS = 30;
/** A name defined in more files than this is too generic to say anything (`get`, `init`, `test`). */
const MAX_DEFINERS = 12;

export interface RankInput {
  path: string;
  analysis: FileAnalysis;
}

/** PageRank score per file, in input order; the scores sum to 1. */
export function rankFiles(files: readonly RankInput[]): Float64Array {
  const n = files.length;
  const scores = new Float64Array(n);
  if (n === 0) return scores;

  const definers = new Map<string, number[]>();
  files.forEach((f, i) => {
    for (const name of f.analysis.definitions) {
      const list = definers.get(name);
      if (!list) definers.set(name, [i]);
      else if (list.length <= MAX_DEFINERS) list.push(i);
    }
  });

  // Edges as flat arrays (from, to, weight): compact and fast to iterate.
  const from: number[] = [];
  const to: number[] = [];
  const weight: number[] = [];
  const outWeight = new Float64Array(n);
  files.forEach((f, i) => {
    for (const [name, count] of Object.entries(f.analysis.references)) {
      const defs = definers.get(name);
      if (!defs || defs.length > MAX_DEFINERS) continue;
      const w = (Math.sqrt(count) * specificity(name)) / defs.length;
      for (const j of defs) {
        if (j === i) continue;
        from.push(i);
        to.push(j);
        weight.push(w);
        outWeight[i] = outWeight[i]! + w;
      }
    }
  });

  scores.fill(1 / n);
  const next = new Float64Array(n);
  for (let iter = 0; iter < ITERATIONS; iter++) {
    // Files that reference nothing spread their score evenly, so scores keep summing to 1.
    let dangling = 0;
    for (let i = 0; i < n; i++) if (outWeight[i] === 0) dangling += scores[i]!;
    next.fill((1 - DAMPING) / n + (DAMPING * dangling) / n);
    for (let e = 0; e < from.length; e++) {
      const i = from[e]!;
      const j = to[e]!;
      next[j] = next[j]! + (DAMPING * scores[i]! * weight[e]!) / outWeight[i]!;
    }
    scores.set(next);
  }
  return scores;
}

function specificity(name: string): number {
  let s = 1;
  if (name.length >= 8) s *= 2;
  if (/[a-z][A-Z]|_[a-zA-Z]/.test(name)) s *= 2;
  if (name.startsWith('_')) s *= 0.5;
  return s;
}
