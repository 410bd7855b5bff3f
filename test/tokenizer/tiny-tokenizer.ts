/** A minimal valid tokenizer.json for tests that need a file to break or to load fast. */
import { byteLevelChars } from '../../src/engine/tokenizer/hf-tokenizer.js';

/** A small valid byte-level tokenizer.json: the 256 bytes, "ab", and one special token. */
export function tinyTokenizerJson(
  overrides: { model?: object; added?: object[]; root?: object } = {},
): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteLevelChars().forEach((char, b) => (vocab[char] = b));
  vocab.ab = 256;
  return {
    added_tokens: overrides.added ?? [{ id: 257, content: '<|s|>', special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    model: { type: 'BPE', vocab, merges: ['a b'], ignore_merges: false, ...overrides.model },
    ...overrides.root,
  };
}
