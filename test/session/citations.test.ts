import { describe, expect, it } from 'vitest';
import { CitationScanner } from '../../src/engine/session/citations.js';

describe('CitationScanner', () => {
  it('finds citations split across arbitrary stream pieces, each once', () => {
    const text = 'See src/app.ts:42 and `lib/util.js:7-19`. Again src/app.ts:42, then README.md:3.';
    for (const size of [1, 2, 3, 7, text.length]) {
      const scanner = new CitationScanner();
      const streamed = [];
      for (let i = 0; i < text.length; i += size) streamed.push(...scanner.push(text.slice(i, i + size)));
      streamed.push(...scanner.all().slice(streamed.length));
      expect(streamed).toEqual([
        { path: 'src/app.ts', line: 42 },
        { path: 'lib/util.js', line: 7, endLine: 19 },
        { path: 'README.md', line: 3 },
      ]);
    }
  });

  it('does not report a citation whose line number may still be streaming', () => {
    const scanner = new CitationScanner();
    expect(scanner.push('look at a.ts:1')).toEqual([]);
    expect(scanner.push('23 now')).toEqual([{ path: 'a.ts', line: 123 }]);
  });

  it('reports a citation that ends the answer', () => {
    const scanner = new CitationScanner();
    scanner.push('the end is in b.py:9');
    expect(scanner.all()).toEqual([{ path: 'b.py', line: 9 }]);
  });

  it('keeps only paths in the pack when the pack is known, and rejects impossible ranges', () => {
    const scanner = new CitationScanner(new Set(['src/real.ts']));
    scanner.push('src/real.ts:5 src/invented.ts:6 src/real.ts:9-3 ./src/real.ts:10 ');
    expect(scanner.all()).toEqual([
      { path: 'src/real.ts', line: 5 },
      { path: 'src/real.ts', line: 10 },
    ]);
  });

  it('ignores URLs with ports and times', () => {
    const scanner = new CitationScanner();
    scanner.push('http://localhost:8080/x at 10:30 ');
    expect(scanner.all()).toEqual([]);
  });
});
