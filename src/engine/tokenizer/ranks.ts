/**
 * Parsers for tiktoken-style rank files: token bytes in base64, one rank each.
 *
 * Two layouts exist: Meta's `tokenizer.model` ("<base64> <rank>" per line) and the compact form the
 * js-tiktoken package ships ("! <first rank> <base64> <base64> …", consecutive ranks). Both give a
 * table indexed by rank, which is the token id. TokenTable packs such a table into typed arrays
 * with a bytes → id hash table, and serializes it so that it loads without parsing.
 */
import { createHash } from 'node:crypto';
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

/** Bumped when the binary layout of a TokenTable changes. */
const TABLE_MAGIC = 0x4b544353; // "SCTK" little-endian
const TABLE_VERSION = 1;
const HEADER_WORDS = 5; // magic, version, token count, blob bytes, slot count
const DIGEST_BYTES = 32;

/** FNV-1a over bytes[start, end), continuing from `hash` (so two ranges hash as their concatenation). */
function fnv(hash: number, bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}
const FNV_SEED = 0x811c9dc5;

/**
 * Every token's bytes in one buffer, with an open-addressing hash table from bytes to id, all in
 * typed arrays. It replaces a Map of 200K string keys: building that costs ~0.5 s per worker
 * thread, while this table is built once, stored on disk (o200k-base.ts) and loaded in
 * milliseconds, and it answers "which token are these bytes?" without creating a string.
 */
export class TokenTable {
  private constructor(
    /** The bytes of token i are blob[offsets[i], offsets[i + 1]); a hole has none. */
    private readonly blob: Uint8Array,
    private readonly offsets: Uint32Array,
    /** Token id + 1 per slot (0 = empty); the slot count is a power of two, at least twice the ids. */
    private readonly slots: Int32Array,
  ) {}

  /** Number of ids (holes included). */
  get size(): number {
    return this.offsets.length - 1;
  }

  static fromTokens(tokens: readonly (Uint8Array | undefined)[], source: string): TokenTable {
    const offsets = new Uint32Array(tokens.length + 1);
    let total = 0;
    // Indexed loops, not forEach: a sparse array's holes must still get their (empty) offsets.
    for (let id = 0; id < tokens.length; id++) {
      offsets[id] = total;
      total += tokens[id]?.length ?? 0;
    }
    offsets[tokens.length] = total;
    const blob = new Uint8Array(total);
    for (let id = 0; id < tokens.length; id++) {
      const bytes = tokens[id];
      if (bytes) blob.set(bytes, offsets[id]!);
    }
    let slotCount = 16;
    while (slotCount < tokens.length * 2) slotCount *= 2;
    const table = new TokenTable(blob, offsets, new Int32Array(slotCount));
    for (let id = 0; id < tokens.length; id++) {
      const start = offsets[id]!;
      const end = offsets[id + 1]!;
      if (start === end) continue;
      let slot = fnv(FNV_SEED, blob, start, end) & (slotCount - 1);
      for (; table.slots[slot] !== 0; slot = (slot + 1) & (slotCount - 1)) {
        if (table.matches(table.slots[slot]! - 1, blob, start, end, blob, end, end)) {
          throw new ScoutError('tokenizer', `${source}: the same token bytes have two ranks`);
        }
      }
      table.slots[slot] = id + 1;
    }
    return table;
  }

  /** The bytes of token `id` (a view, not a copy), or undefined for a hole or an id out of range. */
  tokenAt(id: number): Uint8Array | undefined {
    if (!(id >= 0 && id < this.size)) return undefined;
    const start = this.offsets[id]!;
    const end = this.offsets[id + 1]!;
    return start === end ? undefined : this.blob.subarray(start, end);
  }

  /** The tokens as an array indexed by id (views into the table). */
  tokens(): (Uint8Array | undefined)[] {
    const out: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(this.size);
    for (let id = 0; id < out.length; id++) out[id] = this.tokenAt(id);
    return out;
  }

  /** The id whose bytes are exactly bytes[start, end), or -1. */
  idOf(bytes: Uint8Array, start: number, end: number): number {
    return this.find(fnv(FNV_SEED, bytes, start, end), bytes, start, end, bytes, end, end);
  }

  /** The id whose bytes are token `left`'s followed by token `right`'s, or -1. */
  idOfPair(left: number, right: number): number {
    const { blob, offsets } = this;
    const ls = offsets[left]!;
    const le = offsets[left + 1]!;
    const rs = offsets[right]!;
    const re = offsets[right + 1]!;
    return this.find(fnv(fnv(FNV_SEED, blob, ls, le), blob, rs, re), blob, ls, le, blob, rs, re);
  }

  private find(hash: number, a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number) {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return -1;
      if (this.matches(entry - 1, a, as, ae, b, bs, be)) return entry - 1;
    }
  }

  /** Whether token `id` is exactly a[as, ae) followed by b[bs, be). */
  private matches(id: number, a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number) {
    const { blob, offsets } = this;
    let at = offsets[id]!;
    if (offsets[id + 1]! - at !== ae - as + (be - bs)) return false;
    for (let i = as; i < ae; i++) if (blob[at++] !== a[i]) return false;
    for (let i = bs; i < be; i++) if (blob[at++] !== b[i]) return false;
    return true;
  }

  /** The table as bytes: a header, the offsets, the slots, the token bytes, then a SHA-256 of all that. */
  toBuffer(): Buffer {
    const header = new Uint32Array([
      TABLE_MAGIC,
      TABLE_VERSION,
      this.size,
      this.blob.length,
      this.slots.length,
    ]);
    const body = Buffer.concat([
      new Uint8Array(header.buffer),
      new Uint8Array(this.offsets.buffer, this.offsets.byteOffset, this.offsets.byteLength),
      new Uint8Array(this.slots.buffer, this.slots.byteOffset, this.slots.byteLength),
      this.blob,
    ]);
    return Buffer.concat([body, createHash('sha256').update(body).digest()]);
  }

  /**
   * Reads what toBuffer() wrote. Any damage (truncation, another version, a flipped bit) is a
   * typed error: the checksum covers every byte, so a table that loads gives the ids it was built with.
   */
  static fromBuffer(data: Uint8Array, source: string): TokenTable {
    const bad = (why: string) => new ScoutError('tokenizer', `${source}: not a usable token table (${why})`);
    if (data.length < HEADER_WORDS * 4 + DIGEST_BYTES) throw bad('too short');
    const bodyLength = data.length - DIGEST_BYTES;
    const digest = createHash('sha256').update(data.subarray(0, bodyLength)).digest();
    if (!digest.equals(data.subarray(bodyLength))) throw bad('checksum mismatch');
    // Typed arrays need 4-byte alignment: one copy into a fresh buffer gives it.
    const words = new Uint8Array(bodyLength);
    words.set(data.subarray(0, bodyLength));
    const header = new Uint32Array(words.buffer, 0, HEADER_WORDS);
    const [magic, version, count, blobLength, slotCount] = header as unknown as number[];
    if (magic !== TABLE_MAGIC || version !== TABLE_VERSION) throw bad('wrong format or version');
    const offsetsAt = HEADER_WORDS * 4;
    const slotsAt = offsetsAt + (count! + 1) * 4;
    const blobAt = slotsAt + slotCount! * 4;
    if (count! >= MAX_RANKS || blobAt + blobLength! !== bodyLength) throw bad('inconsistent sizes');
    if (slotCount! < count! * 2 || (slotCount! & (slotCount! - 1)) !== 0) throw bad('bad hash table size');
    const offsets = new Uint32Array(words.buffer, offsetsAt, count! + 1);
    for (let i = 0; i < count!; i++) if (offsets[i]! > offsets[i + 1]!) throw bad('offsets out of order');
    if (offsets[0] !== 0 || offsets[count!] !== blobLength) throw bad('offsets out of range');
    const slots = new Int32Array(words.buffer, slotsAt, slotCount!);
    for (const entry of slots) if (entry < 0 || entry > count!) throw bad('hash slot out of range');
    return new TokenTable(words.subarray(blobAt), offsets, slots);
  }
}
