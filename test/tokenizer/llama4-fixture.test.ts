/**
 * The Llama 4 tokenizer fixture in both file formats: tokenizer.json (HF merges) and
 * tokenizer.model (tiktoken ranks) must give the same ids, equal to o200k_base for plain text, with
 * the Llama 4 special tokens at their documented ids.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BpeTokenizer } from '../../src/engine/tokenizer/bpe.js';
import { LLAMA4_TOKENS } from '../../src/engine/tokenizer/llama4-special.js';
import { loadTokenizer } from '../../src/engine/tokenizer/load.js';
import { loadO200kBase } from '../../src/engine/tokenizer/o200k-base.js';
import { llama4TokenizerDir } from '../fixtures/llama4-tokenizer.js';
import { hostileUnicode, sampleSourceFiles } from './corpus.js';
import { tinyTokenizerJson } from './tiny-tokenizer.js';

let fromJson: BpeTokenizer;
let fromModel: BpeTokenizer;
let o200k: BpeTokenizer;
beforeAll(async () => {
  const dir = await llama4TokenizerDir();
  fromJson = await loadTokenizer(join(dir, 'tokenizer.json'));
  fromModel = await loadTokenizer(join(dir, 'tokenizer.model'));
  o200k = await loadO200kBase();
});

function firstDifference(a: number[], b: number[]): number {
  if (a.length === b.length && a.every((id, i) => id === b[i])) return -1;
  const at = a.findIndex((id, i) => id !== b[i]);
  return at < 0 ? a.length : at;
}

describe('Llama 4 tokenizer fixture', () => {
  it('has the 202048-id vocabulary with the special tokens of llama4.md §5', () => {
    for (const tok of [fromJson, fromModel]) {
      expect(tok.vocabSize).toBe(202048);
      expect(tok.specialTokenId(LLAMA4_TOKENS.beginOfText)).toBe(200000);
      expect(tok.specialTokenId(LLAMA4_TOKENS.eot)).toBe(200008);
      expect(tok.specialTokenId('<|python_start|>')).toBe(200016);
      expect(tok.specialTokenId('<|finetune_right_pad|>')).toBe(200018);
      expect(tok.specialTokenId(LLAMA4_TOKENS.image)).toBe(200090);
      expect(tok.specialTokenId(LLAMA4_TOKENS.patch)).toBe(200092);
      expect(tok.specialTokenId('<|vision_reserved_special_token_1047|>')).toBe(201133);
      expect(tok.specialTokenId('<|reasoning_thinking_end|>')).toBe(201143);
      expect(tok.specialTokenId('<|reserved_special_token_903|>')).toBe(202047);
      expect(tok.decode([200005, 200006])).toBe('<|header_start|><|header_end|>');
    }
  });

  it('prefers tokenizer.json in a folder that has both', async () => {
    // A broken tokenizer.model next to a valid tokenizer.json: loading the folder must not touch it.
    const folder = mkdtempSync(join(tmpdir(), 'scout-both-'));
    writeFileSync(join(folder, 'tokenizer.model'), 'not a rank file');
    writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
    expect((await loadTokenizer(folder)).encode('ab')).toEqual([256]);
  });

  it('gives the same ids from tokenizer.json, tokenizer.model and o200k_base', () => {
    const files = sampleSourceFiles(join(__dirname, '../../node_modules'), 1024 * 1024, 11);
    const texts = [
      ...files.map((f) => f.text),
      ...Array.from({ length: 40 }, (_, i) => hostileUnicode(i + 1000, 200)),
    ];
    for (const [i, text] of texts.entries()) {
      const viaModel = fromModel.encode(text);
      const viaJson = fromJson.encode(text);
      const at = firstDifference(viaJson, viaModel);
      if (at >= 0)
        expect.fail(
          `text ${i}: json and model differ at ${at}: ${JSON.stringify(fromModel.decode(viaModel.slice(at - 2, at + 3)))}`,
        );
      expect(firstDifference(viaModel, o200k.encode(text))).toBe(-1);
    }
  });

  it('encodes special-token text in user content as plain text', () => {
    for (const tok of [fromJson, fromModel]) {
      const ids = tok.encode('<|begin_of_text|><|eot|>');
      expect(ids.every((id) => id < 200000)).toBe(true);
      expect(tok.decode(ids)).toBe('<|begin_of_text|><|eot|>');
      expect(tok.encodeWithSpecialTokens('<|eot|>hi')).toEqual([200008, ...tok.encode('hi')]);
    }
  });
});
