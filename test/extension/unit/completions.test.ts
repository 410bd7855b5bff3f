import { describe, expect, it } from 'vitest';
import { CompletionCache } from '../../../src/extension/completions/cache.js';
import {
  cutRepeatedLines,
  cutWhereSuffixResumes,
  fixFirstLineIndent,
  postprocess,
  trimSuffixOverlap,
} from '../../../src/extension/completions/postprocess.js';

describe('CompletionCache', () => {
  it('returns the exact entry, and the rest of a suggestion while the user types it', () => {
    const cache = new CompletionCache();
    cache.set('function add(a, b) {\n  return ', '\n}', 'a + b;');
    expect(cache.get('function add(a, b) {\n  return ', '\n}')).toBe('a + b;');
    expect(cache.get('function add(a, b) {\n  return a', '\n}')).toBe(' + b;');
    expect(cache.get('function add(a, b) {\n  return a + ', '\n}')).toBe('b;');
  });

  it('forgets every suggestion when cleared (the prompt style changed)', () => {
    const cache = new CompletionCache();
    cache.set('const x = ', ';', '1');
    cache.clear();
    expect(cache.get('const x = ', ';')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('misses when the user typed something other than the suggestion, or the suffix differs', () => {
    const cache = new CompletionCache();
    cache.set('x = ', '', 'compute()');
    expect(cache.get('x = y', '')).toBeUndefined();
    expect(cache.get('x = ', ';')).toBeUndefined();
    // Typing the whole suggestion leaves nothing to show: ask again.
    expect(cache.get('x = compute()', '')).toBeUndefined();
  });

  it('keys on the text near the cursor, so a shifting prompt window still hits', () => {
    const cache = new CompletionCache();
    const far = 'a'.repeat(5000);
    cache.set(`${far}let v = `, '', '42;');
    expect(cache.get(`b${far.slice(1)}let v = 4`, '')).toBe('2;');
  });

  it('evicts the least recently used entry beyond its capacity', () => {
    const cache = new CompletionCache(2);
    cache.set('a', '', '1');
    cache.set('b', '', '2');
    cache.get('a', '');
    cache.set('c', '', '3');
    expect(cache.get('b', '')).toBeUndefined();
    expect(cache.get('a', '')).toBe('1');
    expect(cache.size).toBe(2);
  });
});

describe('postprocess', () => {
  const ctx = { linePrefix: '', lineSuffix: '', nextLines: '', maxLines: 16 };

  it('does not repeat the rest of the line the cursor is in', () => {
    expect(trimSuffixOverlap('foo(a, b))', ')')).toBe('foo(a, b)');
    expect(trimSuffixOverlap('items.map(f);', ');')).toBe('items.map(f');
    expect(trimSuffixOverlap('value', 'other')).toBe('value');
  });

  it('does not double the indentation the line already has', () => {
    expect(fixFirstLineIndent('    return x;\n  }', '    ')).toBe('return x;\n  }');
    expect(fixFirstLineIndent('return x;', '    ')).toBe('return x;');
    expect(fixFirstLineIndent('  y', 'foo(')).toBe('  y');
  });

  it('stops where the completion starts rewriting the lines after the cursor', () => {
    const next = '  return total;\n}\n';
    expect(cutWhereSuffixResumes('total += x;\n  return total;\n}', next)).toBe('total += x;');
    expect(cutWhereSuffixResumes('total += x;\n  log(total);', next)).toBe('total += x;\n  log(total);');
  });

  it('cuts a line the model loops on', () => {
    expect(cutRepeatedLines('a();\nb();\nb();\nb();\nb();')).toBe('a();\nb();');
  });

  it('turns whitespace-only output into no suggestion and trims trailing blank lines', () => {
    expect(postprocess('   \n\n', ctx)).toBe('');
    expect(postprocess('x = 1;  \n\n', ctx)).toBe('x = 1;');
    expect(postprocess('a\nb\nc', { ...ctx, maxLines: 2 })).toBe('a\nb');
    expect(postprocess('x\r\ny', ctx)).toBe('x\ny');
  });
});
