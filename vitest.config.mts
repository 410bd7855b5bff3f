import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Suites that run inside a real VS Code (through @vscode/test-electron), not in vitest.
    exclude: ['test/extension/suite/**', 'node_modules/**'],
    // Engine tests spawn the CLI and load native models: give them room on 2-core CI machines.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
