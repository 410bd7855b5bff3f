/**
 * `scout tokenize`: one JSON value on stdout (ids or a count), typed errors for bad arguments and
 * bad tokenizer files. Runs the command in-process through main(), as the built CLI does.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/engine/cli/main.js';
import { loadO200kBase } from '../../src/engine/tokenizer/o200k-base.js';
import type { BpeTokenizer } from '../../src/engine/tokenizer/bpe.js';
import { llama4TokenizerDir } from '../fixtures/llama4-tokenizer.js';

async function scout(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(['tokenize', ...argv], {
    stdout,
    stderr,
    isTTY: false,
    signal: new AbortController().signal,
  });
  return { code, stdout: out, stderr: err };
}

let o200k: BpeTokenizer;
let dir: string;
beforeAll(async () => {
  o200k = await loadO200kBase();
  dir = await llama4TokenizerDir();
});

describe('scout tokenize', () => {
  const text = "Hello, world! It's 2026 <|eot|>";

  it('prints the ids as one JSON array', async () => {
    const r = await scout('--encoding', 'o200k_base', '--text', text);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(o200k.encode(text));
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('prints the count with --count, and reads --file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'scout-tokenize-')), 'input.txt');
    writeFileSync(file, text.repeat(100));
    const r = await scout('--encoding', 'o200k_base', '--file', file, '--count');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toBe(o200k.count(text.repeat(100)));
  });

  it('uses a model folder or a tokenizer file, encoding special-token text as plain text', async () => {
    const viaFolder = JSON.parse((await scout('--tokenizer', dir, '--text', text)).stdout) as number[];
    const viaModel = JSON.parse(
      (await scout('--tokenizer', join(dir, 'tokenizer.model'), '--text', text)).stdout,
    );
    expect(viaFolder).toEqual(viaModel);
    expect(viaFolder).toEqual(o200k.encode(text));
    expect(viaFolder).not.toContain(200008);
  });

  it('rejects bad arguments with a usage error and bad files with typed errors', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--text', 'x'], 2, /exactly one of --tokenizer/],
      [['--encoding', 'cl100k_base', '--text', 'x'], 2, /unknown --encoding/],
      [['--encoding', 'o200k_base'], 2, /exactly one of --text/],
      [['--encoding', 'o200k_base', '--text', 'x', '--bogus'], 2, /bogus/],
      [['--encoding', 'o200k_base', '--file', '/nonexistent/x.txt'], 1, /not_found/],
      [['--tokenizer', '/nonexistent-model', '--text', 'x'], 1, /not_found/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await scout(...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    const html = join(mkdtempSync(join(tmpdir(), 'scout-tokenize-')), 'tokenizer.json');
    writeFileSync(html, '<!DOCTYPE html><html>404</html>');
    const r = await scout('--tokenizer', html, '--text', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tokenizer: .*HTML page/);
  });
});
