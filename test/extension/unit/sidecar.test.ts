/**
 * The extension's client against the real engine sidecar (dist/sidecar.js, built by `npm run build`)
 * with a tiny random Llama 4: the requests, streams, progress and cancellation the chat view, @scout
 * and the completion provider depend on. The answers are noise; the machinery is what is checked.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as P from '../../../src/engine/protocol.js';
import { ScoutClient } from '../../../src/extension/sidecar/client.js';
import { SidecarSupervisor } from '../../../src/extension/sidecar/supervisor.js';
import { chatModelDir } from '../../fixtures/chat-model.js';

const root = join(__dirname, '..', '..', '..');
const sidecar = join(root, 'dist', 'sidecar.js');
const errors: string[] = [];
let supervisor: SidecarSupervisor;
let client: ScoutClient;

beforeAll(async () => {
  if (!existsSync(sidecar)) throw new Error(`${sidecar} is missing: run "npm run build" first`);
  const model = await chatModelDir();
  supervisor = new SidecarSupervisor({
    launch: () => ({
      command: process.execPath,
      args: [sidecar],
      env: { ...process.env, SCOUT_MODEL: model },
    }),
    initializeParams: () => ({
      protocolVersion: P.PROTOCOL_VERSION,
      clientName: 'vitest',
      clientVersion: '0',
      settings: {},
    }),
    log: { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) },
  });
  client = new ScoutClient(supervisor);
});

afterAll(async () => {
  await supervisor?.dispose();
});

describe('extension client with the real sidecar', () => {
  it('loads the discovered model once for concurrent callers, reporting progress', async () => {
    const progress: P.ProgressParams[] = [];
    const [a, b] = await Promise.all([client.loadModel({}, (p) => progress.push(p)), client.ensureModel()]);
    expect(a).toBe(b);
    expect(a.backend).toBe('native');
    expect(client.model).toEqual(a);
    expect(progress.every((p) => p.kind === 'load')).toBe(true);
  });

  it('streams a chat answer whose deltas add up to the result', async () => {
    let streamed = '';
    const result = await client.chat(
      { messages: [{ role: 'user', content: 'hello' }], params: { maxTokens: 6, temperature: 0 } },
      (d) => {
        streamed += d.text;
      },
    );
    expect(result.stats.completionTokens).toBeGreaterThan(0);
    expect(streamed).toBe(result.text);
    expect(client.model).toBeDefined();
  });

  it('packs the workspace, answers about it, and reuses the pack prefix on the next question', async () => {
    const repo = join(root, 'test', 'extension', 'fixtures');
    const pack = await client.pack({ root: repo, query: 'responder' });
    expect(pack.files).toBeGreaterThan(0);
    expect(client.packOf(repo)).toEqual(pack);
    const ask = (q: string) =>
      client.chat(
        { messages: [{ role: 'user', content: q }], params: { maxTokens: 2 }, repoRoot: repo },
        () => {},
      );
    await ask('what does the responder do?');
    const second = await ask('and on shutdown?');
    expect(second.stats.reusedTokens).toBeGreaterThan(0);
  });

  it('returns the packed text on request, and keeps later packs current from change events', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'scout-pack-'));
    try {
      await writeFile(join(repo, 'a.ts'), 'export const answer = 42;\n');
      client.reportsChanges = true;
      const first = await client.pack({ root: repo, includeText: true });
      expect(first.text).toContain('<file path="a.ts"');
      expect(first.text).toContain('export const answer = 42;');
      // The client remembers the summary for the context meter, not the (possibly huge) text.
      expect(client.packOf(repo)).not.toHaveProperty('text');

      // The sidecar now trusts the events: a file nobody reported is not discovered again...
      await writeFile(join(repo, 'b.ts'), 'export const other = 7;\n');
      const unreported = await client.pack({ root: repo, includeText: true });
      expect(unreported.text).not.toContain('b.ts');
      // ...and once reported, the next pack reads it.
      client.repoChanged(repo, ['b.ts']);
      const reported = await client.pack({ root: repo, includeText: true });
      expect(reported.text).toContain('<file path="b.ts"');
      expect(reported.files).toBe(2);
    } finally {
      client.reportsChanges = false;
      await rm(repo, { recursive: true, force: true });
    }
  });

  it('completes code and cancels a request in the engine when the signal aborts', async () => {
    const done = await client.complete({
      uri: 'file:///a.ts',
      languageId: 'typescript',
      prefix: 'const x = ',
      suffix: ';\n',
      params: { maxTokens: 3 },
    });
    expect(done.stats.completionTokens).toBeGreaterThan(0);
    const fim = await client.complete({
      uri: 'file:///a.ts',
      languageId: 'typescript',
      prefix: 'const x = ',
      suffix: ';\n',
      style: 'fim',
      params: { maxTokens: 3 },
    });
    expect(fim.stats.completionTokens).toBeGreaterThan(0);
    // FIM wraps prefix and suffix in three tokens; the instruction turn adds a whole chat template.
    expect(fim.stats.promptTokens).toBeLessThan(done.stats.promptTokens);
    await expect(
      client.complete({
        uri: 'file:///a.ts',
        languageId: 'typescript',
        prefix: 'x',
        suffix: '',
        style: 'middle' as P.CompletionStyle,
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    const controller = new AbortController();
    let abortedAt = 0;
    const pending = client.chat(
      { messages: [{ role: 'user', content: 'write a long story' }], params: { maxTokens: 4000 } },
      () => {
        abortedAt ||= Date.now();
        controller.abort();
      },
      controller.signal,
    );
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    // The engine stopped generating: it did not run on through the 4,000 tokens.
    expect(Date.now() - abortedAt).toBeLessThan(5_000);
    const status = await client.status();
    expect(status.state).not.toBe('busy');
    expect(errors).toEqual([]);
  });
});
