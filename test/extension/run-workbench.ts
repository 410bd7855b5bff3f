/**
 * A person's view of Scout: Playwright drives the real workbench (code-server's VS Code in headless
 * Chromium) with the extension from this checkout and the tiny chat model. It opens the Scout view,
 * asks a question through the palette and sees the answer stream, follows a `path:line` citation,
 * pastes an image, waits for ghost text in an editor, and runs a palette command. Every step saves a
 * screenshot under test-results/workbench/; all steps run, and any failure fails the run.
 * Usage (after `npm run build`): npx tsx test/extension/run-workbench.ts
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { FrameLocator, Page } from 'playwright-core';
import { chatModelDir } from '../fixtures/chat-model.js';
import { launchBrowser, startServer, workbenchUrl } from './harness/codeServer.mjs';
import { makeWorkspace } from './run-integration.js';
import { palette } from './workbench.js';

const root = resolve(__dirname, '..', '..');
const shots = join(root, 'test-results', 'workbench');
const STEP_TIMEOUT = Number(process.env.SCOUT_STEP_TIMEOUT_MS ?? 60_000);

/** A small valid PNG (a red square on white), so the paste goes through the real image checks. */
function png(size = 16): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows: number[] = [];
  for (let y = 0; y < size; y++) {
    rows.push(0);
    for (let x = 0; x < size; x++)
      rows.push(...(x > 3 && x < 12 && y > 3 && y < 12 ? [220, 30, 30] : [255, 255, 255]));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The chat view's page: VS Code nests it in two iframes. */
function chatFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

async function main(): Promise<void> {
  mkdirSync(shots, { recursive: true });
  const model = await chatModelDir();
  const user = mkdtempSync(join(tmpdir(), 'scout-workbench-'));
  // The tiny model's random weights never say "end of answer": keep answers short so each step
  // measures the machinery, not thousands of tokens of noise on a 2-core machine.
  mkdirSync(join(user, 'data', 'User'), { recursive: true });
  writeFileSync(
    join(user, 'data', 'User', 'settings.json'),
    JSON.stringify({
      'scout.chat.maxTokens': 24,
      'scout.completions.maxTokens': 12,
      'workbench.startupEditor': 'none',
    }),
  );
  const server = await startServer({
    userDataDir: join(user, 'data'),
    extensionsDir: join(user, 'extensions'),
    env: { ...process.env, SCOUT_MODEL: model },
  });
  const browser = await launchBrowser();
  const failures: string[] = [];
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT);
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    await page.goto(
      workbenchUrl(server.port, { folder: await makeWorkspace(), extensionDevelopmentPath: root }),
    );
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: 'Scout' }).first().waitFor({ timeout: 60_000 });

    let steps = 0;
    const step = async (name: string, run: () => Promise<void>) => {
      steps++;
      const started = Date.now();
      try {
        await run();
        console.log(`✓ ${name} (${Date.now() - started} ms)`);
      } catch (e) {
        failures.push(name);
        console.log(
          `✗ ${name}: ${e instanceof Error ? e.message.split('\n').slice(0, 3).join(' | ') : String(e)}`,
        );
      }
      await page.screenshot({
        path: join(shots, `${String(steps).padStart(2, '0')}-${name.replace(/\W+/g, '-')}.png`),
      });
    };

    await step('ask from the palette and see the answer stream into the Scout view', async () => {
      await palette(page, 'Scout: Ask about the Codebase');
      await page.locator('.quick-input-widget input').fill('What does main in src/main.ts:1 return?');
      await page.keyboard.press('Enter');
      const chat = chatFrame(page);
      await chat.locator('article.message.user').first().waitFor();
      const reply = chat.locator('article.message.assistant').first();
      await reply.waitFor();
      // The first question loads the model and packs the workspace: minutes on a 2-core machine.
      await chat.locator('#send:not([disabled])').waitFor({ timeout: 5 * STEP_TIMEOUT }); // the answer finished streaming
      const error = await reply
        .locator('.error')
        .textContent({ timeout: 500 })
        .catch(() => null);
      if (error) throw new Error(`the answer failed: ${error}`);
      if (!(await reply.locator('.body').textContent())?.trim()) throw new Error('the answer is empty');
    });

    await step('follow a path:line citation to the file and line', async () => {
      await chatFrame(page).locator('a.citation', { hasText: 'src/main.ts:1' }).first().click();
      await page.locator('.tab.active', { hasText: 'main.ts' }).waitFor();
    });

    await step('paste an image into the Scout view', async () => {
      const chat = chatFrame(page);
      const base64 = png().toString('base64');
      await chat.locator('#input').evaluate((input, data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'screenshot.png', { type: 'image/png' }));
        input.dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
        );
      }, base64);
      await chat.locator('.attachment img[alt="screenshot.png"]').waitFor();
    });

    await step('see ghost text in an editor', async () => {
      await palette(page, 'Scout: Load Model');
      // Completions wait for a loaded model; the status bar names it once it is.
      await page.locator('.statusbar-item', { hasText: 'scout-chat-model' }).first().waitFor();
      await page.locator('.editor-instance .monaco-editor').first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('\nexport function twice(n: number): number {\n  return ');
      await page.locator('.editor-instance [class*="ghost-text"]').first().waitFor();
    });

    await step('run a palette command: Show Engine Status', async () => {
      await page.keyboard.press('Escape');
      await palette(page, 'Scout: Show Engine Status');
      await page.locator('.quick-input-widget', { hasText: 'engine running' }).waitFor();
      await page.keyboard.press('Escape');
    });
  } finally {
    await browser.close().catch(() => {});
    server.stop();
  }
  console.log(`screenshots: ${shots}`);
  if (failures.length) {
    console.error(`${failures.length} workbench step(s) failed: ${failures.join('; ')}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
