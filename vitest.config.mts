import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Caches the code under test writes (packs, prefix KV files) go to a throwaway folder, so a test run
// never reads what an earlier run or the user's own Scout left behind, and never litters ~/.cache.
const cacheHome = join(tmpdir(), 'scout-test-cache');
rmSync(cacheHome, { recursive: true, force: true });

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Suites that run inside a real VS Code (through @vscode/test-electron), not in vitest.
    exclude: ['test/extension/suite/**', 'node_modules/**'],
    // Engine tests spawn the CLI and load native models: give them room on 2-core CI machines.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { XDG_CACHE_HOME: cacheHome },
    reporters: ['default'],
  },
});
