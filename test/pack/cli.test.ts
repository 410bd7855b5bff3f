import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/engine/cli/main.js';
import { makeFixture, type Fixture } from './fixture.js';

let fx: Fixture;
beforeAll(() => {
  fx = makeFixture({ git: true });
});
afterAll(() => fx.cleanup());

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, { stdout, stderr, isTTY: false, signal: new AbortController().signal });
  return { code, stdout: out, stderr: err };
}

describe('scout pack', () => {
  it('writes the pack to --out and prints one JSON object as the last line with --json', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'scout-cli-')), 'pack.txt');
    const r = await run([
      'pack',
      '--repo',
      fx.root,
      '--budget',
      '4000',
      '--query',
      'router',
      '--out',
      out,
      '--json',
      '--no-cache',
    ]);
    expect(r.code).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last).toMatchObject({
      files: expect.any(Number),
      tokens: expect.any(Number),
      ms: expect.any(Number),
    });
    expect(last.excluded['secret-path']).toBeGreaterThanOrEqual(2);
    expect(last.tokens).toBeLessThanOrEqual(4000);
    expect(readFileSync(out, 'utf8')).toMatch(/^<scout-repository root="repo"/);
  });

  it('rejects bad options with a usage error', async () => {
    expect((await run(['pack', '--repo', fx.root, '--budget', 'lots'])).code).toBe(2);
    expect((await run(['pack', '--repo', fx.root, '--budget', '0'])).code).toBe(2);
    expect((await run(['pack', '--frobnicate'])).code).toBe(2);
    const missing = await run(['pack', '--repo', join(fx.root, 'no-such-dir'), '--no-cache']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not_found');
  });
});
