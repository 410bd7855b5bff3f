/**
 * Tokenizer throughput against tiktoken (the WASM build of OpenAI's Rust tokenizer) on the same
 * corpus in the same run: source files from node_modules, 50 MB by default (`--mb N`).
 *
 * Each side encodes file by file, as the packer does. Scout starts with an empty piece cache for
 * each measurement, so the numbers include its cold misses. The ids are compared on every file;
 * a mismatch fails the benchmark. The last stdout line is a JSON object.
 */
import { get_encoding } from 'tiktoken';
import { join } from 'node:path';
import { createO200kBase } from '../../src/engine/tokenizer/o200k-base.js';
import { sourceFiles } from '../../test/tokenizer/corpus.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

async function main(): Promise<void> {
  const mb = option('mb', 50);
  const files = sourceFiles(join(__dirname, '../../node_modules'), mb * 1024 * 1024).map((f) => f.text);
  const bytes = files.reduce((n, text) => n + Buffer.byteLength(text), 0);
  const megabytes = bytes / 1e6;
  process.stderr.write(`corpus: ${files.length} files, ${megabytes.toFixed(1)} MB\n`);

  const tiktoken = get_encoding('o200k_base');
  let t = performance.now();
  const reference = files.map((text) => tiktoken.encode_ordinary(text));
  const tiktokenSeconds = (performance.now() - t) / 1000;
  let tiktokenTokens = 0;
  for (const ids of reference) tiktokenTokens += ids.length;

  t = performance.now();
  const tiktokenCountSeconds = (() => {
    let n = 0;
    for (const text of files) n += tiktoken.encode_ordinary(text).length;
    if (n !== tiktokenTokens) throw new Error('tiktoken is not deterministic');
    return (performance.now() - t) / 1000;
  })();
  tiktoken.free();

  const encoder = await createO200kBase();
  t = performance.now();
  const ours = files.map((text) => encoder.encode(text));
  const scoutSeconds = (performance.now() - t) / 1000;

  let mismatched = 0;
  ours.forEach((ids, i) => {
    const ref = reference[i]!;
    if (ids.length !== ref.length || ids.some((id, k) => id !== ref[k])) mismatched++;
  });

  const counter = await createO200kBase();
  t = performance.now();
  let counted = 0;
  for (const text of files) counted += counter.count(text);
  const countSeconds = (performance.now() - t) / 1000;

  const result = {
    bench: 'tokenizer',
    encoding: 'o200k_base',
    corpus_mb: Number(megabytes.toFixed(2)),
    files: files.length,
    tokens: tiktokenTokens,
    mismatched_files: mismatched,
    count_matches: counted === tiktokenTokens,
    scout_mb_s: Number((megabytes / scoutSeconds).toFixed(2)),
    tiktoken_mb_s: Number((megabytes / tiktokenSeconds).toFixed(2)),
    count_mb_s: Number((megabytes / countSeconds).toFixed(2)),
    tiktoken_count_mb_s: Number((megabytes / tiktokenCountSeconds).toFixed(2)),
  };
  process.stderr.write(
    `scout encode ${result.scout_mb_s} MB/s, tiktoken ${result.tiktoken_mb_s} MB/s, scout count ${result.count_mb_s} MB/s\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (mismatched > 0 || counted !== tiktokenTokens) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
