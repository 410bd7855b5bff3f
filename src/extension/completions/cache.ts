/**
 * The completion cache: an LRU of (code before the cursor, code after it) → suggestion.
 *
 * It keeps a suggestion showing while the user types what it suggested: on a miss, the lookup walks
 * back over the characters just typed, and if an earlier position's suggestion starts with exactly
 * those characters, the rest of it is the answer (no request, no flicker). Keys use the last
 * `KEY_CHARS` characters before the cursor, so the bounded prompt window shifting as the document
 * grows does not matter.
 */
export const KEY_CHARS = 1000;
const SUFFIX_KEY_CHARS = 200;

export class CompletionCache {
  private readonly entries = new Map<string, string>();

  constructor(
    private readonly capacity = 256,
    /** How many typed characters a lookup walks back over. */
    private readonly maxTyped = 64,
  ) {}

  private key(prefix: string, suffix: string): string {
    return `${prefix.slice(-KEY_CHARS)}\u0000${suffix.slice(0, SUFFIX_KEY_CHARS)}`;
  }

  set(prefix: string, suffix: string, completion: string): void {
    const key = this.key(prefix, suffix);
    this.entries.delete(key);
    this.entries.set(key, completion);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get(prefix: string, suffix: string): string | undefined {
    const exact = this.touch(this.key(prefix, suffix));
    if (exact !== undefined) return exact;
    for (let typed = 1; typed <= Math.min(this.maxTyped, prefix.length); typed++) {
      const earlier = this.touch(this.key(prefix.slice(0, -typed), suffix));
      if (earlier === undefined) continue;
      const chars = prefix.slice(-typed);
      if (earlier.length > typed && earlier.startsWith(chars)) return earlier.slice(typed);
      return undefined; // the user typed something else than the suggestion
    }
    return undefined;
  }

  /** Forgets every suggestion (the prompt style changed: old suggestions came from the other prompt). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private touch(key: string): string | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }
}
