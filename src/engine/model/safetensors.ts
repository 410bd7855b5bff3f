/**
 * A small strict reader of safetensors headers (bad-inputs.md "ST"). It reads only the 8-byte length
 * and the JSON header, never tensor data, so verifying a 218 GB checkpoint's structure costs a few MB
 * of reads. Everything the format allows to go wrong is a `safetensors` error naming the file:
 * lengths beyond the file or the 100 MB cap, non-UTF-8 or non-object JSON, unknown dtypes, shapes
 * whose product overflows or disagrees with the byte span, offsets that overlap, leave holes, run
 * past the end, or leave trailing bytes, and duplicate names.
 */
import { open } from 'node:fs/promises';
import { ScoutError } from '../errors.js';

export type SafetensorsDtype =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F8_E4M3'
  | 'F8_E5M2'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'I64'
  | 'U64'
  | 'F64';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** The reference implementation's cap on the header length. */
export const MAX_HEADER_BYTES = 100_000_000;
const MAX_TENSORS = 1_000_000;
const MAX_NAME_BYTES = 4096;

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offsets in the file (header included), [begin, end). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  headerBytes: number;
  /** Offset of the first data byte: 8 + headerBytes. */
  dataStart: number;
  /** The file size the header implies; a valid file is exactly this long. */
  fileBytes: number;
  tensors: SafetensorsTensor[];
  metadata: Record<string, string>;
}

function fail(file: string, message: string): never {
  throw new ScoutError('safetensors', `${file}: ${message}`);
}

function isDtype(v: unknown): v is SafetensorsDtype {
  return typeof v === 'string' && Object.hasOwn(DTYPE_BYTES, v);
}

/**
 * Validates a header against the file's actual size. `file` only names the source in messages.
 * Exported for tests and fuzzing: it takes bytes, not a path.
 */
export function parseSafetensorsHeader(
  headerJson: Uint8Array,
  fileSize: number,
  file: string,
): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerJson);
  } catch {
    fail(file, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(file, 'header is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail(file, 'header is not a JSON object');

  const dataStart = 8 + headerJson.length;
  const tensors: SafetensorsTensor[] = [];
  let metadata: Record<string, string> = {};
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length > MAX_TENSORS + 1) fail(file, `header lists more than ${MAX_TENSORS} tensors`);
  for (const [name, value] of entries) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value, file);
      continue;
    }
    if (name.length === 0 || Buffer.byteLength(name) > MAX_NAME_BYTES || name.includes('\0'))
      fail(file, `bad tensor name '${name.slice(0, 64)}'`);
    tensors.push(parseEntry(name, value, dataStart, file));
  }
  // JSON.parse keeps the last of duplicate keys silently (bad-inputs.md ST 9: reject them all), so
  // count the top-level keys in the raw text and compare.
  checkNoDuplicateKeys(text, entries.length, file);

  // Byte ranges must tile the data section exactly: sorted, touching, ending at the file's end.
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = dataStart;
  for (const t of sorted) {
    if (t.begin !== cursor)
      fail(
        file,
        t.begin < cursor ? `tensor '${t.name}' overlaps the previous one` : `hole before tensor '${t.name}'`,
      );
    cursor = t.end;
  }
  if (cursor !== fileSize)
    fail(
      file,
      cursor > fileSize
        ? `truncated: header needs ${cursor} bytes, file has ${fileSize}`
        : `${fileSize - cursor} trailing bytes after the last tensor`,
    );
  return { headerBytes: headerJson.length, dataStart, fileBytes: cursor, tensors, metadata };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(file, '__metadata__ is not an object');
  for (const [k, v] of Object.entries(value))
    if (typeof v !== 'string') fail(file, `__metadata__.${k} is not a string`);
  return value as Record<string, string>;
}

function parseEntry(name: string, value: unknown, dataStart: number, file: string): SafetensorsTensor {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(file, `tensor '${name}' is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDtype(dtype)) fail(file, `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    fail(file, `tensor '${name}' has a bad shape ${JSON.stringify(shape).slice(0, 80)}`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    offsets.some((o) => !Number.isSafeInteger(o) || o < 0)
  )
    fail(file, `tensor '${name}' has bad data_offsets ${JSON.stringify(offsets).slice(0, 80)}`);
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(file, `tensor '${name}' ends before it begins`);
  // BigInt so a product like 4194305·4194305·211106198978564 cannot wrap to a small number.
  const bytes = (shape as number[]).reduce((a, d) => a * BigInt(d), BigInt(DTYPE_BYTES[dtype]));
  if (bytes !== BigInt(end - begin))
    fail(
      file,
      `tensor '${name}' spans ${end - begin} bytes but ${dtype}${JSON.stringify(shape)} needs ${bytes}`,
    );
  return { name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end };
}

function checkNoDuplicateKeys(text: string, keys: number, file: string): void {
  // Each tensor entry (and __metadata__) is a top-level key followed by an object. Count top-level
  // keys with a tiny scanner that skips strings and nested values.
  let depth = 0;
  let count = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth === 1 && expectKey) count++;
      expectKey = false;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  if (count !== keys) fail(file, 'header has duplicate tensor names');
}

/** Reads and validates a file's header: two small reads, whatever the file's size. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScoutError(code === 'ENOENT' ? 'not_found' : 'io', `cannot open ${path}: ${code ?? String(e)}`);
  }
  try {
    const size = (await handle.stat()).size;
    if (size < 8) fail(path, `file is ${size} bytes, shorter than the 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    await handle.read(lenBuf, 0, 8, 0);
    const n = lenBuf.readBigUInt64LE(0);
    if (n === 0n) fail(path, 'header length is 0');
    if (n > BigInt(MAX_HEADER_BYTES))
      fail(path, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte cap (not a safetensors file?)`);
    if (n > BigInt(size - 8)) fail(path, `header length ${n} runs past the end of the ${size}-byte file`);
    const header = Buffer.alloc(Number(n));
    const { bytesRead } = await handle.read(header, 0, header.length, 8);
    if (bytesRead !== header.length) fail(path, 'file shrank while reading the header');
    return parseSafetensorsHeader(header, size, path);
  } finally {
    await handle.close();
  }
}
