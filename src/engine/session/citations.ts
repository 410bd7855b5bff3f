/**
 * Finds `path:line` citations in streamed answer text, incrementally.
 *
 * Text arrives in arbitrary pieces, so a citation is reported only once it is complete: its line
 * number is followed by a character that cannot continue it. When the pack's paths are known, only
 * citations of files in the pack count (a model may invent paths; those are not links).
 */
import type { Citation } from '../protocol.js';

// A path made of word characters, dots, dashes and slashes with an extension, then :line or :line-line.
const CITATION =
  /(?<![\w./-])((?:[\w.-]+\/)*[\w.-]+\.[A-Za-z0-9]+):(\d{1,7})(?:-(\d{1,7}))?(?=[^\d-]|-[^\d])/g;
// Longest tail kept between pushes: enough for a long path and line range still being streamed.
const MAX_PENDING = 512;

export class CitationScanner {
  private pending = '';
  private readonly seen = new Set<string>();
  private readonly found: Citation[] = [];

  constructor(private readonly paths?: ReadonlySet<string>) {}

  /** Adds streamed text; returns the citations completed by it, each once. */
  push(text: string): Citation[] {
    this.pending += text;
    const out: Citation[] = [];
    let consumed = 0;
    for (const m of this.pending.matchAll(CITATION)) {
      consumed = m.index + m[0].length;
      const path = m[1]!.replace(/^\.\//, '');
      if (this.paths && !this.paths.has(path)) continue;
      const line = Number(m[2]);
      const endLine = m[3] ? Number(m[3]) : undefined;
      if (line < 1 || (endLine !== undefined && endLine < line)) continue;
      const key = `${path}:${line}:${endLine ?? ''}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      const c: Citation = endLine !== undefined ? { path, line, endLine } : { path, line };
      out.push(c);
      this.found.push(c);
    }
    // Keep the unmatched tail (it may hold the start of a citation), bounded.
    const tail = this.pending.slice(consumed);
    this.pending = tail.length > MAX_PENDING ? tail.slice(-MAX_PENDING) : tail;
    return out;
  }

  /** Every citation found so far, including one completed by the end of the text. */
  all(): Citation[] {
    if (this.pending) this.push(' ');
    return [...this.found];
  }
}
