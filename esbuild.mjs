// Bundles Scout's three entry points separately:
//   dist/extension.js  the VS Code extension (vscode is provided by the host)
//   dist/sidecar.js    the engine process the extension supervises
//   dist/cli.js        the `scout` command
//   dist/webview.js    the chat view's page script (runs in the webview, a browser)
//   dist/pack-worker.js the packer's parse-and-count worker thread (started by the sidecar and the CLI)
// The native addon is not bundled: it is loaded from build/native at run time.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// Packages that load native binaries or .wasm files relative to their own folder: they stay in
// node_modules (and ship in the VSIX) instead of being bundled.
const NATIVE_PACKAGES = [
  'tree-sitter',
  'tree-sitter-*',
  '@tree-sitter-grammars/*',
  'web-tree-sitter',
  '@repomix/tree-sitter-wasms',
  'sharp',
  '@img/*',
];

const entries = [
  { in: 'src/extension/extension.ts', out: 'extension', external: ['vscode'] },
  { in: 'src/engine/sidecar.ts', out: 'sidecar', external: [] },
  { in: 'src/engine/cli/main.ts', out: 'cli', external: [] },
  { in: 'src/extension/webview/main.ts', out: 'webview', external: [], platform: 'browser' },
  { in: 'src/engine/pack/analyze/worker.ts', out: 'pack-worker', external: [] },
].filter((e) => existsSync(e.in));

const contexts = await Promise.all(
  entries.map((e) =>
    esbuild.context({
      entryPoints: { [e.out]: e.in },
      outdir: 'dist',
      bundle: true,
      platform: e.platform ?? 'node',
      target: e.platform === 'browser' ? 'es2022' : 'node20',
      format: e.platform === 'browser' ? 'iife' : 'cjs',
      sourcemap: true,
      minify: production,
      external: [...e.external, ...NATIVE_PACKAGES, '*.node'],
      logLevel: 'warning',
    }),
  ),
);
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
