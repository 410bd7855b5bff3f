/**
 * `scout model download|list|verify|plan`: get Llama 4 Scout onto this machine, see what is here,
 * check it is intact, and see what will fit before anything is loaded. Results go to stdout (text,
 * or one JSON object with --json); progress and notes go to stderr, as a bar on a terminal and plain
 * lines otherwise.
 */
import { resolve } from 'node:path';
import { ScoutError } from '../../errors.js';
import { findModels, type ModelSummary } from '../../model/discover.js';
import { SCOUT_REPO } from '../../model/paths.js';
import type { MemoryPlan } from '../../model/plan.js';
import { downloadForSetup, planForMachine } from '../../model/setup.js';
import { verifyModel } from '../../model/verify.js';
import { formatBytes, Progress } from '../../progress.js';
import { intOption, parseOptions } from '../args.js';
import type { CliCommand, CliIO } from '../command.js';

const USAGE = `scout model <download|list|verify|plan> [options]
  download [--repo ID] [--revision R] [--dir CACHE] [--include P,...] [--exclude P,...] [--concurrency N] [--json]
      fetch a Hub repo into the Hugging Face cache (default ${SCOUT_REPO}); resumable;
      token from HF_TOKEN or the Hugging Face CLI's token file; Hub address from HF_ENDPOINT
      --dir CACHE       the hub cache folder (default $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub)
      --include P,...   only files matching these patterns, e.g. '*.json,*.safetensors'
      --exclude P,...   leave these out (default 'original/*', Meta's .pth copies; '' keeps everything)
  list [--folder DIR]... [--json]
      models in --folder/SCOUT_MODEL and the Hugging Face caches, with architecture, size, dtype, int4 caches
  verify DIR [--no-hash] [--json]
      every shard present, headers valid, index and config consistent with the tensors, blobs match their hashes
  plan [--model DIR] [--context N] [--text-only] [--json]
      what fits in this machine's GPU memory and RAM, per weight format and KV type; without a model
      on disk, plans for ${SCOUT_REPO}; exits 1 when nothing fits`;

export const command: CliCommand = {
  name: 'model',
  summary: 'Download, list, verify Llama 4 models, and plan what fits on this machine.',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'download':
        return download(rest, io);
      case 'list':
        return list(rest, io);
      case 'verify':
        return verify(rest, io);
      case 'plan':
        return plan(rest, io);
      default:
        throw new ScoutError(
          'invalid_argument',
          `expected download, list, verify or plan, got '${sub ?? ''}'`,
        );
    }
  },
};

async function download(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseOptions(argv, {
    repo: { type: 'string' },
    revision: { type: 'string' },
    dir: { type: 'string' },
    include: { type: 'string' },
    exclude: { type: 'string' },
    concurrency: { type: 'string' },
    json: { type: 'boolean' },
  });
  const repo = values.repo ?? SCOUT_REPO;
  const progress = new Progress({
    label: `download ${repo}`,
    unit: 'bytes',
    stream: io.stderr,
    isTTY: io.isTTY,
  });
  const result = await downloadForSetup({
    repo,
    revision: values.revision,
    cacheDir: values.dir,
    include: patterns(values.include),
    exclude: patterns(values.exclude),
    concurrency: intOption('concurrency', values.concurrency, 1, 16),
    signal: io.signal,
    onStart: (s) => {
      progress.setTotal(s.totalBytes);
      progress.set(s.presentBytes);
      if (s.presentBytes > 0) progress.log(`resuming: ${formatBytes(s.presentBytes)} already on disk`);
    },
    onBytes: (d) => (d >= 0 ? progress.add(d) : progress.set(progress.snapshot().done + d)),
    onLog: (m) => progress.log(m),
  });
  progress.finish(
    result.fetchedBytes > 0
      ? `downloaded ${formatBytes(result.fetchedBytes)} of ${repo} in ${progress.snapshot().elapsedSeconds.toFixed(0)}s`
      : `${repo} is already complete`,
  );
  if (values.json) io.stdout.write(`${JSON.stringify(result)}\n`);
  else io.stdout.write(`${result.snapshotDir}\n`);
  return 0;
}

function patterns(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

async function list(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseOptions(argv, {
    folder: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  const models = await findModels({ folders: (values.folder ?? []).map((f) => resolve(f)) });
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ models })}\n`);
    return 0;
  }
  if (models.length === 0) {
    io.stdout.write("no models found; run 'scout model download' or pass --folder DIR\n");
    return 0;
  }
  for (const m of models) io.stdout.write(describe(m));
  return 0;
}

function describe(m: ModelSummary): string {
  const name = m.repo
    ? `${m.repo}@${m.commit?.slice(0, 12)}${m.refs?.length ? ` (${m.refs.join(', ')})` : ''}`
    : m.dir;
  const int4 = m.int4Caches.filter((c) => c.exists).map((c) => c.format);
  const lines = [
    `${name}  [${m.source}]`,
    `  ${m.dir}`,
    `  ${m.architecture ?? 'unknown architecture'}, ${m.dtype ?? 'unknown dtype'}, ${formatBytes(m.weightBytes)} of weights` +
      `${m.complete ? '' : ' (incomplete)'}; int4 cache: ${int4.length ? int4.join(', ') : 'none'}`,
  ];
  if (m.problem) lines.push(`  problem: ${m.problem}`);
  return `${lines.join('\n')}\n`;
}

async function verify(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseOptions(
    argv,
    { 'no-hash': { type: 'boolean' }, json: { type: 'boolean' } },
    true,
  );
  if (positionals.length !== 1) throw new ScoutError('invalid_argument', 'usage: scout model verify DIR');
  const dir = resolve(positionals[0]!);
  const progress = new Progress({ label: `hash ${dir}`, unit: 'bytes', stream: io.stderr, isTTY: io.isTTY });
  let hashing = false;
  const report = await verifyModel(dir, {
    hashes: !values['no-hash'],
    signal: io.signal,
    onHashStart: (total) => {
      hashing = total > 0;
      progress.setTotal(total);
    },
    onHashBytes: (d) => progress.add(d),
  }).catch((e: unknown) => {
    if (io.signal.aborted) throw new ScoutError('cancelled', 'verify cancelled');
    throw e;
  });
  if (hashing) progress.finish();
  if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    const hashed = report.files.filter((f) => f.hash === 'ok').length;
    io.stdout.write(
      `${dir}: ${report.architecture ?? 'unknown architecture'}, ${report.shards} shards, ${report.tensors} tensors, ` +
        `${hashed} of ${report.files.length} files hash-checked\n`,
    );
    for (const issue of report.issues) io.stdout.write(`  problem: ${issue}\n`);
    io.stdout.write(report.ok ? 'ok\n' : `${report.issues.length} problem(s)\n`);
  }
  return report.ok ? 0 : 1;
}

async function plan(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseOptions(argv, {
    model: { type: 'string' },
    context: { type: 'string' },
    'text-only': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const {
    source,
    machine,
    plan: result,
  } = await planForMachine({
    modelDir: values.model,
    context: intOption('context', values.context, 1, 1 << 30),
    includeVision: !values['text-only'],
  });
  if (values.json) io.stdout.write(`${JSON.stringify({ source, machine, plan: result })}\n`);
  else io.stdout.write(renderPlan(source, result, machine.gpus.length === 0));
  return result.recommended ? 0 : 1;
}

const GIB = 1024 ** 3;
const gib = (b: number) => `${(b / GIB).toFixed(1)} GiB`;
/** Parameter counts: billions, or millions for the small groups (a router is 3.9 M, not '0.00 B'). */
const billions = (n: number) => (n >= 1e8 ? `${(n / 1e9).toFixed(2)} B` : `${(n / 1e6).toFixed(1)} M`);

export function renderPlan(source: string, p: MemoryPlan, noGpu: boolean): string {
  const out: string[] = [];
  out.push(`${p.architecture} from ${source}`);
  out.push(
    `  ${billions(p.params.total)} parameters (${billions(p.params.text)} text, ${billions(p.params.activePerToken)} active per token)`,
  );
  const groups = (
    [
      'attention',
      'experts',
      'shared_expert',
      'router',
      'dense_mlp',
      'embeddings',
      'lm_head',
      'vision',
      'projector',
    ] as const
  )
    .filter((g) => p.params[g] > 0)
    .map((g) => `${g} ${billions(p.params[g])}`);
  out.push(`  ${groups.join(', ')}`);
  out.push(
    `  KV per token: ${p.kv.bf16.perToken / 1024} KiB bf16, ${p.kv.fp8.perToken / 1024} KiB fp8 (chunk-aware; ` +
      `naive ${p.kv.bf16.perTokenNaive / 1024} KiB), plus a ${gib(p.kv.bf16.ringBytes)} bf16 / ${gib(p.kv.fp8.ringBytes)} fp8 chunk ring`,
  );
  for (const d of p.devices)
    out.push(
      `${d.name}: ${gib(d.totalBytes)}, ${gib(d.usableBytes)} usable after ${gib(p.reserveBytes)} reserved`,
    );
  if (noGpu) out.push('no NVIDIA GPU found (nvidia-smi absent or failing): RAM only');
  out.push('');
  out.push(
    `${'device'.padEnd(7)}${'weights'.padEnd(16)}${'kv'.padEnd(6)}${'weights'.padStart(11)}${'max context'.padStart(14)}`,
  );
  for (const r of p.rows)
    out.push(
      `${r.device.padEnd(7)}${r.weights.padEnd(16)}${r.kv.padEnd(6)}${gib(r.weightBytes).padStart(11)}` +
        `${(r.maxContext > 0 ? r.maxContext.toLocaleString('en-US') : 'does not fit').padStart(14)}${r.fits ? '' : '  ✗'}`,
    );
  out.push('');
  const rec = p.recommended;
  out.push(
    rec
      ? `recommended: ${rec.device}, --weights ${rec.weights}, --kv ${rec.kv}, context ${rec.context.toLocaleString('en-US')} (${rec.reason})`
      : `nothing fits on this machine, even at 1 token of context: Scout needs a GPU or more RAM (or a remote server)`,
  );
  out.push(
    `(${p.includeVision ? 'vision tower included; --text-only drops it' : 'text only'}; ✗ = below the ${p.requestedContext.toLocaleString('en-US')} tokens asked for)`,
  );
  return `${out.join('\n')}\n`;
}
