/**
 * An independent float64 restatement of Llama 4's vision path (llama4.md §4.2-4.5), written from
 * the Hugging Face module code's point of view rather than the engine's:
 *   - the patch embedding is a strided convolution over the tile (not an unfold + matmul);
 *   - the 2-D RoPE table is built the way Llama4VisionRotaryEmbedding builds it (repeat-interleave,
 *     concatenate x then y, keep every other entry, zero the CLS row) and applied as complex
 *     multiplication;
 *   - the pixel shuffle replays HF's view / permute / view / permute sequence on index arithmetic.
 * It reads the checkpoint back from disk, so it shares nothing with the engine but the files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointTensors } from '../fixtures/checkpoint-files.js';
import { decodeFloats } from '../fixtures/safetensors.js';

export interface ReferenceVisionConfig {
  imageSize: number;
  patchSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  projectorInput: number;
  projectorOutput: number;
  textHidden: number;
  eps: number;
  ropeTheta: number;
}

export interface ReferenceVision {
  config: ReferenceVisionConfig;
  tensor(name: string): Float64Array;
}

export function loadReferenceVision(dir: string): ReferenceVision {
  const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
    vision_config: Record<string, number>;
    text_config: Record<string, number>;
  };
  const v = json.vision_config;
  const config: ReferenceVisionConfig = {
    imageSize: v.image_size!,
    patchSize: v.patch_size!,
    hidden: v.hidden_size!,
    layers: v.num_hidden_layers!,
    heads: v.num_attention_heads!,
    intermediate: v.intermediate_size!,
    projectorInput: v.projector_input_dim!,
    projectorOutput: v.projector_output_dim!,
    textHidden: json.text_config.hidden_size!,
    eps: v.norm_eps!,
    ropeTheta: v.rope_theta!,
  };
  const stored = readCheckpointTensors(dir);
  const cache = new Map<string, Float64Array>();
  return {
    config,
    tensor(name) {
      let t = cache.get(name);
      if (!t) {
        const s = stored.get(name);
        if (!s) throw new Error(`reference: no tensor ${name}`);
        t = decodeFloats(s);
        cache.set(name, t);
      }
      return t;
    },
  };
}

/** rows × out of x[rows, in] · W[out, in]ᵀ (+ b). */
function linear(
  x: Float64Array,
  rows: number,
  w: Float64Array,
  out: number,
  bias?: Float64Array,
): Float64Array {
  const inner = x.length / rows;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let s = bias ? bias[o]! : 0;
      for (let i = 0; i < inner; i++) s += x[r * inner + i]! * w[o * inner + i]!;
      y[r * out + o] = s;
    }
  return y;
}

function layerNorm(
  x: Float64Array,
  width: number,
  w: Float64Array,
  b: Float64Array,
  eps: number,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    const row = x.subarray(r * width, (r + 1) * width);
    const mean = row.reduce((a, c) => a + c, 0) / width;
    const variance = row.reduce((a, c) => a + (c - mean) ** 2, 0) / width;
    for (let i = 0; i < width; i++)
      y[r * width + i] = ((row[i]! - mean) / Math.sqrt(variance + eps)) * w[i]! + b[i]!;
  }
  return y;
}

/** erf by its Maclaurin series / continued fraction: accurate to ~1e-15 over the range used. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for |x| ≥ 3.
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/**
 * freqs[token][pair] as Llama4VisionRotaryEmbedding computes them: CLS is index grid² with id -2
 * and angle 0; a patch uses (x+1)·θ for the first half of the pairs and (y+1)·θ for the second.
 */
function visionRopeAngles(grid: number, headDim: number, theta: number): number[][] {
  const freqDim = headDim / 2;
  const ropeFreq: number[] = [];
  for (let i = 0; i < freqDim; i += 2) ropeFreq.push(1 / theta ** (i / freqDim));
  const half = ropeFreq.slice(0, freqDim / 2);
  const ids = [...Array.from({ length: grid * grid }, (_, i) => i), -2];
  return ids.map((id) => {
    const fx = half.flatMap((f) => [
      ((((id % grid) + grid) % grid) + 1) * f,
      ((((id % grid) + grid) % grid) + 1) * f,
    ]);
    const fy = half.flatMap((f) => [(Math.floor(id / grid) + 1) * f, (Math.floor(id / grid) + 1) * f]);
    const all = [...fx, ...fy].filter((_, i) => i % 2 === 0);
    return id < 0 ? all.map(() => 0) : all;
  });
}

function rotate(x: Float64Array, tokens: number, heads: number, headDim: number, angles: number[][]): void {
  for (let t = 0; t < tokens; t++)
    for (let h = 0; h < heads; h++)
      for (let p = 0; p < headDim / 2; p++) {
        const at = t * heads * headDim + h * headDim + 2 * p;
        const [re, im] = [x[at]!, x[at + 1]!];
        const [c, s] = [Math.cos(angles[t]![p]!), Math.sin(angles[t]![p]!)];
        x[at] = re * c - im * s;
        x[at + 1] = re * s + im * c;
      }
}

function attention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  tokens: number,
  heads: number,
  headDim: number,
): Float64Array {
  const width = heads * headDim;
  const out = new Float64Array(tokens * width);
  for (let h = 0; h < heads; h++)
    for (let t = 0; t < tokens; t++) {
      const scores = Array.from({ length: tokens }, (_, s) => {
        let dot = 0;
        for (let i = 0; i < headDim; i++)
          dot += q[t * width + h * headDim + i]! * k[s * width + h * headDim + i]!;
        return dot / Math.sqrt(headDim);
      });
      const max = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - max));
      const total = e.reduce((a, c) => a + c, 0);
      for (let s = 0; s < tokens; s++)
        for (let i = 0; i < headDim; i++) {
          const at = t * width + h * headDim + i;
          out[at] = out[at]! + (e[s]! / total) * v[s * width + h * headDim + i]!;
        }
    }
  return out;
}

/** out[b][a][c] = in[a][b][c] for in of shape [A, B, C]. */
function swapFirstAxes(x: Float64Array, A: number, B: number, C: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++) out[(b * A + a) * C + c] = x[(a * B + b) * C + c]!;
  return out;
}

/** HF `pixel_shuffle(x, 0.5)` on x [grid², C]: views are free, permutes move data. */
function pixelShuffle(x: Float64Array, grid: number, channels: number): Float64Array {
  const s1 = swapFirstAxes(x, grid, grid / 2, 2 * channels); // view [g, g/2, 2C], permute(0,2,1,3)
  return swapFirstAxes(s1, grid / 2, grid / 2, 4 * channels); // view [g/2, g/2, 4C], permute back
}

/** One tile [3, S, S] → tokens-per-tile rows of textHidden features. */
export function referenceTileFeatures(model: ReferenceVision, tile: ArrayLike<number>): Float64Array {
  const c = model.config;
  const [S, P, H] = [c.imageSize, c.patchSize, c.hidden];
  const grid = S / P;
  const patches = grid * grid;
  const tokens = patches + 1;
  const vm = 'vision_model.';

  // Strided convolution, no bias; CLS appended as the last token; learned positions.
  const conv = model.tensor(`${vm}patch_embedding.linear.weight`);
  let h: Float64Array = new Float64Array(tokens * H);
  for (let py = 0; py < grid; py++)
    for (let px = 0; px < grid; px++)
      for (let o = 0; o < H; o++) {
        let s = 0;
        for (let ch = 0; ch < 3; ch++)
          for (let ky = 0; ky < P; ky++)
            for (let kx = 0; kx < P; kx++)
              s +=
                conv[o * 3 * P * P + ch * P * P + ky * P + kx]! *
                tile[ch * S * S + (py * P + ky) * S + px * P + kx]!;
        h[(py * grid + px) * H + o] = s;
      }
  h.set(model.tensor(`${vm}class_embedding`), patches * H);
  const pos = model.tensor(`${vm}positional_embedding_vlm`);
  h = h.map((x, i) => x + pos[i]!);
  h = layerNorm(
    h,
    H,
    model.tensor(`${vm}layernorm_pre.weight`),
    model.tensor(`${vm}layernorm_pre.bias`),
    c.eps,
  );

  const headDim = H / c.heads;
  const angles = visionRopeAngles(grid, headDim, c.ropeTheta);
  for (let l = 0; l < c.layers; l++) {
    const p = `${vm}model.layers.${l}.`;
    const t = (n: string) => model.tensor(p + n);
    const x = layerNorm(h, H, t('input_layernorm.weight'), t('input_layernorm.bias'), c.eps);
    const q = linear(x, tokens, t('self_attn.q_proj.weight'), H, t('self_attn.q_proj.bias'));
    const k = linear(x, tokens, t('self_attn.k_proj.weight'), H, t('self_attn.k_proj.bias'));
    const v = linear(x, tokens, t('self_attn.v_proj.weight'), H, t('self_attn.v_proj.bias'));
    rotate(q, tokens, c.heads, headDim, angles);
    rotate(k, tokens, c.heads, headDim, angles);
    const o = linear(
      attention(q, k, v, tokens, c.heads, headDim),
      tokens,
      t('self_attn.o_proj.weight'),
      H,
      t('self_attn.o_proj.bias'),
    );
    h = h.map((a, i) => a + o[i]!);
    const y = layerNorm(
      h,
      H,
      t('post_attention_layernorm.weight'),
      t('post_attention_layernorm.bias'),
      c.eps,
    );
    const f1 = linear(y, tokens, t('mlp.fc1.weight'), c.intermediate, t('mlp.fc1.bias')).map(gelu);
    const f2 = linear(f1, tokens, t('mlp.fc2.weight'), H, t('mlp.fc2.bias'));
    h = h.map((a, i) => a + f2[i]!);
  }

  const post = layerNorm(
    h,
    H,
    model.tensor(`${vm}layernorm_post.weight`),
    model.tensor(`${vm}layernorm_post.bias`),
    c.eps,
  );
  const shuffled = pixelShuffle(post.subarray(0, patches * H), grid, H);
  const rows = patches / 4;
  const a = linear(shuffled, rows, model.tensor(`${vm}vision_adapter.mlp.fc1.weight`), c.projectorInput).map(
    gelu,
  );
  const z = linear(a, rows, model.tensor(`${vm}vision_adapter.mlp.fc2.weight`), c.projectorOutput).map(gelu);
  return linear(z, rows, model.tensor('multi_modal_projector.linear_1.weight'), c.textHidden);
}
