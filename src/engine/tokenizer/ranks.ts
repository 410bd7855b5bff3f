/**
 * Parsers for tiktoken-style rank files: token bytes in base64, one rank each.
 *
 * Two layouts exist: Meta's `tokenizer.model` ("<base64> <rank>" per line) and the compact form the
 * js-tiktoken package ships ("! <first rank> <base64> <base64> …", consecutive ranks). Both give a
 * table indexed by rank, which is the token id.
 */
import { ScoutError } from '../errors.js';

/** Ranks at or above this are refused (the merge packing leaves ids below 2^20). */
export const MAX_RANKS = 1 << 20;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeToken(base64: string, where: string): Uint8Array {
  if (!BASE64.test(base64) || base64.length % 4 !== 0) {
    throw new ScoutError('tokenizer', `${where}: '${base64.slice(0, 40)}' is not base64`);
  }
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

function place(table: (Uint8Array | undefined)[], rank: number, bytes: Uint8Array, where: string): void {
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= MAX_RANKS) {
    throw new ScoutError('tokenizer', `${where}: rank ${rank} is outside 0..${MAX_RANKS - 1}`);
  }
  if (table[rank] !== undefined) throw new ScoutError('tokenizer', `${where}: rank ${rank} appears twice`);
  table[rank] = bytes;
}

/** Checks that no two ranks share the same bytes (BPE would be ambiguous). */
function checkUnique(table: readonly (Uint8Array | undefined)[], source: string): void {
  const seen = new Set<string>();
  for (const bytes of table) {
    if (!bytes) continue;
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    if (seen.has(key)) throw new ScoutError('tokenizer', `${source}: the same token bytes have two ranks`);
    seen.add(key);
  }
}

/** Parses Meta's `tokenizer.model` text. */
export function parseTiktokenModel(text: string, source = 'tokenizer.model'): (Uint8Array | undefined)[] {
  const table: (Uint8Array | undefined)[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') continue;
    const where = `${source} line ${i + 1}`;
    const parts = line.split(' ');
    if (parts.length !== 2 || !/^\d+$/.test(parts[1]!)) {
      throw new ScoutError('tokenizer', `${where}: expected '<base64> <rank>', got '${line.slice(0, 60)}'`);
    }
    const bytes = decodeToken(parts[0]!, where);
    place(table, Number(parts[1]), bytes, where);
  }
  if (table.length === 0) throw new ScoutError('tokenizer', `${source}: no ranks`);
  checkUnique(table, source);
  return table;
}

/** Parses js-tiktoken's compact `bpe_ranks` string. */
export function parseCompactRanks(text: string, source: string): (Uint8Array | undefined)[] {
  const table: (Uint8Array | undefined)[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [, first, ...tokens] = line.split(' ');
    const offset = Number(first);
    tokens.forEach((token, i) => place(table, offset + i, decodeToken(token, source), source));
  }
  if (table.length === 0) throw new ScoutError('tokenizer', `${source}: no ranks`);
  return table;
}

/** Meta's `tokenizer.model` text for a rank table (the test fixture writes it). */
export function formatTiktokenModel(table: readonly (Uint8Array | undefined)[]): string {
  const lines: string[] = [];
  table.forEach((bytes, rank) => {
    if (bytes) lines.push(`${Buffer.from(bytes).toString('base64')} ${rank}`);
  });
  return lines.join('\n') + '\n';
}
