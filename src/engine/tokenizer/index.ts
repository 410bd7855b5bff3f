/**
 * The tokenizer package: o200k_base with no model, or a model folder's own tokenizer. Callers take
 * a `Tokenizer` (types.ts) and never care which.
 */
export type { Tokenizer } from './types.js';
export { BpeTokenizer } from './bpe.js';
export { loadO200kBase, createO200kBase, O200K_SPECIAL_TOKENS } from './o200k-base.js';
export { loadTokenizer, parseTokenizerJson, parseLlama4TokenizerModel } from './load.js';
export { StreamDecoder } from './stream-decoder.js';
export {
  LLAMA4_SPECIAL_BASE,
  LLAMA4_TOKENS,
  LLAMA4_VOCAB_SIZE,
  llama4SpecialTokens,
  llama4SpecialTokenTexts,
} from './llama4-special.js';
