/**
 * o200k_base must give tiktoken's ids exactly. tiktoken (the WASM build of OpenAI's Rust tokenizer)
 * is the reference. The default run compares a few MB of node_modules sources; set
 * SCOUT_TOKENIZER_CORPUS_MB=50 for the full comparison (the benchmark also checks ids on its corpus).
 */
import { get_encoding, type Tiktoken } from 'tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { BpeTokenizer } from '../../src/engine/tokenizer/bpe.js';
import { loadO200kBase } from '../../src/engine/tokenizer/o200k-base.js';
import { hostileUnicode, sampleSourceFiles } from './corpus.js';

const corpusMb = Number(process.env.SCOUT_TOKENIZER_CORPUS_MB ?? '3');

let scout: BpeTokenizer;
let tiktoken: Tiktoken;
beforeAll(async () => {
  scout = await loadO200kBase();
  tiktoken = get_encoding('o200k_base');
});
afterAll(() => tiktoken.free());

/** Compares ids; on a mismatch reports the first differing piece, not two huge arrays. */
function expectSameIds(text: string, label: string): void {
  const ours = scout.encode(text);
  const theirs = Array.from(tiktoken.encode_ordinary(text));
  if (ours.length !== theirs.length || ours.some((id, i) => id !== theirs[i])) {
    const at = ours.findIndex((id, i) => id !== theirs[i]);
    const context = JSON.stringify(scout.decode(ours.slice(Math.max(0, at - 5), at + 5)));
    expect.fail(`${label}: ids differ at token ${at} near ${context}`);
  }
  expect(scout.count(text)).toBe(theirs.length);
}

describe('o200k_base against tiktoken', () => {
  it(`gives identical ids on ${corpusMb} MB of real source files`, () => {
    const files = sampleSourceFiles(
      join(__dirname, '../../node_modules'),
      corpusMb * 1024 * 1024,
      corpusMb >= 20 ? 1 : 7,
    );
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) expectSameIds(file.text, file.path);
  });

  it('gives identical ids on generated hostile Unicode', () => {
    for (let seed = 1; seed <= 200; seed++) expectSameIds(hostileUnicode(seed, 300), `seed ${seed}`);
  });

  it('handles the edge cases one by one', () => {
    const cases = [
      '',
      ' ',
      '\n',
      '\r\n\r\n',
      "I'm ſure it'S",
      '\ufeffimport x',
      'a\u0085b',
      '\ud800',
      '\udc00\ud800',
      '1234567',
      '   x',
      'x   ',
      '\t\t\n  \n',
      '日本語',
      '👩‍👩‍👧',
      'e\u0301\u0301\u0301',
      '<|endoftext|>',
    ];
    for (const text of cases) expectSameIds(text, JSON.stringify(text));
  });

  it('never produces special ids from special-token text', () => {
    const ids = scout.encode('<|endoftext|><|endofprompt|>');
    expect(ids).not.toContain(199999);
    expect(ids).not.toContain(200018);
    expect(scout.encodeWithSpecialTokens('a<|endoftext|>b')).toEqual([
      ...scout.encode('a'),
      199999,
      ...scout.encode('b'),
    ]);
  });

  it('handles texts with more ids than a function call takes arguments', () => {
    const words = 'word, '.repeat(200_000);
    const ids = scout.encodeWithSpecialTokens(words + '<|endoftext|>');
    expect(ids.length).toBeGreaterThan(400_000);
    expect(ids).toEqual(scout.encode(words).concat([199999]));
  });

  it('round-trips text through decode, with lone surrogates becoming U+FFFD', () => {
    const text = hostileUnicode(7, 500);
    expect(scout.decode(scout.encode(text))).toBe(text.replace(/\p{Surrogate}/gu, '\ufffd'));
  });
});
