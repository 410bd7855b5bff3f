/**
 * Checks the packaged extension as users get it: installs scout-linux-x64.vsix (from `npm run
 * package`) into a fresh code-server, opens the workbench, and sees the status bar item, the Scout
 * view, and the engine (sidecar plus native addon from inside the VSIX) start and report its status.
 * Usage: npx tsx test/extension/run-vsix.ts [path.vsix]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchBrowser, NODE24, SERVER_MAIN, startServer, workbenchUrl } from './harness/codeServer.mjs';
import { makeWorkspace } from './run-integration.js';
import { palette } from './workbench.js';

const root = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const vsix = resolve(process.argv[2] ?? join(root, 'scout-linux-x64.vsix'));
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run "npm run package" first`);
  const user = mkdtempSync(join(tmpdir(), 'scout-vsix-'));
  const extensionsDir = join(user, 'extensions');
  execFileSync(
    NODE24,
    [SERVER_MAIN, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
    { stdio: 'inherit' },
  );
  const server = await startServer({ userDataDir: join(user, 'data'), extensionsDir });
  const browser = await launchBrowser();
  const shots = join(root, 'test-results', 'vsix');
  mkdirSync(shots, { recursive: true });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(60_000);
  try {
    // No extensionDevelopmentPath: only the installed VSIX provides Scout here.
    const url = workbenchUrl(server.port, {
      folder: await makeWorkspace(),
      extensionDevelopmentPath: '/nonexistent',
    }).replace(/&payload=.*/, '');
    await page.goto(url);
    await page.locator('.statusbar-item', { hasText: 'Scout' }).first().waitFor();
    await palette(page, 'Scout: Restart Engine');
    await palette(page, 'Scout: Show Engine Status');
    await page.locator('.quick-input-widget', { hasText: 'engine running' }).waitFor();
    await page.screenshot({ path: join(shots, 'installed-vsix-engine-status.png') });
    console.log('✓ the installed VSIX activates and its engine starts');
  } catch (e) {
    await page.screenshot({ path: join(shots, 'installed-vsix-failure.png') });
    throw e;
  } finally {
    await browser.close().catch(() => {});
    server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
