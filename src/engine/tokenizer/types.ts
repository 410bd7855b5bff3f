/**
 * The tokenizer interface every other part of the engine depends on (the packer counts with it, the
 * prompt builder encodes with it). Implementations live beside this file; they are injected, never
 * imported by name, so the packer works with o200k_base when no model is loaded.
 */
export interface Tokenizer {
  /** Encodes text as ordinary text: special-token strings inside it are NOT turned into special ids. */
  encode(text: string): number[];
  /** The number of tokens encode(text) would return, computed without building the array where possible. */
  count(text: string): number;
  /** Decodes ids to text; invalid UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[]): string;
  /** Number of ids (including special tokens). */
  readonly vocabSize: number;
}
