/** Workbench steps shared by the Playwright runs (selectors checked in VS Code 1.139). */
import type { Page } from 'playwright-core';

/** Runs a command from the command palette by its title. */
export async function palette(page: Page, command: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${command}`);
  // Click the command's own row: Enter would run whichever row ranks first ("Unload Model" for "Load Model").
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: command }).first().click();
}
