// The generic progress reporter (src/engine/progress.ts), driven by a fake clock.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, Progress } from '../../src/engine/progress.js';

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, chunks, text: () => chunks.join('') };
}

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('Progress on a terminal', () => {
  it('redraws one bar in place, at most every redrawMs, with rate and ETA', () => {
    const out = capture();
    const c = clock();
    const p = new Progress({
      label: 'download',
      total: 1000,
      unit: 'bytes',
      stream: out.stream,
      isTTY: true,
      now: c.now,
      barWidth: 10,
    });
    c.advance(1000);
    p.add(100); // 100 B/s
    c.advance(50);
    p.add(5); // within 100 ms of the last draw: not drawn
    c.advance(1000);
    p.add(95);
    expect(out.chunks).toHaveLength(2);
    expect(out.chunks.every((s) => s.startsWith('\r\x1b[K') && !s.includes('\n'))).toBe(true);
    expect(out.chunks[0]).toBe('\r\x1b[Kdownload [#---------] 10.0% 100 B/1000 B 100 B/s ETA 9s');
    expect(out.chunks[1]).toMatch(/\[##--------\] 20\.0% 200 B\/1000 B 98 B\/s ETA 8s$/);
  });

  it('prints log lines above the bar and ends with a final line', () => {
    const out = capture();
    const c = clock();
    const p = new Progress({ label: 'pack', total: 10, stream: out.stream, isTTY: true, now: c.now });
    p.log('note');
    c.advance(2000);
    p.set(10);
    p.finish();
    p.add(5); // after finish: ignored
    expect(out.text()).toMatch(/^\r\x1b\[Knote\n/);
    expect(out.text().endsWith('\r\x1b[Kpack 100.0% 10/10 5/s in 2s\n')).toBe(true);
  });
});

describe('Progress when piped', () => {
  it('writes plain lines no more often than lineEveryMs, without control characters', () => {
    const out = capture();
    const c = clock();
    const p = new Progress({
      label: 'prefill',
      total: 100_000,
      unit: 'tokens',
      stream: out.stream,
      isTTY: false,
      now: c.now,
      lineEveryMs: 5000,
    });
    for (let i = 0; i < 20; i++) {
      c.advance(1000);
      p.add(5000);
    }
    p.finish();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(5); // at 1 s, 6 s, 11 s, 16 s, and the final line
    expect(out.text()).not.toMatch(/[\r\x1b]/);
    expect(lines[0]).toBe('prefill 5.0% 5000 tok/100.0k tok 5000 tok/s ETA 19s');
    expect(lines.at(-1)).toBe('prefill 100.0% 100.0k tok/100.0k tok 5000 tok/s in 20s');
  });

  it('handles an unknown total, and ignores nonsense updates', () => {
    const out = capture();
    const c = clock();
    const p = new Progress({ label: 'load', unit: 'items', stream: out.stream, isTTY: false, now: c.now });
    c.advance(1000);
    p.add(3);
    p.add(-1);
    p.add(Number.NaN);
    p.set(-5);
    expect(p.snapshot()).toMatchObject({ done: 3, total: undefined, etaSeconds: undefined });
    expect(out.text()).toBe('load 3 3/s\n');
  });

  it('lets the total and the done count go down (a resumed download restarting a file)', () => {
    const c = clock();
    const p = new Progress({ label: 'x', total: 10, stream: capture().stream, isTTY: false, now: c.now });
    p.set(8);
    p.set(2);
    p.setTotal(20);
    expect(p.snapshot()).toMatchObject({ done: 2, total: 20 });
  });
});

describe('formatting', () => {
  it('formats bytes in binary units and durations compactly', () => {
    expect([0, 1023, 1024, 1536, 10 * 1024 ** 2, 218e9].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.00 KiB',
      '1.50 KiB',
      '10.0 MiB',
      '203 GiB',
    ]);
    expect([0, 59.4, 61, 3600, 7322, Infinity].map(formatDuration)).toEqual([
      '0s',
      '59s',
      '1m01s',
      '1h00m',
      '2h02m',
      '?',
    ]);
  });
});
