/**
 * The streaming decoder never emits half a character, never drops bytes, and its pieces always
 * join to the one-shot decode.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ScoutError } from '../../src/engine/errors.js';
import type { BpeTokenizer } from '../../src/engine/tokenizer/bpe.js';
import { loadO200kBase } from '../../src/engine/tokenizer/o200k-base.js';
import { StreamDecoder } from '../../src/engine/tokenizer/stream-decoder.js';
import { SeededRandom } from '../fixtures/prng.js';
import { hostileUnicode } from './corpus.js';

let tok: BpeTokenizer;
beforeAll(async () => {
  tok = await loadO200kBase();
});

describe('StreamDecoder', () => {
  it('holds back the bytes of a character split across tokens', () => {
    // A rare CJK character and an emoji encode as several byte-level tokens each.
    const ids = tok.encode('𠜎👩‍👩‍👧');
    const stream = new StreamDecoder(tok);
    const pieces = ids.map((id) => stream.push(id));
    expect(ids.length).toBeGreaterThan(2);
    expect(pieces[0]).toBe('');
    expect(pieces.join('') + stream.flush()).toBe('𠜎👩‍👩‍👧');
    for (const piece of pieces) expect(piece).not.toMatch(/\ufffd|\p{Surrogate}/u);
  });

  it('joins to decode() for every random chunking of hostile text', () => {
    const random = new SeededRandom(42);
    for (let seed = 1; seed <= 60; seed++) {
      const text = hostileUnicode(seed, 150);
      const ids = tok.encode(text);
      const stream = new StreamDecoder(tok);
      const pieces: string[] = [];
      for (let at = 0; at < ids.length;) {
        const size = 1 + Math.floor(random.uniform() * 4);
        pieces.push(stream.push(ids.slice(at, at + size)));
        at += size;
      }
      pieces.push(stream.flush());
      expect(pieces.join('')).toBe(tok.decode(ids));
      // Valid text streams without a single replacement character appearing early.
      if (!text.includes('\ufffd') && !/\p{Surrogate}/u.test(text)) expect(pieces.join('')).toBe(text);
    }
  });

  it('turns a dangling partial character into U+FFFD only at flush, and keeps invalid bytes visible', () => {
    const stream = new StreamDecoder(tok);
    const partial = tok.encode('𠜎').slice(0, 1);
    expect(stream.push(partial)).toBe('');
    expect(stream.flush()).toBe('\ufffd');
    expect(stream.push(tok.encode('ok'))).toBe('ok');
  });

  it('rejects ids outside the vocabulary with a typed error', () => {
    const stream = new StreamDecoder(tok);
    for (const bad of [-1, 1.5, 199998, 300000, Number.NaN]) {
      expect(() => stream.push(bad)).toThrow(ScoutError);
    }
  });
});
