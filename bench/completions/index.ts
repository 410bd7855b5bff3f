/**
 * `npm run bench -- completions [--model DIR] [--cases N] [--max-tokens N]`: the two inline
 * completion prompt styles ('instruction' and 'fim') side by side, through the real sidecar
 * (dist/sidecar.js, built by `npm run build`) and the extension's own client, on a real model.
 *
 * Each case is a line cut out of this project's own TypeScript: the cursor sits after the line's
 * indentation, the prefix and suffix are the text around it (bounded like the extension's defaults),
 * and the removed line is the answer a user would accept. Per style it reports latency (time to first
 * token, total) and acceptance proxies: a suggestion at all after the extension's post-processing, a
 * raw answer that repeats the code after the cursor (what post-processing must cut), and a first line
 * equal to the removed one. A random tiny model says nothing about the styles, so this needs a real
 * model: --model, $SCOUT_MODEL, or what the sidecar discovers.
 *
 * Progress goes to stderr; the last stdout line is one JSON object.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as P from '../../src/engine/protocol.js';
import { postprocess } from '../../src/extension/completions/postprocess.js';
import { ScoutClient } from '../../src/extension/sidecar/client.js';
import { SidecarSupervisor } from '../../src/extension/sidecar/supervisor.js';

const root = join(__dirname, '..', '..');
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
};
const positive = (name: string, fallback: number): number => {
  const v = Number(opt(name) ?? fallback);
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
};
const caseCount = positive('cases', 24);
const maxTokens = positive('max-tokens', 64);
const model = opt('model') ?? process.env.SCOUT_MODEL;
const log = (s: string) => process.stderr.write(`${s}\n`);

/** The extension's defaults (settings.ts): characters of context on each side of the cursor. */
const PREFIX_CHARS = 6000;
const SUFFIX_CHARS = 2000;
const STYLES: P.CompletionStyle[] = ['instruction', 'fim'];

interface Case {
  where: string;
  prefix: string;
  suffix: string;
  expected: string;
  lineSuffix: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const p = join(dir, d.name);
      return d.isDirectory() ? sourceFiles(p) : d.name.endsWith('.ts') ? [p] : [];
    });
}

/** Code lines worth completing (not blank, not comments, not a lone bracket), spread evenly over the sources. */
function pickCases(n: number): Case[] {
  const candidates: Case[] = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    let offset = 0;
    for (const [i, line] of text.split('\n').entries()) {
      const body = line.trim();
      const start = offset + line.length - line.trimStart().length;
      offset += line.length + 1;
      if (body.length < 12 || /^(\/\/|\/?\*|import |export \{)/.test(body)) continue;
      candidates.push({
        where: `${relative(root, file)}:${i + 1}`,
        prefix: text.slice(Math.max(0, start - PREFIX_CHARS), start),
        suffix: text.slice(offset, offset + SUFFIX_CHARS),
        expected: body,
        lineSuffix: '',
      });
    }
  }
  if (candidates.length < n) throw new Error(`only ${candidates.length} candidate lines in src/`);
  const step = candidates.length / n;
  return Array.from({ length: n }, (_, k) => candidates[Math.floor(k * step + step / 2)]!);
}

interface Sample {
  ttftMs: number;
  totalMs: number;
  nonEmpty: boolean;
  repeatsSuffix: boolean;
  firstLineExact: boolean;
}

async function runCase(client: ScoutClient, c: Case, style: P.CompletionStyle): Promise<Sample> {
  const started = performance.now();
  const result = await client.complete({
    uri: `file://${join(root, c.where.split(':')[0]!)}`,
    languageId: 'typescript',
    prefix: c.prefix,
    suffix: c.suffix,
    style,
    params: { maxTokens, temperature: 0 },
  });
  const totalMs = performance.now() - started;
  const linePrefix = c.prefix.slice(c.prefix.lastIndexOf('\n') + 1);
  const shown = postprocess(result.text, {
    linePrefix,
    lineSuffix: c.lineSuffix,
    nextLines: c.suffix.split('\n').slice(0, 5).join('\n'),
    maxLines: 16,
  });
  const nextCode = c.suffix
    .split('\n')
    .find((l) => l.trim().length > 0)
    ?.trim();
  return {
    ttftMs: result.stats.ttftMs,
    totalMs,
    nonEmpty: shown.trim().length > 0,
    repeatsSuffix: !!nextCode && result.text.includes(nextCode),
    firstLineExact: shown.split('\n')[0]!.trim() === c.expected,
  };
}

function quantile(sorted: number[], q: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}

/** Median and 90th percentile of one measure. */
function spread(xs: number[]): { p50: number; p90: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

function summarize(samples: Sample[]) {
  const rate = (f: (s: Sample) => boolean) =>
    Math.round((1000 * samples.filter(f).length) / samples.length) / 1000;
  return {
    ttftMs: spread(samples.map((s) => s.ttftMs)),
    totalMs: spread(samples.map((s) => s.totalMs)),
    nonEmpty: rate((s) => s.nonEmpty),
    repeatsSuffix: rate((s) => s.repeatsSuffix),
    firstLineExact: rate((s) => s.firstLineExact),
  };
}

async function main(): Promise<void> {
  const sidecar = join(root, 'dist', 'sidecar.js');
  if (!existsSync(sidecar)) throw new Error(`${sidecar} is missing: run "npm run build" first`);
  const supervisor = new SidecarSupervisor({
    launch: () => ({ command: process.execPath, args: [sidecar], env: { ...process.env } }),
    initializeParams: () => ({
      protocolVersion: P.PROTOCOL_VERSION,
      clientName: 'bench-completions',
      clientVersion: '0',
      settings: model ? { modelPath: model } : {},
    }),
    log: { debug() {}, info() {}, warn: log, error: log },
  });
  const client = new ScoutClient(supervisor);
  try {
    const loaded = await client.loadModel({}, (p) => log(`loading: ${p.message ?? ''} ${p.done}/${p.total}`));
    log(`model ${loaded.id} (${loaded.backend}), ${caseCount} cases, up to ${maxTokens} tokens each`);
    const cases = pickCases(caseCount);
    // One unmeasured request per style: the first request pays for warming caches and threads.
    for (const style of STYLES) await runCase(client, cases[0]!, style);
    const samples: Record<P.CompletionStyle, Sample[]> = { instruction: [], fim: [] };
    for (const [i, c] of cases.entries()) {
      // Alternate which style goes first, so neither always meets a cache the other warmed.
      const order = i % 2 === 0 ? STYLES : [...STYLES].reverse();
      for (const style of order) samples[style].push(await runCase(client, c, style));
      log(`${i + 1}/${cases.length} ${c.where}`);
    }
    const result = {
      benchmark: 'completions',
      model: loaded.id,
      backend: loaded.backend,
      cases: cases.length,
      maxTokens,
      styles: Object.fromEntries(STYLES.map((s) => [s, summarize(samples[s])])),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await supervisor.dispose();
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
