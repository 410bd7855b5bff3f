/**
 * The engine benchmark (`npm run bench -- engine [--weights int4|int4_mixed|bf16] [--threads N]`):
 * Scout's CPU engine on a random-weight, scaled-down Llama 4 (bench/engine/model.ts) at int4.
 *
 * Reports prefill tok/s (512 tokens in one eval), decode tok/s (128 greedy tokens, one eval each),
 * the bytes of weights one decoded token reads, the bandwidth that implies, and the machine's
 * memory read bandwidth measured in the same run (membw.c, a streaming read of 2 GB on every core).
 * The decode goal is >= 70 % of that bandwidth. The last stdout line is one JSON object.
 *
 * The llama.cpp peer is not run yet: it needs `scout export-gguf`, which does not exist yet, so its
 * fields are null and `llamacpp_status` says why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { join } from 'node:path';
import { NATIVE_WEIGHTS, type NativeWeights } from '../../src/engine/native/binding.js';
import { TextModel } from '../../src/engine/native/engine.js';
import { BENCH_SPEC, benchModelDir, parameterCount } from './model.js';
import type { Llama4TextConfigJson } from '../../test/fixtures/llama4-checkpoint.js';

const PREFILL_TOKENS = 512;
const DECODE_TOKENS = 128;

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Bytes of one [rows, cols] matrix in the storage `format` gives its kind (weights.cpp). */
function matrixBytes(rows: number, cols: number, int4: boolean, int4ScaleBytes: number): number {
  if (!int4) return 2 * rows * cols;
  return rows * Math.ceil(cols / 128) * (64 + int4ScaleBytes);
}

/**
 * Weight bytes one decoded token reads at batch 1: attention, router, shared expert and the top-k
 * routed experts of every layer, one embedding row, the norms and lm_head (all layers are MoE).
 * The KV cache is not counted (a few MB at these lengths).
 */
function weightBytesPerToken(t: Llama4TextConfigJson, weights: NativeWeights): number {
  const [D, V, d, F] = [t.hidden_size, t.vocab_size, t.head_dim, t.intermediate_size];
  const attnInt4 = weights === 'int4' || weights === 'int4_int8_head';
  const expertsInt4 = attnInt4 || weights === 'int4_mixed';
  const scale = weights === 'int4_mixed' ? 4 : 2;
  const wide = weights === 'f32' ? 2 : 1; // f32 doubles every bf16 count
  const q = t.num_attention_heads * d,
    kv = t.num_key_value_heads * d;
  const attention = wide * (matrixBytes(q, D, attnInt4, scale) * 2 + matrixBytes(kv, D, attnInt4, scale) * 2);
  const expert = wide * (2 * matrixBytes(F, D, expertsInt4, scale) + matrixBytes(D, F, expertsInt4, scale));
  const router = wide * 2 * t.num_local_experts * D;
  const norms = 4 * 2 * D;
  const perLayer = attention + router + (1 + t.num_experts_per_tok) * expert + norms;
  const lmHead = weights === 'int4_int8_head' ? V * (D + 2) : wide * 2 * V * D;
  return t.num_hidden_layers * perLayer + lmHead + wide * 2 * D + 4 * D; // + one embedding row, final norm
}

/** The machine's streaming read bandwidth in GB/s, from membw.c compiled into the cache folder. */
function memoryBandwidth(threads: number): number {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'scout', 'bench');
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, 'membw');
  execFileSync('cc', ['-O2', '-mavx2', '-pthread', join(__dirname, 'membw.c'), '-o', exe]);
  if (!existsSync(exe)) throw new Error('membw did not build');
  const out = execFileSync(exe, [String(2e9), String(threads), '5'], { encoding: 'utf8' });
  return Number(out.trim());
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

async function main(): Promise<void> {
  const weights = (option('weights') ?? 'int4') as NativeWeights;
  if (!NATIVE_WEIGHTS.includes(weights))
    throw new Error(`--weights must be one of ${NATIVE_WEIGHTS.join(', ')}`);
  const threads = Number(option('threads') ?? cpus().length);
  if (!Number.isInteger(threads) || threads < 1) throw new Error('--threads must be a positive integer');

  const memBw = memoryBandwidth(threads);
  process.stderr.write(`memory read bandwidth: ${memBw.toFixed(2)} GB/s (${threads} threads)\n`);

  const dir = benchModelDir();
  const params = parameterCount(BENCH_SPEC);
  process.stderr.write(`model: ${(params / 1e9).toFixed(2)} B parameters in ${dir}\n`);
  let t = performance.now();
  const model = await TextModel.load(dir, { weights, threads });
  const loadSeconds = (performance.now() - t) / 1000;
  process.stderr.write(
    `loaded as ${weights} in ${loadSeconds.toFixed(1)} s (${(model.weightBytes / 1e9).toFixed(2)} GB)\n`,
  );

  const vocab = BENCH_SPEC.text.vocab_size;
  const prompt = Array.from({ length: PREFILL_TOKENS }, (_, i) => (i * 7919 + 13) % 200000);
  const seq = model.newSequence(PREFILL_TOKENS + DECODE_TOKENS);
  t = performance.now();
  let logits = await seq.eval(prompt, 'last');
  const prefillSeconds = (performance.now() - t) / 1000;
  process.stderr.write(`prefill: ${PREFILL_TOKENS} tokens in ${prefillSeconds.toFixed(2)} s\n`);

  t = performance.now();
  for (let i = 0; i < DECODE_TOKENS; i++) {
    const next = argmax(logits!);
    if (next < 0 || next >= vocab) throw new Error(`argmax ${next} outside the vocabulary`);
    logits = await seq.eval([next], 'last');
  }
  const decodeSeconds = (performance.now() - t) / 1000;
  process.stderr.write(`decode: ${DECODE_TOKENS} tokens in ${decodeSeconds.toFixed(2)} s\n`);
  seq.dispose();
  model.dispose();

  const bytesPerToken = weightBytesPerToken(BENCH_SPEC.text, weights);
  const decodeTokS = DECODE_TOKENS / decodeSeconds;
  const achieved = (bytesPerToken * decodeTokS) / 1e9;
  const result = {
    benchmark: 'engine',
    weights,
    threads,
    parameters: params,
    load_s: loadSeconds,
    prefill_tok_s: PREFILL_TOKENS / prefillSeconds,
    decode_tok_s: decodeTokS,
    weight_bytes_per_token: bytesPerToken,
    achieved_gbs: achieved,
    mem_bw_gbs: memBw,
    bw_fraction: achieved / memBw,
    llamacpp_decode_tok_s: null,
    llamacpp_prefill_tok_s: null,
    llamacpp_status: 'not run: scout export-gguf is not implemented yet',
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench engine: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
