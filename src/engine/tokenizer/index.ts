/**
 * The tokenizer package: o200k_base with no model, or a model folder's own tokenizer. Callers take
 * a `Tokenizer` (types.ts) and never care which.
 */
export type { Tokenizer } from './types.js';
export { BpeTokenizer } from './bpe.js';
export { loadO200kBase, O200K_SPECIAL_TOKENS } from './o200k-base.js';
