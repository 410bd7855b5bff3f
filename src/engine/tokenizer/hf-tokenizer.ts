/**
 * Reads a Hugging Face `tokenizer.json` that describes a byte-level BPE (Llama 3 and 4, GPT-2
 * style) into a BpeDefinition.
 *
 * Everything in the file is outside input: each field is checked and anything we cannot honour
 * exactly (a normalizer, an unknown pre-tokenizer regex, byte fallback, subword prefixes) is a typed
 * 'tokenizer' error rather than silently different ids. The post-processor is ignored on purpose:
 * encode() never adds BOS; the chat formatter places it (llama4.md §5, the double-BOS pitfall).
 */
import { ScoutError } from '../errors.js';
import type { BpeDefinition } from './bpe.js';
import { MAX_PRIORITY, MERGE_ID_SPAN } from './merge.js';
import { GPT2_PATTERN, patternFromSource } from './pretokenizer.js';

type Json = unknown;

function fail(message: string): never {
  throw new ScoutError('tokenizer', `tokenizer.json: ${message}`);
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(obj: Record<string, Json>, name: string, where: string): Json {
  if (!(name in obj)) fail(`${where} has no '${name}'`);
  return obj[name];
}

/**
 * GPT-2's byte → printable character mapping used by the ByteLevel pre-tokenizer: printable
 * Latin-1 bytes stand for themselves, the rest take U+0100 onwards in byte order.
 */
export function byteLevelChars(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const chars: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) chars.push(String.fromCharCode(printable(b) ? b : next++));
  return chars;
}

/** The inverse, indexed by char code (all 256 are below U+0144); -1 marks characters outside it. */
function byteLevelDecoding(): Int16Array {
  const charToByte = new Int16Array(512).fill(-1);
  byteLevelChars().forEach((char, b) => (charToByte[char.charCodeAt(0)] = b));
  return charToByte;
}

function byteLevelBytes(token: string, charToByte: Int16Array): Uint8Array {
  const bytes = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = charToByte[token.charCodeAt(i)] ?? -1;
    if (b < 0) fail(`vocabulary token '${token.slice(0, 40)}' is not byte-level encoded`);
    bytes[i] = b;
  }
  return bytes;
}

function checkId(id: Json, where: string): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MERGE_ID_SPAN) {
    fail(`${where}: id ${JSON.stringify(id)} is not an integer in 0..${MERGE_ID_SPAN - 1}`);
  }
  return id;
}

/** The JS pre-tokenizer regex for the file's pre_tokenizer, which must be a byte-level one. */
function preTokenizerPattern(pre: Json): string {
  if (!isObject(pre)) fail('pre_tokenizer must be an object');
  const byteLevel = (node: Record<string, Json>, ownRegex: boolean) => {
    if (node.add_prefix_space === true) fail('ByteLevel add_prefix_space is not supported');
    if ((node.use_regex !== false) !== ownRegex) {
      fail(
        ownRegex
          ? 'a lone ByteLevel pre-tokenizer must use its regex'
          : 'ByteLevel after Split must not use its regex',
      );
    }
  };
  if (pre.type === 'ByteLevel') {
    byteLevel(pre, true);
    return GPT2_PATTERN;
  }
  const steps = pre.type === 'Sequence' ? pre.pretokenizers : undefined;
  if (!Array.isArray(steps) || steps.length !== 2 || !isObject(steps[0]) || !isObject(steps[1])) {
    fail('pre_tokenizer must be ByteLevel or Sequence[Split, ByteLevel]');
  }
  const [split, last] = steps as [Record<string, Json>, Record<string, Json>];
  if (split.type !== 'Split' || last.type !== 'ByteLevel')
    fail('pre_tokenizer must be Sequence[Split, ByteLevel]');
  if (split.behavior !== 'Isolated' || split.invert === true) fail('Split must be Isolated and not inverted');
  const pattern = split.pattern;
  if (!isObject(pattern) || typeof pattern.Regex !== 'string') fail('Split pattern must be {"Regex": "..."}');
  byteLevel(last, false);
  return patternFromSource(pattern.Regex);
}

/** Builds the BPE definition from parsed tokenizer.json content. */
export function definitionFromTokenizerJson(root: Json): BpeDefinition {
  if (!isObject(root)) fail('the top level must be an object');
  if (root.normalizer !== null && root.normalizer !== undefined) fail('normalizers are not supported');
  const model = field(root, 'model', 'the file');
  if (!isObject(model) || model.type !== 'BPE') fail('model.type must be "BPE"');
  if (model.byte_fallback === true) fail('byte_fallback is not supported (byte-level BPE only)');
  if (model.dropout !== null && model.dropout !== undefined) fail('BPE dropout is not supported');
  if (model.continuing_subword_prefix || model.end_of_word_suffix)
    fail('subword prefixes/suffixes are not supported');
  const pattern = preTokenizerPattern(field(root, 'pre_tokenizer', 'the file'));

  const vocab = field(model, 'vocab', 'model');
  if (!isObject(vocab)) fail('model.vocab must be an object');
  const charToByte = byteLevelDecoding();
  const tokenBytes: (Uint8Array | undefined)[] = [];
  const idOf = new Map<string, number>();
  for (const [token, rawId] of Object.entries(vocab)) {
    const id = checkId(rawId, `vocab '${token.slice(0, 40)}'`);
    if (token === '') fail(`vocab has an empty token at id ${id}`);
    if (tokenBytes[id] !== undefined) fail(`vocab id ${id} is used twice`);
    tokenBytes[id] = byteLevelBytes(token, charToByte);
    idOf.set(token, id);
  }

  const merges = field(model, 'merges', 'model');
  if (!Array.isArray(merges)) fail('model.merges must be an array');
  if (merges.length >= MAX_PRIORITY) fail(`${merges.length} merges is more than ${MAX_PRIORITY - 1}`);
  const mergeTable = new Map<number, number>();
  merges.forEach((merge: Json, rank) => {
    const pair = typeof merge === 'string' ? merge.split(' ') : merge;
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      fail(`merge ${rank} must be "a b" or ["a", "b"]`);
    }
    const [a, b] = pair as [string, string];
    const left = idOf.get(a);
    const right = idOf.get(b);
    const merged = idOf.get(a + b);
    if (left === undefined || right === undefined || merged === undefined) {
      fail(`merge ${rank} ('${a.slice(0, 20)}' '${b.slice(0, 20)}') uses a token missing from the vocab`);
    }
    const key = left * MERGE_ID_SPAN + right;
    if (!mergeTable.has(key)) mergeTable.set(key, rank * MERGE_ID_SPAN + merged);
  });

  const specialTokens = new Map<string, number>();
  const addedTokens = new Map<string, number>();
  const added = root.added_tokens ?? [];
  if (!Array.isArray(added)) fail('added_tokens must be an array');
  const addedIds = new Set<number>();
  for (const entry of added as Json[]) {
    if (!isObject(entry) || typeof entry.content !== 'string' || entry.content === '') {
      fail('each added token needs a non-empty "content"');
    }
    const id = checkId(entry.id, `added token '${entry.content.slice(0, 40)}'`);
    if (addedIds.has(id)) fail(`added token id ${id} is used twice`);
    addedIds.add(id);
    const inVocab = idOf.get(entry.content);
    if (tokenBytes[id] !== undefined && inVocab !== id)
      fail(`added token id ${id} collides with a vocab token`);
    if (inVocab !== undefined && inVocab !== id) fail(`added token '${entry.content}' has two ids`);
    (entry.special === true ? specialTokens : addedTokens).set(entry.content, id);
  }

  let vocabSize = tokenBytes.length;
  for (const id of addedIds) vocabSize = Math.max(vocabSize, id + 1);
  return {
    tokenBytes,
    merge: (left, right) => mergeTable.get(left * MERGE_ID_SPAN + right) ?? -1,
    wholePieceFirst: model.ignore_merges === true,
    pattern,
    specialTokens,
    addedTokens,
    vocabSize,
  };
}
