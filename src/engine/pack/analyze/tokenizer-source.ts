/**
 * Which tokenizer counts the pack. A worker thread cannot receive a Tokenizer object, so the
 * packer is given a description that each worker turns into its own instance. This file is the
 * packer's only link to concrete tokenizers (the default wiring); everything else sees the
 * Tokenizer interface.
 */
import { loadO200kBase } from '../../tokenizer/index.js';
import { loadTokenizer } from '../../tokenizer/load.js';
import type { Tokenizer } from '../../tokenizer/types.js';

export type TokenizerSource =
  /** o200k_base: the default when no model is loaded. */
  | { kind: 'o200k_base' }
  /** A model folder, tokenizer.json or tokenizer.model. */
  | { kind: 'file'; path: string };

export function tokenizerId(source: TokenizerSource): string {
  return source.kind === 'o200k_base' ? 'o200k_base' : `file:${source.path}`;
}

export function loadTokenizerSource(source: TokenizerSource): Promise<Tokenizer> {
  return source.kind === 'o200k_base' ? loadO200kBase() : loadTokenizer(source.path);
}
