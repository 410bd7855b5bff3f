/**
 * A byte-level BPE tokenizer: pre-tokenize with a regex, then merge the UTF-8 bytes of each piece.
 *
 * One class serves both flavours the project meets:
 *  - tiktoken ranks (o200k_base, Meta's `tokenizer.model`): two parts merge when their concatenated
 *    bytes are a token, lowest rank first; a piece that is itself a token is emitted whole.
 *  - Hugging Face `tokenizer.json` BPE: two parts merge when the merges list has the pair, in list
 *    order; a piece is emitted whole first only with `ignore_merges`.
 * The difference is captured by the `PairMerger` and `wholePieceFirst` of the definition.
 *
 * Speed: real text repeats its pieces (identifiers, keywords, indentation), so every piece's ids are
 * remembered by its text in a bounded cache. A new piece that is one token is found by its bytes in
 * the TokenTable's hash table; only new multi-token pieces reach the merge loop. Nothing here builds
 * a map per token at load, so a tokenizer whose table comes from disk is ready in milliseconds.
 */
import { ScoutError } from '../errors.js';
import type { Tokenizer } from './types.js';
import { MERGE_ID_SPAN, PieceMerger, type PairMerger } from './merge.js';
import { PreTokenizer } from './pretokenizer.js';
import { TokenTable } from './ranks.js';
import { utf8Encode } from './utf8.js';

export interface BpeDefinition {
  /**
   * The bytes of each ordinary token, indexed by id; ids used by special tokens or unused are holes.
   * A TokenTable (o200k_base loads one from disk) avoids building one here.
   */
  tokenBytes: TokenTable | readonly (Uint8Array | undefined)[];
  /** How two adjacent parts merge (see merge.ts). */
  merge: PairMerger;
  /** Emit a piece that is itself a token without merging (tiktoken always; HF with ignore_merges). */
  wholePieceFirst: boolean;
  /** The pre-tokenizer regex, in JS syntax. */
  pattern: string;
  /** Special tokens (text → id). Plain encode() never produces them. */
  specialTokens: ReadonlyMap<string, number>;
  /** Non-special added tokens (HF): always split out of the text before pre-tokenization. */
  addedTokens?: ReadonlyMap<string, number>;
  /** Number of ids, at least one more than the largest id in use. */
  vocabSize: number;
}

/** A piece that is one token is cached as that id, others as their ids. */
type Cached = number | number[];
/** Bounded so that hashing a long novel input cannot grow memory without limit. */
const PIECE_CACHE_LIMIT = 1 << 17;
/** Longer pieces (minified code, long runs) rarely repeat and would hold memory: not cached. */
const MAX_CACHED_PIECE = 256;

/**
 * A copy of `piece` that does not keep its source alive. V8 represents slices of 13+ characters as
 * views into the parent string, so caching them as-is would pin every file the packer ever counted.
 */
function detached(piece: string): string {
  return piece.length < 13 ? piece : (' ' + piece).slice(1);
}

/** Bound on remembered pair lookups (a long novel input must not grow memory without limit). */
const PAIR_MEMO_LIMIT = 1 << 20;

const tablesOfArrays = new WeakMap<readonly (Uint8Array | undefined)[], TokenTable>();

/** The TokenTable of a definition's tokens, built once per array (the merger and the tokenizer share it). */
export function tokenTable(tokens: TokenTable | readonly (Uint8Array | undefined)[]): TokenTable {
  if (tokens instanceof TokenTable) return tokens;
  let table = tablesOfArrays.get(tokens);
  if (!table) {
    table = TokenTable.fromTokens(tokens, 'vocabulary');
    tablesOfArrays.set(tokens, table);
  }
  return table;
}

/**
 * tiktoken semantics: two parts merge when their concatenated bytes are a token; priority = id.
 * Looking up a concatenation hashes both parts' bytes, so results are remembered per id pair: long
 * runs and repeated text ask about the same few pairs over and over.
 */
export function rankMerger(tokens: TokenTable | readonly (Uint8Array | undefined)[]): PairMerger {
  const table = tokenTable(tokens);
  const memo = new Map<number, number>();
  return (left, right) => {
    const pair = left * MERGE_ID_SPAN + right;
    let packed = memo.get(pair);
    if (packed === undefined) {
      const rank = table.idOfPair(left, right);
      packed = rank < 0 ? -1 : rank * MERGE_ID_SPAN + rank;
      if (memo.size >= PAIR_MEMO_LIMIT) memo.clear();
      memo.set(pair, packed);
    }
    return packed;
  };
}

export class BpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  private readonly table: TokenTable;
  private readonly wholePieceFirst: boolean;
  private readonly specialBytes = new Map<number, Uint8Array>();
  private readonly pre: PreTokenizer;
  private readonly merger: PieceMerger;
  private readonly byteIds = new Int32Array(256);
  private readonly cache = new Map<string, Cached>();
  private readonly addedTokens: ReadonlyMap<string, number>;
  private readonly addedRegex: RegExp | undefined;
  private specialRegex: RegExp | undefined;
  private scratchBytes = new Uint8Array(1024);
  private scratchIds = new Int32Array(1024);

  constructor(definition: BpeDefinition) {
    this.vocabSize = definition.vocabSize;
    this.table = tokenTable(definition.tokenBytes);
    this.wholePieceFirst = definition.wholePieceFirst;
    this.specialTokens = definition.specialTokens;
    this.addedTokens = definition.addedTokens ?? new Map();
    this.pre = new PreTokenizer(definition.pattern);
    this.merger = new PieceMerger(definition.merge);

    for (let b = 0; b < 256; b++) {
      const id = this.table.idOf(Uint8Array.of(b), 0, 1);
      if (id < 0) {
        throw new ScoutError('tokenizer', `byte-level vocabulary has no token for byte 0x${b.toString(16)}`);
      }
      this.byteIds[b] = id;
    }
    const encoder = new TextEncoder();
    for (const [text, id] of [...this.specialTokens, ...this.addedTokens]) {
      this.specialBytes.set(id, encoder.encode(text));
    }
    this.addedRegex = this.addedTokens.size > 0 ? alternation([...this.addedTokens.keys()]) : undefined;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    this.encodeInto(text, out);
    return out;
  }

  count(text: string): number {
    let n = 0;
    this.withAddedTokens(
      text,
      (segment) => (n += this.countOrdinary(segment)),
      () => n++,
    );
    return n;
  }

  /**
   * Encodes text in which special-token strings ARE turned into their ids. Only for text we built
   * ourselves (a rendered chat template), never for user or repository content.
   */
  encodeWithSpecialTokens(text: string): number[] {
    this.specialRegex ??= alternation([...this.specialTokens.keys()]);
    const out: number[] = [];
    splitOn(
      text,
      this.specialRegex,
      (segment) => this.encodeInto(segment, out),
      (token) => out.push(this.specialTokens.get(token)!),
    );
    return out;
  }

  /** The id of a special token, or a typed error naming it. */
  specialTokenId(text: string): number {
    const id = this.specialTokens.get(text);
    if (id === undefined) throw new ScoutError('tokenizer', `the tokenizer has no special token '${text}'`);
    return id;
  }

  /** The bytes of one id (special tokens give their text's bytes). */
  bytesOf(id: number): Uint8Array {
    const bytes = Number.isInteger(id) ? (this.table.tokenAt(id) ?? this.specialBytes.get(id)) : undefined;
    if (!bytes)
      throw new ScoutError('tokenizer', `token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
    return bytes;
  }

  decodeBytes(ids: readonly number[]): Uint8Array {
    let length = 0;
    for (const id of ids) length += this.bytesOf(id).length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const id of ids) {
      const bytes = this.bytesOf(id);
      out.set(bytes, at);
      at += bytes.length;
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(this.decodeBytes(ids));
  }

  /** Appends the ids of `text` to `out` (never spread: a long text has more ids than a call may take arguments). */
  private encodeInto(text: string, out: number[]): void {
    this.withAddedTokens(
      text,
      (segment) => this.encodeOrdinary(segment, out),
      (id) => out.push(id),
    );
  }

  private withAddedTokens(text: string, onText: (segment: string) => void, onToken: (id: number) => void) {
    if (!this.addedRegex) {
      onText(text);
      return;
    }
    splitOn(text, this.addedRegex, onText, (token) => onToken(this.addedTokens.get(token)!));
  }

  private encodeOrdinary(text: string, out: number[]): void {
    const { pre, cache } = this;
    for (let start = 0; start < text.length;) {
      const end = pre.pieceEnd(text, start);
      const piece = text.slice(start, end);
      start = end;
      const cached = cache.get(piece) ?? this.idsOfPiece(piece);
      if (typeof cached === 'number') out.push(cached);
      else for (const id of cached) out.push(id);
    }
  }

  private countOrdinary(text: string): number {
    const { pre, cache } = this;
    let n = 0;
    for (let start = 0; start < text.length;) {
      const end = pre.pieceEnd(text, start);
      const piece = text.slice(start, end);
      start = end;
      const cached = cache.get(piece) ?? this.idsOfPiece(piece);
      n += typeof cached === 'number' ? 1 : cached.length;
    }
    return n;
  }

  /** Finds the ids of one piece (whole first when the definition says so, else BPE) and caches them. */
  private idsOfPiece(piece: string): Cached {
    const maxBytes = piece.length * 3;
    if (this.scratchBytes.length < maxBytes) {
      this.scratchBytes = new Uint8Array(maxBytes * 2);
      this.scratchIds = new Int32Array(maxBytes * 2);
    }
    const n = utf8Encode(piece, 0, piece.length, this.scratchBytes);
    const whole = this.wholePieceFirst ? this.table.idOf(this.scratchBytes, 0, n) : -1;
    let result: Cached = whole;
    if (whole < 0) {
      for (let i = 0; i < n; i++) this.scratchIds[i] = this.byteIds[this.scratchBytes[i]!]!;
      const ids: number[] = [];
      this.merger.mergeInto(this.scratchIds, n, ids);
      result = ids.length === 1 ? ids[0]! : ids;
    }
    if (piece.length <= MAX_CACHED_PIECE) {
      if (this.cache.size >= PIECE_CACHE_LIMIT) this.cache.clear();
      this.cache.set(detached(piece), result);
    }
    return result;
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** A regex matching any of `tokens`, longest first so that a token never loses to its own prefix. */
function alternation(tokens: string[]): RegExp | undefined {
  if (tokens.length === 0) return undefined;
  const sorted = [...tokens].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map(escapeRegex).join('|'), 'gu');
}

/** Calls onText for the text between matches of `regex` and onToken for each match. */
function splitOn(
  text: string,
  regex: RegExp | undefined,
  onText: (segment: string) => void,
  onToken: (token: string) => void,
): void {
  if (!regex) {
    if (text) onText(text);
    return;
  }
  let last = 0;
  for (const match of text.matchAll(regex)) {
    if (match.index > last) onText(text.slice(last, match.index));
    onToken(match[0]);
    last = match.index + match[0].length;
  }
  if (last < text.length) onText(text.slice(last));
}
