/**
 * The benchmark's model: a random-weight Llama 4 text model at a scaled-down Scout shape (every
 * layer MoE with 16 experts, top-1, plus the shared expert; GQA; RoPE/NoPE interleave; the real
 * 202,048-token vocabulary), about 1.3 B parameters. It is generated from a seed into the user's
 * cache folder (never the repository), streamed tensor by tensor as bf16 so that generating it
 * needs no more memory than one tensor, and reused while its spec is unchanged.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  buildConfigJson,
  tensorShapes,
  type Llama4FixtureSpec,
} from '../../test/fixtures/llama4-checkpoint.js';
import { hashString } from '../../test/fixtures/prng.js';

export const BENCH_SPEC: Llama4FixtureSpec = {
  name: 'bench-engine',
  purpose: 'engine benchmark: scaled-down Scout shape with the real vocabulary, random weights',
  seed: 0x5c0a7,
  architecture: 'Llama4ForCausalLM',
  dtype: 'BF16',
  shards: 1,
  text: {
    vocab_size: 202048,
    hidden_size: 1024,
    num_hidden_layers: 16,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    head_dim: 128,
    intermediate_size: 1024,
    intermediate_size_mlp: 2048,
    num_local_experts: 16,
    num_experts_per_tok: 1,
    interleave_moe_layer_step: 1,
    no_rope_layers: Array.from({ length: 16 }, (_, i) => ((i + 1) % 4 === 0 ? 0 : 1)),
    attention_chunk_size: 8192,
    attn_temperature_tuning: true,
    floor_scale: 8192,
    attn_scale: 0.1,
    use_qk_norm: true,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    rope_scaling: {
      rope_type: 'llama3',
      factor: 16,
      low_freq_factor: 1,
      high_freq_factor: 1,
      original_max_position_embeddings: 8192,
    },
    max_position_embeddings: 131072,
    bos_token_id: 200000,
    eos_token_id: [200001, 200007, 200008],
    pad_token_id: 200018,
  },
};

export function parameterCount(spec: Llama4FixtureSpec): number {
  return tensorShapes(spec).reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
}

/** Half-width of the uniform distribution of one tensor: activations stay of order 1. */
function amplitude(name: string, hidden: number): number {
  if (name.endsWith('embed_tokens.weight')) return 1;
  if (name.endsWith('router.weight')) return 3 / Math.sqrt(hidden);
  return 1.4 / Math.sqrt(hidden);
}

/** The bf16 bytes of one tensor: norms near 1, matrices uniform in ±amplitude (xorshift32 stream). */
function tensorBytes(seed: number, name: string, count: number, hidden: number): Buffer {
  const out = new Uint16Array(count);
  const f32 = new Float32Array(1);
  const bits = new Uint16Array(f32.buffer);
  const isNorm = name.endsWith('norm.weight');
  const a = isNorm ? 0.1 : amplitude(name, hidden);
  const centre = isNorm ? 1 : 0;
  let state = (seed ^ hashString(name)) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    f32[0] = centre + a * (state / 2147483648 - 1);
    out[i] = bits[1]!; // the high half of an f32 (little-endian) is its bf16 truncation
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** The model's folder in the cache, generating it first when absent (progress on stderr). */
export function benchModelDir(spec: Llama4FixtureSpec = BENCH_SPEC): string {
  const root = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'scout', 'bench');
  const key = createHash('sha256').update(JSON.stringify(spec)).update(tensorBytes.toString()).digest('hex');
  const dir = join(root, `engine-${key.slice(0, 16)}`);
  if (existsSync(join(dir, '.complete'))) return dir;

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(buildConfigJson(spec), null, 2) + '\n');
  const shapes = tensorShapes(spec);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = 2 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'BF16', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // tensors start 8-byte aligned
  const partial = join(dir, 'model.safetensors.partial');
  const fd = openSync(partial, 'w');
  try {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, length);
    writeSync(fd, Buffer.from(json));
    let written = 0;
    for (const [name, shape] of shapes) {
      const count = shape.reduce((a, b) => a * b, 1);
      writeSync(fd, tensorBytes(spec.seed, name, count, spec.text.hidden_size));
      written += 2 * count;
      process.stderr.write(`\rgenerating the benchmark model: ${((100 * written) / offset).toFixed(0)}%`);
    }
  } finally {
    closeSync(fd);
  }
  process.stderr.write('\n');
  renameSync(partial, join(dir, 'model.safetensors'));
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}
