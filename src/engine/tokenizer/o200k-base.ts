/**
 * The o200k_base encoding, available with no model loaded (the packer counts tokens with it).
 *
 * Its ranks come from the js-tiktoken package (plain data). Parsing that text and hashing 200K
 * tokens takes about half a second, and every packer worker thread needs the table, so the parsed
 * TokenTable is written once to the user's cache folder (`scout/tokenizer/o200k_base.v1.bin`) and
 * later loads read it in milliseconds. The file carries a checksum; a damaged or foreign one is
 * rebuilt from the package. The special tokens are those tiktoken defines for o200k_base; plain
 * encode() never produces them.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ScoutError } from '../errors.js';
import { BpeTokenizer, rankMerger } from './bpe.js';
import { O200K_PATTERN } from './pretokenizer.js';
import { parseCompactRanks, TokenTable } from './ranks.js';

export const O200K_SPECIAL_TOKENS: ReadonlyMap<string, number> = new Map([
  ['<|endoftext|>', 199999],
  ['<|endofprompt|>', 200018],
]);

let table: TokenTable | undefined;
let shared: Promise<BpeTokenizer> | undefined;

/** Where the parsed table is kept between processes ($XDG_CACHE_HOME or ~/.cache). */
export function o200kTableFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir(), '.cache');
  return join(base, 'scout', 'tokenizer', 'o200k_base.v1.bin');
}

/** Parses js-tiktoken's o200k_base ranks (the slow path, once per machine). */
function parseO200kFromPackage(): TokenTable {
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
  return TokenTable.fromTokens(parseCompactRanks(data.bpe_ranks, 'o200k_base'), 'o200k_base');
}

/**
 * The o200k_base table from `file` when it holds a valid one, else parsed from the package and
 * written there (atomically: concurrent workers may race, each rename leaves a whole file).
 * `file` undefined: never touch the disk.
 */
export function loadO200kTable(file: string | undefined): TokenTable {
  if (file) {
    try {
      return TokenTable.fromBuffer(readFileSync(file), file);
    } catch {
      // Missing, damaged or from another layout version: rebuild it below.
    }
  }
  const parsed = parseO200kFromPackage();
  if (file) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(tmp, parsed.toBuffer());
      renameSync(tmp, file);
    } catch {
      // A read-only cache folder only means the next process parses again.
    }
  }
  return parsed;
}

function o200kTable(): TokenTable {
  table ??= loadO200kTable(o200kTableFile());
  return table;
}

/** The o200k_base rank table (ids 0..199997) as token bytes by id, loaded once. */
export async function o200kRanks(): Promise<(Uint8Array | undefined)[]> {
  return o200kTable().tokens();
}

/** A new o200k_base tokenizer with its own (empty) piece cache; the table is shared. */
export async function createO200kBase(): Promise<BpeTokenizer> {
  const tokens = o200kTable();
  return new BpeTokenizer({
    tokenBytes: tokens,
    merge: rankMerger(tokens),
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
