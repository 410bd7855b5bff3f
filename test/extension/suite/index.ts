/**
 * The integration suite, run by VS Code's extension host inside code-server (launcher.mjs). A small
 * sequential runner: each test prints one `[scout-test]` line (the launcher forwards those), and any
 * failure makes run() reject, which VS Code reports as a non-zero exit.
 */
import { tests } from './extension.test.js';

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, fn] of tests) {
    const started = Date.now();
    try {
      await fn();
      console.log(`[scout-test] ✓ ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      failures.push(name);
      console.log(`[scout-test] ✗ ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  console.log(`[scout-test] ${tests.length - failures.length} passed, ${failures.length} failed`);
  if (failures.length)
    throw new Error(`${failures.length} integration test(s) failed: ${failures.join('; ')}`);
}
