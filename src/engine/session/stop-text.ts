/**
 * Streams decoded text while watching for stop sequences.
 *
 * Text that might be the beginning of a stop sequence is held back until it is known not to be one,
 * so a caller never sees part of a stop sequence; the final text ends right before the first match.
 */
export class StopTextFilter {
  private held = '';
  private emitted = '';
  private stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  /** Adds decoded text; returns the part that is safe to show now. */
  push(text: string): string {
    if (this.stopped) return '';
    const buffer = this.held + text;
    let cut = -1;
    for (const s of this.stops) {
      const at = buffer.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      this.held = '';
      return this.emit(buffer.slice(0, cut));
    }
    // Hold back the longest tail that is a proper prefix of some stop sequence.
    let keep = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, buffer.length); n > keep; n--) {
        if (buffer.endsWith(s.slice(0, n))) {
          keep = n;
          break;
        }
      }
    }
    this.held = buffer.slice(buffer.length - keep);
    return this.emit(buffer.slice(0, buffer.length - keep));
  }

  /** True once a stop sequence was seen. */
  get done(): boolean {
    return this.stopped;
  }

  /** Releases held text at the end of generation (it turned out not to be a stop sequence). */
  flush(): string {
    const rest = this.stopped ? '' : this.held;
    this.held = '';
    return this.emit(rest);
  }

  get text(): string {
    return this.emitted;
  }

  private emit(s: string): string {
    this.emitted += s;
    return s;
  }
}
