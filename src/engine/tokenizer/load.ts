/**
 * Loads a model folder's tokenizer. The folder decides the format: `tokenizer.json` (Hugging Face)
 * when present, otherwise Meta's `tokenizer.model` plus the Llama 4 special tokens. For a Llama 4
 * folder both give the same ids.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ScoutError } from '../errors.js';
import { BpeTokenizer, rankMerger } from './bpe.js';
import { definitionFromTokenizerJson } from './hf-tokenizer.js';
import { LLAMA4_SPECIAL_BASE, LLAMA4_VOCAB_SIZE, llama4SpecialTokens } from './llama4-special.js';
import { O200K_PATTERN } from './pretokenizer.js';
import { parseTiktokenModel } from './ranks.js';

/** Llama 4's tokenizer.json is about 27 MB and tokenizer.model about 4 MB; these leave headroom. */
const MAX_TOKENIZER_JSON_BYTES = 128 * 1024 * 1024;
const MAX_TOKENIZER_MODEL_BYTES = 32 * 1024 * 1024;

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ScoutError('io', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

async function readCapped(path: string, size: number, cap: number): Promise<string> {
  if (size > cap)
    throw new ScoutError('tokenizer', `${path} is ${size} bytes, more than the ${cap}-byte limit`);
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ScoutError('io', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Says what a file that should be JSON or a rank list looks like instead (the usual download failures). */
function describeWrongContent(text: string): string | undefined {
  const head = text.slice(0, 200).trimStart();
  if (head.startsWith('version https://git-lfs')) return 'a git-lfs pointer, not the file itself';
  if (/^<(!doctype|html|\?xml)/i.test(head)) return 'an HTML page (a failed download?)';
  return undefined;
}

export function parseTokenizerJson(text: string, path: string): BpeTokenizer {
  const wrong = describeWrongContent(text);
  if (wrong) throw new ScoutError('tokenizer', `${path} is ${wrong}`);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    // Also catches RangeError from absurdly deep nesting.
    throw new ScoutError('tokenizer', `${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return new BpeTokenizer(definitionFromTokenizerJson(root));
}

/** Meta's tokenizer.model: 200,000 ranks with the Llama 4 specials after them. */
export function parseLlama4TokenizerModel(text: string, path: string): BpeTokenizer {
  const wrong = describeWrongContent(text);
  if (wrong) throw new ScoutError('tokenizer', `${path} is ${wrong}`);
  const table = parseTiktokenModel(text, basename(path));
  if (table.length > LLAMA4_SPECIAL_BASE) {
    throw new ScoutError(
      'tokenizer',
      `${path} has ranks up to ${table.length - 1}; Llama 4 specials start at 200000`,
    );
  }
  return new BpeTokenizer({
    tokenBytes: table,
    merge: rankMerger(table),
    wholePieceFirst: true,
    pattern: O200K_PATTERN,
    specialTokens: llama4SpecialTokens(),
    vocabSize: LLAMA4_VOCAB_SIZE,
  });
}

/** Loads `path`: a model folder, a tokenizer.json, or a tokenizer.model. */
export async function loadTokenizer(path: string): Promise<BpeTokenizer> {
  const direct = await fileSize(path);
  if (direct !== undefined) {
    const text = await readCapped(path, direct, MAX_TOKENIZER_JSON_BYTES);
    return path.endsWith('.json') ? parseTokenizerJson(text, path) : parseLlama4TokenizerModel(text, path);
  }
  const jsonPath = join(path, 'tokenizer.json');
  const jsonSize = await fileSize(jsonPath);
  if (jsonSize !== undefined) {
    return parseTokenizerJson(await readCapped(jsonPath, jsonSize, MAX_TOKENIZER_JSON_BYTES), jsonPath);
  }
  const modelPath = join(path, 'tokenizer.model');
  const modelSize = await fileSize(modelPath);
  if (modelSize !== undefined) {
    return parseLlama4TokenizerModel(
      await readCapped(modelPath, modelSize, MAX_TOKENIZER_MODEL_BYTES),
      modelPath,
    );
  }
  throw new ScoutError('not_found', `no tokenizer.json or tokenizer.model in ${path}`);
}
