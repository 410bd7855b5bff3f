#!/usr/bin/env node
// Builds the native engine with cmake-js (N-API 8, so one build loads in Node 20, Node 24 and
// VS Code's Electron). Runs on `npm ci` through the package's install script.
//
//   node native/build.mjs               build if sources changed (incremental)
//   node native/build.mjs --force       rebuild from scratch
//   node native/build.mjs --run-tests   build, then run the native test runner
//   node native/build.mjs --sanitize    ASan + UBSan build into build/native-asan (tests only)
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const sanitize = args.has('--sanitize');
const outDir = join(root, 'build', sanitize ? 'native-asan' : 'native');
const jobs = String(Math.max(1, cpus().length));

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (args.has('--force')) rmSync(outDir, { recursive: true, force: true });

if (sanitize) {
  // The sanitizer build is a plain CMake build: the addon is not needed to test the core.
  run('cmake', ['-S', 'native', '-B', outDir, '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DSCOUT_SANITIZE=ON']);
  run('cmake', ['--build', outDir, '--target', 'scout_native_tests', '-j', jobs]);
} else {
  const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  if (!existsSync(cmakeJs)) {
    console.error('native/build.mjs: cmake-js is missing; run `npm ci` first.');
    process.exit(1);
  }
  run(process.execPath, [cmakeJs, 'build', '-d', 'native', '-O', outDir, '-B', 'Release', '-p', jobs, '-l', 'warn']);
}

if (args.has('--run-tests')) {
  const bin = join(outDir, sanitize ? '' : 'Release', 'scout_native_tests');
  const exe = existsSync(bin) ? bin : join(outDir, 'scout_native_tests');
  run(exe, [], { env: { ...process.env, SCOUT_ROOT: root } });
}
