/**
 * The heap-based merge against the textbook loop it replaces (rescan all pairs, merge the lowest
 * priority, leftmost on ties), on random merge tables where priorities and ids differ (the HF case)
 * and where many pairs tie.
 */
import { describe, expect, it } from 'vitest';
import { MERGE_ID_SPAN, PieceMerger, type PairMerger } from '../../src/engine/tokenizer/merge.js';
import { SeededRandom } from '../fixtures/prng.js';

function naiveMerge(ids: number[], merge: PairMerger): number[] {
  const parts = [...ids];
  for (;;) {
    let best = -1;
    let bestPriority = Infinity;
    for (let i = 0; i + 1 < parts.length; i++) {
      const packed = merge(parts[i]!, parts[i + 1]!);
      if (packed < 0) continue;
      const priority = Math.floor(packed / MERGE_ID_SPAN);
      if (priority < bestPriority) [best, bestPriority] = [i, priority];
    }
    if (best < 0) return parts;
    parts.splice(best, 2, merge(parts[best]!, parts[best + 1]!) % MERGE_ID_SPAN);
  }
}

/** A random merge table over a small alphabet: pair → (priority, new id). */
function randomTable(
  random: SeededRandom,
  symbols: number,
  merges: number,
  distinctPriorities: number,
): PairMerger {
  const table = new Map<number, number>();
  for (let k = 0; k < merges; k++) {
    const left = Math.floor(random.uniform() * (symbols + k));
    const right = Math.floor(random.uniform() * (symbols + k));
    const priority = Math.floor(random.uniform() * distinctPriorities);
    if (!table.has(left * MERGE_ID_SPAN + right))
      table.set(left * MERGE_ID_SPAN + right, priority * MERGE_ID_SPAN + symbols + k);
  }
  return (left, right) => table.get(left * MERGE_ID_SPAN + right) ?? -1;
}

describe('PieceMerger', () => {
  it('agrees with the naive loop on random tables and pieces', () => {
    const random = new SeededRandom(7);
    for (let trial = 0; trial < 300; trial++) {
      const symbols = 2 + Math.floor(random.uniform() * 6);
      const merge = randomTable(random, symbols, 40, trial % 2 === 0 ? 5 : 1000);
      const merger = new PieceMerger(merge);
      const length = 1 + Math.floor(random.uniform() * 60);
      const ids = Array.from({ length }, () => Math.floor(random.uniform() * symbols));
      const out: number[] = [];
      merger.mergeInto(ids, ids.length, out);
      expect(out, `trial ${trial}`).toEqual(naiveMerge(ids, merge));
    }
  });

  it('reuses its buffers across pieces of different lengths', () => {
    const merge: PairMerger = (l, r) => (l === r ? l * MERGE_ID_SPAN + l + 1 : -1);
    const merger = new PieceMerger(merge);
    for (const n of [1, 2, 3, 1000, 5, 4096]) {
      const out: number[] = [];
      merger.mergeInto(new Array<number>(n).fill(0), n, out);
      expect(out).toEqual(naiveMerge(new Array<number>(n).fill(0), merge));
    }
  });
});
