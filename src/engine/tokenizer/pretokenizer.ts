/**
 * Pre-tokenization: cutting text into the pieces that BPE then encodes one by one.
 *
 * The patterns we trust are written out here in JavaScript syntax. Two differences from the Rust
 * regex crate (which tiktoken and Hugging Face `tokenizers` use) matter for identical ids:
 *  - JS `\s` includes U+FEFF (a byte-order mark, common at the top of source files) and excludes
 *    U+0085; Unicode `White_Space` is the other way round. We spell the class out.
 *  - Node 20 has no `(?i:...)` modifier groups, so the contraction suffixes are expanded by hand.
 *    tiktoken's `(?i:'s)` does not match the long s `'ſ` (checked against tiktoken), so ASCII
 *    case pairs are exact.
 *
 * Every pattern here matches at least one character at every position of any string, so the
 * matches tile the input: a sticky regex plus `lastIndex` gives each piece without allocating a
 * match array. `pieceEnd` checks that property as it goes rather than trusting it.
 */
import { ScoutError } from '../errors.js';

/** Unicode White_Space, the meaning of `\s` in the Rust regex crate. */
export const WHITE_SPACE = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const S = `[${WHITE_SPACE}]`;
const NOT_S = `[^${WHITE_SPACE}]`;
const CONTRACTION = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

/**
 * The o200k_base pattern (llama4.md §5; Llama 4 uses the same one), in JS syntax. The source form is:
 * [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
 * [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
 * \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 */
export const O200K_PATTERN = [
  `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+${CONTRACTION}?`,
  `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*${CONTRACTION}?`,
  `\\p{N}{1,3}`,
  ` ?[^${WHITE_SPACE}\\p{L}\\p{N}]+[\\r\\n/]*`,
  `${S}*[\\r\\n]+`,
  `${S}+(?!${NOT_S})`,
  `${S}+`,
].join('|');

/** The Llama 3 pattern (tokenizer.json `Split`), in JS syntax. */
export const LLAMA3_PATTERN = [
  CONTRACTION,
  `[^\\r\\n\\p{L}\\p{N}]?\\p{L}+`,
  `\\p{N}{1,3}`,
  ` ?[^${WHITE_SPACE}\\p{L}\\p{N}]+[\\r\\n]*`,
  `${S}*[\\r\\n]+`,
  `${S}+(?!${NOT_S})`,
  `${S}+`,
].join('|');

/** GPT-2's pattern (the ByteLevel pre-tokenizer's built-in regex), in JS syntax. */
export const GPT2_PATTERN = [
  `'s|'t|'re|'ve|'m|'ll|'d`,
  ` ?\\p{L}+`,
  ` ?\\p{N}+`,
  ` ?[^${WHITE_SPACE}\\p{L}\\p{N}]+`,
  `${S}+(?!${NOT_S})`,
  `${S}+`,
].join('|');

/**
 * The source text of patterns as they appear in tokenizer files, mapped to their JS forms. Only
 * these are accepted: an arbitrary regex from a model folder could backtrack catastrophically
 * (bad-inputs.md TK3), and its Rust/Oniguruma semantics would not carry over to JS exactly.
 */
export const KNOWN_PATTERNS: ReadonlyMap<string, string> = new Map([
  [
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    O200K_PATTERN,
  ],
  [
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    LLAMA3_PATTERN,
  ],
  ["'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", GPT2_PATTERN],
]);

/** Translates a pattern from a tokenizer file to JS, or fails with a typed error. */
export function patternFromSource(source: string): string {
  const known = KNOWN_PATTERNS.get(source);
  if (known === undefined) {
    const shown = source.length > 120 ? `${source.slice(0, 120)}…` : source;
    throw new ScoutError(
      'tokenizer',
      `unsupported pre-tokenizer pattern '${shown}': only the o200k, Llama 3 and GPT-2 patterns are accepted`,
    );
  }
  return known;
}

/** A compiled pre-tokenizer: gives the end of each piece in turn. */
export class PreTokenizer {
  private readonly regex: RegExp;

  constructor(readonly pattern: string) {
    this.regex = new RegExp(pattern, 'uy');
  }

  /** The end of the piece that starts at `start` (< text.length). */
  pieceEnd(text: string, start: number): number {
    const regex = this.regex;
    regex.lastIndex = start;
    if (!regex.test(text) || regex.lastIndex <= start) {
      throw new ScoutError('internal', `pre-tokenizer pattern does not match at offset ${start}`);
    }
    return regex.lastIndex;
  }

  /** The pieces as strings (tests and tools; the encoder uses splitPieces). */
  pieces(text: string): string[] {
    const out: string[] = [];
    for (let start = 0; start < text.length;) {
      const end = this.pieceEnd(text, start);
      out.push(text.slice(start, end));
      start = end;
    }
    return out;
  }
}
