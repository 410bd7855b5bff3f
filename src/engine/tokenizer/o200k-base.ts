/**
 * The o200k_base encoding, available with no model loaded (the packer counts tokens with it).
 *
 * Its ranks come from the js-tiktoken package (plain data, loaded once and shared). The special
 * tokens are those tiktoken defines for o200k_base; plain encode() never produces them.
 */
import { ScoutError } from '../errors.js';
import { BpeTokenizer, rankMerger } from './bpe.js';
import { O200K_PATTERN } from './pretokenizer.js';
import { parseCompactRanks } from './ranks.js';

export const O200K_SPECIAL_TOKENS: ReadonlyMap<string, number> = new Map([
  ['<|endoftext|>', 199999],
  ['<|endofprompt|>', 200018],
]);

let ranks: (Uint8Array | undefined)[] | undefined;
let shared: Promise<BpeTokenizer> | undefined;

/** The o200k_base rank table (ids 0..199997), loaded once. */
export async function o200kRanks(): Promise<(Uint8Array | undefined)[]> {
  if (!ranks) {
    let data: { bpe_ranks: string };
    try {
      // A lazy require rather than import(): the 2 MB table loads only when first needed, and
      // esbuild still bundles it (tsx and vitest handle require of a CommonJS data module too).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      data = require('js-tiktoken/ranks/o200k_base') as { bpe_ranks: string };
    } catch (e) {
      throw new ScoutError('not_found', 'the o200k_base ranks (package js-tiktoken) are not installed', {
        cause: e,
      });
    }
    ranks = parseCompactRanks(data.bpe_ranks, 'o200k_base');
  }
  return ranks;
}

/** A new o200k_base tokenizer with its own (empty) piece cache; the ranks are shared. */
export async function createO200kBase(): Promise<BpeTokenizer> {
  const table = await o200kRanks();
  return new BpeTokenizer({
    tokenBytes: table,
    merge: rankMerger(table),
    wholePieceFirst: true,
    pattern: O200K_PATTERN,
    specialTokens: O200K_SPECIAL_TOKENS,
    vocabSize: 200019,
  });
}

/** The shared o200k_base tokenizer (it caches pieces, so sharing it makes counting faster). */
export function loadO200kBase(): Promise<BpeTokenizer> {
  shared ??= createO200kBase();
  shared.catch(() => (shared = undefined));
  return shared;
}
