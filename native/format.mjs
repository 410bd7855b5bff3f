#!/usr/bin/env node
// Formats the native sources with clang-format when it is installed (Debian: clang-format).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(cpp|hpp|cu|cuh)$/.test(e.name)) files.push(p);
  }
})('native');
const r = spawnSync('clang-format', ['-i', ...files], { stdio: 'inherit' });
if (r.error) console.error('clang-format is not installed; native sources left as they are.');
