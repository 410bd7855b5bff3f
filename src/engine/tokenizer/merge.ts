/**
 * Byte-pair merging of one pre-tokenized piece, in O(n log n) for a piece of n bytes.
 *
 * tiktoken rescans every pair after each merge (O(n²) per piece); a long run of one character class
 * (bad-inputs.md RP4: minified code, base64 blobs, ASCII art) then costs seconds. Here the pairs sit
 * in a binary heap keyed by (priority, byte position), and merged parts are unlinked from a doubly
 * linked list. Popping the lowest priority, leftmost on ties, is exactly the order tiktoken's and
 * Hugging Face's merge loops follow, so the ids are identical.
 *
 * Heap entries are not removed when a merge invalidates them: each part remembers the priority of
 * the pair it currently starts, and an entry is acted on only while it still matches.
 */

/**
 * Looks up the merge of two adjacent parts (token ids). Returns -1 when they do not merge,
 * otherwise `priority * MERGE_ID_SPAN + mergedId` (lower priority merges first).
 */
export type PairMerger = (leftId: number, rightId: number) => number;

/** Token ids are below this bound (it leaves room for a 1M-entry vocabulary). */
export const MERGE_ID_SPAN = 1 << 20;
/** Priorities are below this bound so that priority·2³¹ + position stays an exact double. */
export const MAX_PRIORITY = 1 << 21;
const POSITION_SPAN = 2 ** 31;

/** A reusable min-heap of doubles; reused across pieces so encoding long texts allocates little. */
class MinHeap {
  private items = new Float64Array(64);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  push(value: number): void {
    if (this.size === this.items.length) {
      const grown = new Float64Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    const items = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (p <= value) break;
      items[i] = p;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items[--this.size]!;
    const n = this.size;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && items[right]! < items[left]! ? right : left;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/** Merges parts, working state reused between calls (one instance per tokenizer, single-threaded). */
export class PieceMerger {
  private readonly heap = new MinHeap();
  private ids = new Int32Array(64);
  private next = new Int32Array(64);
  private prev = new Int32Array(64);
  /** The packed merge of the pair that starts at each part, or -1. */
  private pair = new Float64Array(64);

  constructor(private readonly merge: PairMerger) {}

  /** Merges `initialIds` (one per byte of the piece) and appends the resulting ids to `out`. */
  mergeInto(initialIds: ArrayLike<number>, count: number, out: number[]): void {
    if (count === 1) {
      out.push(initialIds[0]!);
      return;
    }
    this.reserve(count);
    const { ids, next, prev, pair, heap, merge } = this;
    heap.clear();
    for (let i = 0; i < count; i++) {
      ids[i] = initialIds[i]!;
      next[i] = i + 1 < count ? i + 1 : -1;
      prev[i] = i - 1;
    }
    for (let i = 0; i + 1 < count; i++) {
      const packed = merge(ids[i]!, ids[i + 1]!);
      pair[i] = packed;
      if (packed >= 0) heap.push(Math.floor(packed / MERGE_ID_SPAN) * POSITION_SPAN + i);
    }
    pair[count - 1] = -1;

    while (heap.size > 0) {
      const entry = heap.pop();
      const i = entry % POSITION_SPAN;
      const priority = (entry - i) / POSITION_SPAN;
      const packed = pair[i]!;
      // Stale: part i was merged away (-1) or now starts a different pair.
      if (packed < 0 || Math.floor(packed / MERGE_ID_SPAN) !== priority) continue;
      const j = next[i]!;
      ids[i] = packed % MERGE_ID_SPAN;
      const after = next[j]!;
      next[i] = after;
      if (after >= 0) prev[after] = i;
      pair[j] = -1;
      this.refresh(i);
      const before = prev[i]!;
      if (before >= 0) this.refresh(before);
    }
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
  }

  /** Recomputes the pair that starts at part i and queues it. */
  private refresh(i: number): void {
    const j = this.next[i]!;
    const packed = j >= 0 ? this.merge(this.ids[i]!, this.ids[j]!) : -1;
    this.pair[i] = packed;
    if (packed >= 0) this.heap.push(Math.floor(packed / MERGE_ID_SPAN) * POSITION_SPAN + i);
  }

  private reserve(count: number): void {
    if (this.ids.length >= count) return;
    let size = this.ids.length;
    while (size < count) size *= 2;
    this.ids = new Int32Array(size);
    this.next = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.pair = new Float64Array(size);
  }
}
