/**
 * Nothing leaves the machine: `scout ask` and `scout serve` with a local client run inside
 * isolate.sh (a network namespace with only loopback, every connect()/sendto()/sendmsg()
 * recorded) and must neither fail nor try to reach anything but Scout's own loopback server.
 *
 * The probes first show that the check can fail: a connection to a public address, a name
 * lookup and a loopback connection to a port that is not Scout's are each reported, even when
 * the program swallows the error and exits 0.
 *
 * Needs root (or unprivileged user namespaces), util-linux unshare, iproute2 and strace; the
 * tests are skipped, saying why, only where a namespace cannot be made at all.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatModelDir } from '../fixtures/chat-model.js';

const ROOT = join(__dirname, '..', '..');
const ISOLATE = join(__dirname, 'isolate.sh');
const CLI = join(ROOT, 'bin', 'scout.js');
const FORBIDDEN = 86; // isolate.sh: the command succeeded but tried to reach out
// Inside a fresh namespace every port is free, so a fixed one is safe.
const SERVE_PORT = 47811;

function isolated(command: string[], allowPorts: number[] = []) {
  const allow = allowPorts.flatMap((p) => ['--allow-port', String(p)]);
  const r = spawnSync('bash', [ISOLATE, ...allow, '--', ...command], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 280_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const namespaceError = (() => {
  const r = spawnSync('unshare', process.getuid?.() === 0 ? ['-n', 'true'] : ['-r', '-n', 'true']);
  return r.status === 0 ? undefined : `cannot create a network namespace: ${r.stderr?.toString() || r.error}`;
})();
if (namespaceError) console.warn(`test/hardening/network.test.ts skipped: ${namespaceError}`);

const node = (script: string) => [process.execPath, '-e', script];

describe.skipIf(namespaceError !== undefined)('nothing leaves the machine', () => {
  it('reports a connection to a public address even when the program ignores the failure', () => {
    const r = isolated(node('require("net").connect(443, "93.184.216.34").on("error", () => {})'));
    expect(r.status).toBe(FORBIDDEN);
    expect(r.stderr).toMatch(/forbidden network attempt by .*node.*: .*93\.184\.216\.34/);
  });

  it('reports a name lookup', () => {
    const r = isolated(node('require("dns").lookup("example.com", () => {})'));
    expect(r.status).toBe(FORBIDDEN);
    expect(r.stderr).toMatch(/forbidden network attempt by .*: .*(nscd|htons\(53\))/);
  });

  it('allows loopback to the allowed port only', () => {
    const serveAndConnect = (port: number) =>
      node(
        `const net = require("net"); const s = net.createServer((c) => c.end()).listen(${port}, "127.0.0.1", ` +
          `() => net.connect(${port}, "127.0.0.1").on("close", () => s.close()).resume())`,
      );
    expect(isolated(serveAndConnect(SERVE_PORT), [SERVE_PORT]).status).toBe(0);
    const other = isolated(serveAndConnect(SERVE_PORT + 1), [SERVE_PORT]);
    expect(other.status).toBe(FORBIDDEN);
    expect(other.stderr).toContain(`htons(${SERVE_PORT + 1})`);
  });

  it('scout ask answers from the local model without any connection', { timeout: 300_000 }, async () => {
    const model = await chatModelDir();
    const repo = mkdtempSync(join(tmpdir(), 'scout-isolated-repo-'));
    writeFileSync(join(repo, 'math.js'), 'export const add = (a, b) => a + b;\n');
    const r = isolated([
      process.execPath,
      CLI,
      'ask',
      '--repo',
      repo,
      '--model',
      model,
      '--context',
      '4096',
      '--max-tokens',
      '3',
      'What does add do?',
    ]);
    expect(r.stderr).not.toContain('forbidden network attempt');
    expect(r.status, r.stderr).toBe(0);
  });

  it('scout serve answers a local client, and only on its own port', { timeout: 300_000 }, async () => {
    const model = await chatModelDir();
    const r = isolated(
      [process.execPath, join(__dirname, 'serve-client.mjs'), model, String(SERVE_PORT)],
      [SERVE_PORT],
    );
    expect(r.stderr).not.toContain('forbidden network attempt');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/serve-client: .* answered /);
  });
});
