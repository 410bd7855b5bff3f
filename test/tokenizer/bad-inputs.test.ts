/**
 * bad-inputs.md TK1–TK4 and RP4: broken or hostile tokenizer files end in typed 'tokenizer'
 * errors quickly, and pathological text (long runs of one character class) encodes in near-linear
 * time with tiktoken's ids.
 */
import { get_encoding } from 'tiktoken';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { BpeTokenizer } from '../../src/engine/tokenizer/bpe.js';
import { parseLlama4TokenizerModel, parseTokenizerJson } from '../../src/engine/tokenizer/load.js';
import { createO200kBase, loadO200kBase } from '../../src/engine/tokenizer/o200k-base.js';
import { expectScoutError } from '../fixtures/expect-scout-error.js';
import { tinyTokenizerJson } from './tiny-tokenizer.js';

const parse = (json: unknown) => () => parseTokenizerJson(JSON.stringify(json), 'tokenizer.json');

describe('TK1: files that are not tokenizer.json at all', () => {
  it('rejects HTML pages, git-lfs pointers, truncated and absurdly nested JSON', () => {
    expectScoutError(
      () => parseTokenizerJson('<!DOCTYPE html><title>404</title>', 'x'),
      'tokenizer',
      /HTML page/,
    );
    const lfs = 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n';
    expectScoutError(() => parseTokenizerJson(lfs, 'x'), 'tokenizer', /git-lfs pointer/);
    const full = JSON.stringify(tinyTokenizerJson());
    expectScoutError(
      () => parseTokenizerJson(full.slice(0, full.length / 2), 'x'),
      'tokenizer',
      /not valid JSON/,
    );
    const deep = '['.repeat(10000) + ']'.repeat(10000);
    expectScoutError(() => parseTokenizerJson(deep, 'x'), 'tokenizer', /top level must be an object/);
    expectScoutError(
      () => parseTokenizerJson('{"model": ' + '['.repeat(100000), 'x'),
      'tokenizer',
      /not valid JSON/,
    );
  });

  it('loads the small valid file the other cases start from, with no unk token', () => {
    const tok = parseTokenizerJson(JSON.stringify(tinyTokenizerJson()), 'x');
    expect(tok.encode('ab a')).toEqual([256, 32, 97]);
    expect(tok.encodeWithSpecialTokens('<|s|>ab')).toEqual([257, 256]);
  });
});

describe('TK2: inconsistent ids', () => {
  it('rejects out-of-range, fractional and duplicate ids', () => {
    expectScoutError(
      parse(tinyTokenizerJson({ added: [{ id: 2 ** 20, content: '<|x|>', special: true }] })),
      'tokenizer',
      /not an integer in/,
    );
    expectScoutError(
      parse(tinyTokenizerJson({ added: [{ id: 1.5, content: '<|x|>', special: true }] })),
      'tokenizer',
      /not an integer/,
    );
    const twice = [
      { id: 300, content: '<|x|>', special: true },
      { id: 300, content: '<|y|>', special: true },
    ];
    expectScoutError(parse(tinyTokenizerJson({ added: twice })), 'tokenizer', /used twice/);
    expectScoutError(
      parse(tinyTokenizerJson({ added: [{ id: 65, content: '<|x|>', special: true }] })),
      'tokenizer',
      /collides/,
    );
    const base = tinyTokenizerJson();
    const vocab = { ...(base.model as { vocab: Record<string, number> }).vocab, abc: 256 };
    expectScoutError(parse(tinyTokenizerJson({ model: { vocab } })), 'tokenizer', /used twice/);
  });

  it('rejects merges that name missing tokens and vocabularies missing a byte', () => {
    expectScoutError(
      parse(tinyTokenizerJson({ model: { merges: ['a z9'] } })),
      'tokenizer',
      /missing from the vocab/,
    );
    expectScoutError(parse(tinyTokenizerJson({ model: { merges: [42] } })), 'tokenizer', /merge 0/);
    const vocab = { ...(tinyTokenizerJson().model as { vocab: Record<string, number> }).vocab };
    delete vocab.z;
    expectScoutError(
      parse(tinyTokenizerJson({ model: { vocab, merges: [] } })),
      'tokenizer',
      /no token for byte 0x7a/,
    );
  });

  it('rejects features it cannot honour exactly', () => {
    expectScoutError(
      parse(tinyTokenizerJson({ root: { normalizer: { type: 'NFC' } } })),
      'tokenizer',
      /normalizers/,
    );
    expectScoutError(parse(tinyTokenizerJson({ model: { type: 'WordPiece' } })), 'tokenizer', /BPE/);
    expectScoutError(
      parse(tinyTokenizerJson({ model: { byte_fallback: true } })),
      'tokenizer',
      /byte_fallback/,
    );
    expectScoutError(
      parse(tinyTokenizerJson({ model: { vocab: { 'a\u4e00': 0 } } })),
      'tokenizer',
      /not byte-level/,
    );
  });
});

describe('TK3: hostile pre-tokenizer regexes', () => {
  it('refuses any Split regex it does not know, before compiling it', () => {
    const split = (regex: string) =>
      tinyTokenizerJson({
        root: {
          pre_tokenizer: {
            type: 'Sequence',
            pretokenizers: [
              { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
              { type: 'ByteLevel', add_prefix_space: false, use_regex: false },
            ],
          },
        },
      });
    const start = performance.now();
    expectScoutError(parse(split('(a+)+$')), 'tokenizer', /unsupported pre-tokenizer pattern/);
    expectScoutError(parse(split('(\\s*)*x')), 'tokenizer', /unsupported pre-tokenizer pattern/);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('TK4: oversized and invalid content', () => {
  it('loads a 10^6-entry vocabulary within the id space and refuses ids beyond it', () => {
    // Spliced in as text: building a million-key object just to stringify it doubles the test's time.
    const extra = Array.from({ length: 1_000_000 - 257 }, (_, k) => `"t${k + 257}":${k + 257}`).join(',');
    const json = JSON.stringify(tinyTokenizerJson({ added: [] })).replace('"ab":256', `"ab":256,${extra}`);
    const tok = parseTokenizerJson(json, 'x');
    expect(tok.vocabSize).toBe(1_000_000);
    expectScoutError(() => tok.decode([1_000_000]), 'tokenizer', /not in the vocabulary/);
  });

  it('rejects broken tokenizer.model lines', () => {
    const cases: [string, RegExp][] = [
      ['', /no ranks/],
      ['QQ== 0\nQQ== 1\n', /two ranks/],
      ['QQ== 0\nQg== 0\n', /appears twice/],
      ['QQ== x\n', /expected '<base64> <rank>'/],
      ['Q!== 0\n', /not base64/],
      ['QQ== 1048576\n', /outside/],
      ['QQ== 0 extra\n', /expected/],
      ['QQ== 200000\n', /specials start at 200000/],
    ];
    for (const [text, message] of cases) {
      expectScoutError(() => parseLlama4TokenizerModel(text, 'tokenizer.model'), 'tokenizer', message);
    }
  });
});

describe('RP4: long runs of one character class', () => {
  let tok: BpeTokenizer;
  const runs: [string, string][] = [
    ['spaces', ' '],
    ['newlines', '\n'],
    ['CRLF', '\r\n'],
    ['letters', 'a'],
    ['capitals', 'A'],
    ['digits', '7'],
    ['punctuation', '='],
    ['CJK', '中'],
    ['combining marks', 'e\u0301'],
    ['spaced words', 'ab '],
    ['base64-ish', 'aZ09+/'],
  ];

  // A quadratic merge (tiktoken's) needs minutes for one of these; the heap merge well under a second.
  it('encodes a 200 KB run of each class in near-linear time', async () => {
    tok = await loadO200kBase();
    for (const [name, unit] of runs) {
      const text = unit.repeat(Math.ceil(200_000 / unit.length));
      const start = performance.now();
      const ids = tok.encode(text);
      const ms = performance.now() - start;
      expect(ids.length, name).toBeGreaterThan(0);
      expect(ms, `${name} took ${ms.toFixed(0)} ms`).toBeLessThan(5000);
      expect(tok.decode(ids)).toBe(text);
    }
  });

  it("matches tiktoken's ids on 5,000-character runs", () => {
    const tiktoken = get_encoding('o200k_base');
    try {
      for (const [name, unit] of runs) {
        const text = unit.repeat(Math.ceil(5_000 / unit.length)) + ' end';
        expect(tok.encode(text), name).toEqual(Array.from(tiktoken.encode_ordinary(text)));
      }
    } finally {
      tiktoken.free();
    }
  });

  it('does not keep counted files alive through its piece cache', async () => {
    // V8 slices of 13+ characters point into their parent string: a cached piece would pin its file.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const counter = await createO200kBase();
    const letters = (i: number) =>
      Array.from(String(i).padStart(4, '0'), (d) => 'qwertyuiop'[Number(d)]).join('');
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 120; i++) {
      // One long piece unique to each 900 KB file, so it misses the whole-token map and is cached.
      counter.count(` zqxjkvbpzqxjkvbp${letters(i)}zqxjkvbp = 1;\n` + 'ab '.repeat(300_000));
    }
    gc();
    // Pinned files would hold 120 × 900 KB ≈ 108 MB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(40e6);
  });
});
