/**
 * The prompt cache: token sequences whose KV caches are kept after a request, so the next request that
 * starts the same way (the packed repository's base, the conversation so far) skips their prefill.
 *
 * Contract:
 * - `acquire(tokens)` hands out a sequence whose cache already holds a prefix of `tokens`, the longest
 *   any cached entry can give, and says how many tokens were reused. The caller evaluates the rest. At
 *   least the last token is always left to evaluate, because its logits are needed to sample from.
 * - While acquired, the sequence belongs to the caller alone. `release(lease, tokens)` returns it with
 *   the tokens its cache now holds; it then competes for reuse with the other entries.
 * - Entries are evicted least-recently-used when their KV bytes exceed the budget or their count the
 *   limit. A sequence the engine cannot rewind far enough (RoPE layers keep only the current attention
 *   chunk, see native/engine/model.hpp) reports fewer reused tokens; correctness never depends on reuse.
 */
import type { TextModel, TextSequence } from '../native/engine.js';

export interface PromptCacheOptions {
  /** Positions each sequence can hold (the context size). */
  capacity: number;
  /** KV bytes that idle entries may hold in all. */
  maxBytes: number;
  /** Idle entries kept at most. */
  maxEntries: number;
}

export interface Lease {
  seq: TextSequence;
  /** Prompt tokens already in the cache: evaluate tokens.slice(reused). */
  reused: number;
}

export interface PromptCacheStats {
  entries: number;
  hits: number;
  misses: number;
  reusedTokens: number;
  kvBytes: number;
}

interface Entry {
  seq: TextSequence;
  tokens: number[];
  lastUsed: number;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class PromptCache {
  private idle: Entry[] = [];
  private clock = 0;
  private hits = 0;
  private misses = 0;
  private reusedTokens = 0;

  constructor(
    private readonly model: TextModel,
    private readonly options: PromptCacheOptions,
  ) {}

  acquire(tokens: readonly number[]): Lease {
    let best: Entry | undefined;
    let bestLength = 0;
    for (const e of this.idle) {
      const n = commonPrefix(e.tokens, tokens);
      if (n > bestLength || (n === bestLength && best && e.lastUsed > best.lastUsed)) {
        best = e;
        bestLength = n;
      }
    }
    // Keep at least one token to evaluate: its logits start generation.
    const wanted = Math.min(bestLength, tokens.length - 1);
    if (best && wanted > 0) {
      this.idle = this.idle.filter((e) => e !== best);
      const reused = best.seq.truncate(wanted);
      if (reused > 0) {
        this.hits++;
        this.reusedTokens += reused;
      } else {
        this.misses++;
      }
      return { seq: best.seq, reused };
    }
    this.misses++;
    return { seq: this.newSequence(), reused: 0 };
  }

  /** Returns a sequence to the cache; `tokens` are exactly the positions its KV cache now holds. */
  release(lease: Lease, tokens: readonly number[]): void {
    if (tokens.length !== lease.seq.position) {
      // The caller lost track (e.g. a failed eval): the cache content is unknown, so drop it.
      lease.seq.dispose();
      return;
    }
    this.idle.push({ seq: lease.seq, tokens: [...tokens], lastUsed: ++this.clock });
    this.evict();
  }

  /** Drops a leased sequence without caching it (after an error mid-evaluation). */
  discard(lease: Lease): void {
    lease.seq.dispose();
  }

  stats(): PromptCacheStats {
    return {
      entries: this.idle.length,
      hits: this.hits,
      misses: this.misses,
      reusedTokens: this.reusedTokens,
      kvBytes: this.idle.reduce((sum, e) => sum + e.seq.kvBytes, 0),
    };
  }

  /** Frees every idle entry. */
  clear(): void {
    for (const e of this.idle) e.seq.dispose();
    this.idle = [];
  }

  private newSequence(): TextSequence {
    // Make room first: a new sequence's KV cache is allocated at once.
    this.evict(1);
    return this.model.newSequence(this.options.capacity);
  }

  private evict(reserveEntries = 0): void {
    this.idle.sort((a, b) => b.lastUsed - a.lastUsed); // most recent first
    let bytes = 0;
    const keep: Entry[] = [];
    for (const e of this.idle) {
      bytes += e.seq.kvBytes;
      if (keep.length + reserveEntries < this.options.maxEntries && bytes <= this.options.maxBytes)
        keep.push(e);
      else e.seq.dispose();
    }
    this.idle = keep;
  }
}
