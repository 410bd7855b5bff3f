/**
 * `scout ask`, the main job, as a user runs it: two questions about one repository in two separate
 * processes. The second loads the first one's prefix KV cache from disk (reused_tokens covers the
 * packed base) instead of prefilling it again.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatModelDir } from '../fixtures/chat-model.js';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

let repo: string;
let cache: string;
let model: string;

beforeAll(async () => {
  model = await chatModelDir();
  repo = mkdtempSync(join(tmpdir(), 'scout-ask-repo-'));
  cache = mkdtempSync(join(tmpdir(), 'scout-ask-cache-'));
  writeFileSync(
    join(repo, 'math.ts'),
    'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
  );
  writeFileSync(join(repo, 'main.ts'), "import { add } from './math';\nconsole.log(add(2, 3));\n");
}, 120_000);
afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
});

async function ask(question: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    process.execPath,
    [CLI, 'ask', '--repo', repo, '--model', model, '--max-tokens', '6', '--json', question],
    { env: { ...process.env, XDG_CACHE_HOME: cache }, timeout: 120_000, maxBuffer: 16 << 20 },
  );
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

describe('scout ask', () => {
  it('reuses the packed base from disk in a second process', async () => {
    const first = await ask('What does add return?');
    expect(first.reused_tokens).toBe(0);
    expect(first.base_tokens as number).toBeGreaterThan(0);
    const second = await ask('Where is add called?');
    expect(second.reused_tokens as number).toBeGreaterThan(second.base_tokens as number);
    expect(second.prompt_tokens as number).toBeGreaterThan(second.reused_tokens as number);
    for (const key of ['prefill_ms', 'ttft_ms', 'decode_tok_s']) expect(second).toHaveProperty(key);
  }, 240_000);

  it('says where it looked when there is no model', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'scout-ask-nomodel-'));
    try {
      const err = await run(process.execPath, [CLI, 'ask', '--repo', repo, 'anything'], {
        env: {
          ...process.env,
          HF_HOME: empty,
          HF_HUB_CACHE: join(empty, 'hub'),
          SCOUT_MODEL: '',
          XDG_CACHE_HOME: cache,
        },
        timeout: 60_000,
      }).catch((e: { stderr: string; code: number }) => e);
      expect((err as { code: number }).code).toBe(1);
      expect((err as { stderr: string }).stderr).toMatch(
        /no Llama 4 model found \(searched .*hub.*\).*scout model download/s,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
