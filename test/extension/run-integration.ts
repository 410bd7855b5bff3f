/**
 * Runs the integration suite in a real VS Code: @vscode/test-electron's runTests with launcher.mjs
 * as the "VS Code executable" (code-server's VS Code server in headless Chromium), the extension
 * from this checkout (build it first: `npm run build`), a small workspace, and the tiny chat model.
 * Usage: npx tsx test/extension/run-integration.ts
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';
import * as esbuild from 'esbuild';
import { chatModelDir } from '../fixtures/chat-model.js';

const root = resolve(__dirname, '..', '..');

export async function makeWorkspace(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'scout-workspace-'));
  cpSync(join(root, 'test', 'extension', 'fixtures'), join(dir, 'tools'), { recursive: true });
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src', 'main.ts'),
    'export function main(argv: string[]): number {\n  return argv.length;\n}\n',
  );
  return dir;
}

async function main(): Promise<void> {
  const out = join(root, 'out', 'extension-tests');
  await esbuild.build({
    entryPoints: { index: join(root, 'test', 'extension', 'suite', 'index.ts') },
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  const model = await chatModelDir();
  const user = mkdtempSync(join(tmpdir(), 'scout-vscode-user-'));
  const code = await runTests({
    vscodeExecutablePath: join(root, 'test', 'extension', 'harness', 'launcher.mjs'),
    extensionDevelopmentPath: root,
    extensionTestsPath: join(out, 'index.js'),
    launchArgs: [
      `--user-data-dir=${join(user, 'data')}`,
      `--extensions-dir=${join(user, 'extensions')}`,
      await makeWorkspace(),
    ],
    extensionTestsEnv: { SCOUT_MODEL: model },
  });
  process.exit(code);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
