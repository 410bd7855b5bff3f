/**
 * The TokenTable (ranks.ts) and the o200k_base table kept on disk: lookups agree with the token
 * list they were built from, a stored table round-trips exactly, and a damaged file is refused
 * with a typed error and then rebuilt, never trusted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadO200kTable, o200kTableFile } from '../../src/engine/tokenizer/o200k-base.js';
import { TokenTable } from '../../src/engine/tokenizer/ranks.js';
import { expectScoutError } from '../fixtures/expect-scout-error.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
// A hole at id 3, as tokenizer.model files and special-token ids leave.
const tokens: (Uint8Array | undefined)[] = [bytes('a'), bytes('b'), bytes('ab'), undefined, bytes('abb')];

const dir = mkdtempSync(join(tmpdir(), 'scout-token-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TokenTable', () => {
  it('finds tokens by bytes and by pair, and knows its holes', () => {
    const table = TokenTable.fromTokens(tokens, 'test');
    expect(table.size).toBe(5);
    expect(table.idOf(bytes('xabx'), 1, 3)).toBe(2);
    expect(table.idOf(bytes('ba'), 0, 2)).toBe(-1);
    expect(table.idOfPair(0, 1)).toBe(2);
    expect(table.idOfPair(2, 1)).toBe(4);
    expect(table.idOfPair(1, 0)).toBe(-1);
    expect(table.tokenAt(3)).toBeUndefined();
    expect(table.tokenAt(5)).toBeUndefined();
    expect(table.tokenAt(-1)).toBeUndefined();
    expect(Buffer.from(table.tokenAt(4)!).toString('latin1')).toBe('abb');
    expect(table.tokens().map((t) => t && Buffer.from(t).toString('latin1'))).toEqual([
      'a',
      'b',
      'ab',
      undefined,
      'abb',
    ]);
  });

  it('refuses two ids with the same bytes', () => {
    expectScoutError(() => TokenTable.fromTokens([bytes('a'), bytes('a')], 'dup'), 'tokenizer', /two ranks/);
  });

  it('round-trips through bytes and refuses damaged ones', () => {
    const stored = TokenTable.fromTokens(tokens, 'test').toBuffer();
    const back = TokenTable.fromBuffer(stored, 'stored');
    expect(back.tokens()).toEqual(TokenTable.fromTokens(tokens, 'test').tokens());
    expect(back.idOfPair(0, 1)).toBe(2);

    expectScoutError(() => TokenTable.fromBuffer(stored.subarray(0, 10), 'short'), 'tokenizer', /too short/);
    expectScoutError(() => TokenTable.fromBuffer(stored.subarray(0, -1), 'cut'), 'tokenizer', /checksum/);
    const flipped = Buffer.from(stored);
    flipped[30]! ^= 1;
    expectScoutError(() => TokenTable.fromBuffer(flipped, 'flipped'), 'tokenizer', /checksum/);
  });
});

describe('the o200k_base table on disk', () => {
  it('follows XDG_CACHE_HOME', () => {
    expect(o200kTableFile({ XDG_CACHE_HOME: '/x' })).toBe('/x/scout/tokenizer/o200k_base.v1.bin');
    expect(o200kTableFile({ HOME: '/h' })).toBe('/h/.cache/scout/tokenizer/o200k_base.v1.bin');
  });

  it('is written on first use, read back identically, and rebuilt when damaged', () => {
    const file = join(dir, 'nested', 'o200k.bin');
    const parsed = loadO200kTable(file);
    expect(parsed.size).toBe(199998);
    const written = readFileSync(file);
    const loaded = loadO200kTable(file);
    // Same bytes out means the same offsets, hash slots and token bytes.
    expect(loaded.toBuffer().equals(written)).toBe(true);
    // "hello" is one o200k_base token.
    expect(loaded.idOf(bytes('hello'), 0, 5)).toBe(parsed.idOf(bytes('hello'), 0, 5));
    expect(loaded.idOf(bytes('hello'), 0, 5)).toBeGreaterThan(255);

    writeFileSync(file, written.subarray(0, written.length >> 1));
    expect(loadO200kTable(file).toBuffer().equals(written)).toBe(true);
    expect(readFileSync(file).equals(written)).toBe(true);
  });
});
