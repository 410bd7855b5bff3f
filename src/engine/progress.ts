/**
 * Progress for long CLI work (downloads, quantization, loading, packing, prefill).
 *
 * One reporter, two renderings, chosen by whether the output is a terminal:
 * - on a TTY, a single bar redrawn in place (`\r` + clear-line), at most every `redrawMs`;
 * - when piped or logged, plain lines, one every `lineEveryMs` plus the final one, so CI logs stay short
 *   and a `grep` over them still sees every stage.
 * Rates are smoothed over a sliding window so the ETA does not jump with every network hiccup.
 *
 * The reporter never throws on odd input (a `done` above `total`, a negative step): progress is a
 * side channel and must not break the work it reports on.
 */

export type ProgressUnit = 'bytes' | 'items' | 'tokens';

export interface ProgressOptions {
  /** What is being done, e.g. "download meta-llama/Llama-4-Scout-17B-16E-Instruct". */
  label: string;
  /** The amount of work; undefined when it is not known in advance (no percentage or ETA then). */
  total?: number;
  unit?: ProgressUnit;
  stream: NodeJS.WritableStream;
  /** True: redraw one bar in place. False: write plain lines. */
  isTTY: boolean;
  /** Width of the bar itself in characters on a TTY. */
  barWidth?: number;
  redrawMs?: number;
  lineEveryMs?: number;
  /** Clock in milliseconds; tests inject one. */
  now?: () => number;
}

export interface ProgressSnapshot {
  done: number;
  total: number | undefined;
  /** Units per second over the recent window; 0 until two samples exist. */
  rate: number;
  /** Seconds left at the current rate; undefined when unknown. */
  etaSeconds: number | undefined;
  elapsedSeconds: number;
}

const RATE_WINDOW_MS = 10_000;

export class Progress {
  private done = 0;
  private total: number | undefined;
  private readonly startedAt: number;
  private lastDrawAt = -Infinity;
  private finished = false;
  /** (time, done) samples inside the rate window, oldest first. */
  private samples: Array<[number, number]> = [];
  private readonly now: () => number;
  private readonly unit: ProgressUnit;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? (() => performance.now());
    this.unit = options.unit ?? 'items';
    this.total = options.total;
    this.startedAt = this.now();
    this.samples.push([this.startedAt, 0]);
  }

  /** Adds `delta` units of finished work. */
  add(delta: number): void {
    if (Number.isFinite(delta) && delta > 0) this.set(this.done + delta);
  }

  /** Sets the finished amount (work can be re-counted, e.g. after a resumed download). */
  set(done: number): void {
    if (this.finished || !Number.isFinite(done) || done < 0) return;
    this.done = done;
    const t = this.now();
    this.samples.push([t, done]);
    while (this.samples.length > 2 && t - this.samples[0]![0] > RATE_WINDOW_MS) this.samples.shift();
    this.maybeDraw(t);
  }

  setTotal(total: number | undefined): void {
    this.total = total !== undefined && Number.isFinite(total) && total >= 0 ? total : undefined;
  }

  /** Writes a message without garbling the bar: clears it, prints, and redraws it on the next update. */
  log(message: string): void {
    if (this.options.isTTY) this.options.stream.write('\r\x1b[K');
    this.options.stream.write(`${message}\n`);
    this.lastDrawAt = -Infinity;
  }

  /** Ends the bar with a final line (always printed, TTY or not). */
  finish(message?: string): void {
    if (this.finished) return;
    this.finished = true;
    const line = message ?? this.render(this.snapshot(), false);
    this.options.stream.write(this.options.isTTY ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  snapshot(): ProgressSnapshot {
    const t = this.now();
    const [t0, d0] = this.samples[0]!;
    const dt = (t - t0) / 1000;
    const rate = dt > 0 ? Math.max(0, (this.done - d0) / dt) : 0;
    const left = this.total !== undefined ? Math.max(0, this.total - this.done) : undefined;
    const etaSeconds = left === undefined ? undefined : left === 0 ? 0 : rate > 0 ? left / rate : undefined;
    return {
      done: this.done,
      total: this.total,
      rate,
      etaSeconds,
      elapsedSeconds: (t - this.startedAt) / 1000,
    };
  }

  private maybeDraw(t: number): void {
    const tty = this.options.isTTY;
    const every = tty ? (this.options.redrawMs ?? 100) : (this.options.lineEveryMs ?? 5_000);
    if (t - this.lastDrawAt < every) return;
    this.lastDrawAt = t;
    const line = this.render(this.snapshot(), tty);
    this.options.stream.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  }

  private render(s: ProgressSnapshot, withBar: boolean): string {
    const parts = [this.options.label];
    if (s.total !== undefined && s.total > 0) {
      const fraction = Math.min(1, s.done / s.total);
      if (withBar) {
        const width = this.options.barWidth ?? 30;
        const filled = Math.round(fraction * width);
        parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`);
      }
      parts.push(`${(fraction * 100).toFixed(1)}%`);
      parts.push(`${formatAmount(s.done, this.unit)}/${formatAmount(s.total, this.unit)}`);
    } else {
      parts.push(formatAmount(s.done, this.unit));
    }
    if (s.rate > 0) parts.push(`${formatAmount(s.rate, this.unit)}/s`);
    if (this.finished) parts.push(`in ${formatDuration(s.elapsedSeconds)}`);
    else if (s.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(s.etaSeconds)}`);
    return parts.join(' ');
  }
}

/** Human amount: bytes in binary units (as disks and `du -h` report), counts with k/M suffixes. */
export function formatAmount(value: number, unit: ProgressUnit): string {
  if (unit === 'bytes') return formatBytes(value);
  const suffix = unit === 'tokens' ? ' tok' : '';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M${suffix}`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k${suffix}`;
  return `${Math.round(value)}${suffix}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}
