#!/usr/bin/env node
// The "VS Code executable" that @vscode/test-electron's runTests starts: it takes VS Code's test
// arguments, runs the VS Code server from code-server with them, opens the workbench in headless
// Chromium, and exits with the code the extension tests report through codeAutomationExit.
import { launchBrowser, startServer, workbenchUrl } from './codeServer.mjs';

const TIMEOUT_MS = Number(process.env.SCOUT_TEST_TIMEOUT_MS ?? 300_000);
const args = Object.create(null);
const positional = [];
for (const a of process.argv.slice(2)) {
  const m = /^--([^=]+)=(.*)$/.exec(a);
  if (m) args[m[1]] = m[2];
  else if (!a.startsWith('--')) positional.push(a);
}
for (const required of [
  'extensionDevelopmentPath',
  'extensionTestsPath',
  'user-data-dir',
  'extensions-dir',
]) {
  if (!args[required]) {
    console.error(`launcher: --${required}= is missing`);
    process.exit(2);
  }
}
const folder = positional.at(-1) ?? process.cwd();
const verbose = !!process.env.SCOUT_TEST_VERBOSE;

const server = await startServer({
  userDataDir: args['user-data-dir'],
  extensionsDir: args['extensions-dir'],
  log: (t) => verbose && process.stdout.write(`[server] ${t}`),
});
let browser;
const finish = async (code) => {
  await browser?.close().catch(() => {});
  server.stop();
  process.exit(code);
};
setTimeout(() => {
  console.error(`launcher: the tests did not finish within ${TIMEOUT_MS / 1000} s`);
  void finish(1);
}, TIMEOUT_MS).unref();
process.on('SIGTERM', () => void finish(143));
process.on('SIGINT', () => void finish(130));

try {
  browser = await launchBrowser();
  const page = browser.pages()[0] ?? (await browser.newPage());
  // The extension host's console (test results, failures) is forwarded to the page's console.
  page.on('console', (msg) => {
    const text = msg.text();
    if (verbose || /\[scout-test\]/.test(text)) console.log(text.replace(/%c/g, ''));
  });
  await page.exposeFunction('codeAutomationExit', (code) => void finish(Number(code) || 0));
  await page.goto(
    workbenchUrl(server.port, {
      folder,
      extensionDevelopmentPath: args.extensionDevelopmentPath,
      extensionTestsPath: args.extensionTestsPath,
    }),
  );
} catch (e) {
  console.error(`launcher: ${e instanceof Error ? e.stack : e}`);
  await finish(1);
}
