/**
 * An independent float64 reference of the Llama 4 text forward pass (llama4.md §2, Hugging Face
 * semantics), the ground truth the native engine is checked against.
 *
 * It is written to be obviously right rather than fast: plain loops, float64 everywhere, and a full
 * causal pass over the whole sequence (no KV cache), returning the logits of every position. Weights
 * are read from the checkpoint's safetensors and widened exactly to float64 (BF16 and F32 alike).
 * Nothing here is shared with the engine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScoutError } from '../../src/engine/errors.js';
import { readCheckpointTensors } from '../fixtures/checkpoint-files.js';
import { decodeFloats, roundToBf16, type StoredTensor } from '../fixtures/safetensors.js';
import {
  attentionTemperature,
  keyVisible,
  parseLlama4TextConfig,
  ropeFrequencies,
  type ReferenceTextConfig,
} from './llama4-config.js';

/** A row-major matrix; for nn.Linear weights rows = out features, cols = in features. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A stack of `count` row-major matrices, each rows × cols (the fused expert tensors). */
export interface MatrixStack extends Matrix {
  count: number;
}

export interface Swiglu {
  gate: Matrix; // [width, hidden]
  up: Matrix; // [width, hidden]
  down: Matrix; // [hidden, width]
}

export interface MoeWeights {
  kind: 'moe';
  router: Matrix; // [experts, hidden]
  gateUp: MatrixStack; // [experts, hidden, 2·width], input-major: gate columns first, then up
  down: MatrixStack; // [experts, width, hidden], input-major
  shared: Swiglu;
}

export interface LayerWeights {
  inputNorm: Float64Array; // [hidden]
  q: Matrix; // [heads·headDim, hidden]
  k: Matrix; // [kvHeads·headDim, hidden]
  v: Matrix; // [kvHeads·headDim, hidden]
  o: Matrix; // [hidden, heads·headDim]
  postAttentionNorm: Float64Array; // [hidden]
  ffn: MoeWeights | ({ kind: 'dense' } & Swiglu);
}

export interface ReferenceModel {
  config: ReferenceTextConfig;
  embed: Matrix; // [vocab, hidden]
  layers: LayerWeights[];
  finalNorm: Float64Array; // [hidden]
  lmHead: Matrix; // [vocab, hidden]
}

/** What the forward pass reports about each routing decision, for tests of the fixtures. */
export type RouteObserver = (layer: number, position: number, experts: number[], scores: number[]) => void;

// ---------------------------------------------------------------------------------------------
// Loading

export interface LoadOptions {
  /** Round every weight to bfloat16 after loading, to model an engine that stores weights in bf16. */
  roundWeightsToBf16?: boolean;
}

export function loadReferenceModel(dir: string, options: LoadOptions = {}): ReferenceModel {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } catch (e) {
    throw new ScoutError('config', `${dir}/config.json: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  const config = parseLlama4TextConfig(json);
  const stored = readCheckpointTensors(dir);

  const take = (name: string, shape: number[]): Float64Array => {
    const tensor: StoredTensor | undefined = stored.get(config.prefix + name);
    if (!tensor) throw new ScoutError('model_mismatch', `missing tensor ${config.prefix + name}`);
    if (tensor.shape.join(',') !== shape.join(',')) {
      throw new ScoutError(
        'model_mismatch',
        `tensor ${tensor.name} has shape [${tensor.shape}], expected [${shape}]`,
      );
    }
    const values = decodeFloats(tensor);
    return options.roundWeightsToBf16 ? values.map(roundToBf16) : values;
  };
  const matrix = (name: string, rows: number, cols: number): Matrix => ({
    rows,
    cols,
    data: take(name, [rows, cols]),
  });
  const stack = (name: string, count: number, rows: number, cols: number): MatrixStack => ({
    count,
    rows,
    cols,
    data: take(name, [count, rows, cols]),
  });

  const { hiddenSize: D, headDim: d, vocabSize: V, numExperts: E, expertWidth: F, denseWidth: Fm } = config;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}.`;
    const swiglu = (prefix: string, width: number): Swiglu => ({
      gate: matrix(`${prefix}gate_proj.weight`, width, D),
      up: matrix(`${prefix}up_proj.weight`, width, D),
      down: matrix(`${prefix}down_proj.weight`, D, width),
    });
    layers.push({
      inputNorm: take(`${p}input_layernorm.weight`, [D]),
      q: matrix(`${p}self_attn.q_proj.weight`, config.numHeads * d, D),
      k: matrix(`${p}self_attn.k_proj.weight`, config.numKvHeads * d, D),
      v: matrix(`${p}self_attn.v_proj.weight`, config.numKvHeads * d, D),
      o: matrix(`${p}self_attn.o_proj.weight`, D, config.numHeads * d),
      postAttentionNorm: take(`${p}post_attention_layernorm.weight`, [D]),
      ffn: config.moeLayers[i]
        ? {
            kind: 'moe',
            router: matrix(`${p}feed_forward.router.weight`, E, D),
            gateUp: stack(`${p}feed_forward.experts.gate_up_proj`, E, D, 2 * F),
            down: stack(`${p}feed_forward.experts.down_proj`, E, F, D),
            shared: swiglu(`${p}feed_forward.shared_expert.`, F),
          }
        : { kind: 'dense', ...swiglu(`${p}feed_forward.`, Fm) },
    });
  }
  const embed = matrix('model.embed_tokens.weight', V, D);
  return {
    config,
    embed,
    layers,
    finalNorm: take('model.norm.weight', [D]),
    lmHead: config.tieWordEmbeddings ? embed : matrix('lm_head.weight', V, D),
  };
}

// ---------------------------------------------------------------------------------------------
// Building blocks

/** y = W·x for an nn.Linear weight W [out, in]. */
export function linear(x: Float64Array, w: Matrix): Float64Array {
  const y = new Float64Array(w.rows);
  for (let r = 0; r < w.rows; r++) {
    let sum = 0;
    for (let c = 0; c < w.cols; c++) sum += w.data[r * w.cols + c]! * x[c]!;
    y[r] = sum;
  }
  return y;
}

/** y = x·M[index] for an input-major stacked matrix M [count, in, out]. */
export function inputMajorProduct(x: Float64Array, m: MatrixStack, index: number): Float64Array {
  const y = new Float64Array(m.cols);
  const base = index * m.rows * m.cols;
  for (let c = 0; c < m.cols; c++) {
    let sum = 0;
    for (let r = 0; r < m.rows; r++) sum += x[r]! * m.data[base + r * m.cols + c]!;
    y[c] = sum;
  }
  return y;
}

/** x / sqrt(mean(x²) + eps), times `weight` when given (weightless for the qk-norm). */
export function rmsNorm(x: Float64Array, eps: number, weight?: Float64Array): Float64Array {
  let sumSquares = 0;
  for (const v of x) sumSquares += v * v;
  const inv = 1 / Math.sqrt(sumSquares / x.length + eps);
  return x.map((v, i) => v * inv * (weight ? weight[i]! : 1));
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Rotates the interleaved pairs (2j, 2j+1) of one head by angle position·ω_j. */
export function applyRope(head: Float64Array, position: number, omega: Float64Array): Float64Array {
  const out = new Float64Array(head.length);
  for (let j = 0; j < head.length / 2; j++) {
    const angle = position * omega[j]!;
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    const [re, im] = [head[2 * j]!, head[2 * j + 1]!];
    out[2 * j] = re * cos - im * sin;
    out[2 * j + 1] = re * sin + im * cos;
  }
  return out;
}

/** down·(silu(gate·x) ⊙ up·x) with nn.Linear weights. */
function swiglu(x: Float64Array, w: Swiglu): Float64Array {
  const g = linear(x, w.gate);
  const u = linear(x, w.up);
  return linear(
    g.map((gi, i) => silu(gi) * u[i]!),
    w.down,
  );
}

/** Indices of the k largest values, ties broken towards the lower index. */
export function topK(values: Float64Array, k: number): number[] {
  const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]! || a - b);
  return order.slice(0, k);
}

function addInto(target: Float64Array, addend: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i]! += addend[i]!;
}

// ---------------------------------------------------------------------------------------------
// The forward pass

/**
 * MoE FFN (llama4.md §2.2 step 10): top-k of the raw router logits, sigmoid of the selected ones,
 * each selected expert applied to its score times the input, plus the shared expert on the input.
 */
export function moeForward(
  b: Float64Array,
  w: MoeWeights,
  topKCount: number,
  observe?: (e: number[], s: number[]) => void,
): Float64Array {
  const routerLogits = linear(b, w.router);
  const experts = topK(routerLogits, topKCount);
  const scores = experts.map((e) => sigmoid(routerLogits[e]!));
  observe?.(experts, scores);

  const out = swiglu(b, w.shared);
  const width = w.down.rows;
  experts.forEach((e, n) => {
    const scaledInput = b.map((v) => v * scores[n]!);
    const gateUp = inputMajorProduct(scaledInput, w.gateUp, e);
    const hidden = new Float64Array(width);
    for (let f = 0; f < width; f++) hidden[f] = silu(gateUp[f]!) * gateUp[width + f]!;
    addInto(out, inputMajorProduct(hidden, w.down, e));
  });
  return out;
}

/** Self-attention of layer `layerIndex` over the normalized inputs `a` of every position. */
function attention(
  config: ReferenceTextConfig,
  layerIndex: number,
  w: LayerWeights,
  a: Float64Array[],
): Float64Array[] {
  const { headDim: d, numHeads, numKvHeads } = config;
  const ropeLayer = config.ropeLayers[layerIndex]!;
  const { omega } = ropeFrequencies(config);
  const headsOf = (x: Float64Array, count: number) =>
    Array.from({ length: count }, (_, h) => x.slice(h * d, (h + 1) * d));

  // Per position: heads of q and k after position handling, and raw heads of v.
  const prepare = (head: Float64Array, p: number, isQuery: boolean): Float64Array => {
    if (ropeLayer) {
      const rotated = applyRope(head, p, omega);
      return config.useQkNorm ? rmsNorm(rotated, config.rmsNormEps) : rotated;
    }
    if (isQuery && config.temperatureTuning) {
      const scale = attentionTemperature(p, config.floorScale, config.attnScale);
      return head.map((v) => v * scale);
    }
    return head;
  };
  const q = a.map((x, p) => headsOf(linear(x, w.q), numHeads).map((h) => prepare(h, p, true)));
  const k = a.map((x, p) => headsOf(linear(x, w.k), numKvHeads).map((h) => prepare(h, p, false)));
  const v = a.map((x) => headsOf(linear(x, w.v), numKvHeads));

  const groupSize = numHeads / numKvHeads;
  const scale = 1 / Math.sqrt(d);
  return a.map((_, pq) => {
    const concat = new Float64Array(numHeads * d);
    for (let h = 0; h < numHeads; h++) {
      const kvHead = Math.floor(h / groupSize);
      const visible = Array.from({ length: pq + 1 }, (_, pk) => pk).filter((pk) =>
        keyVisible(pq, pk, ropeLayer, config.attentionChunkSize),
      );
      const logits = visible.map((pk) => {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[pq]![h]![i]! * k[pk]![kvHead]![i]!;
        return dot * scale;
      });
      const max = Math.max(...logits);
      const weights = logits.map((l) => Math.exp(l - max));
      const total = weights.reduce((s, x) => s + x, 0);
      visible.forEach((pk, n) => {
        for (let i = 0; i < d; i++) concat[h * d + i]! += (weights[n]! / total) * v[pk]![kvHead]![i]!;
      });
    }
    return linear(concat, w.o);
  });
}

/**
 * Logits of every position of `tokens` (one float64 row of vocab_size per token), computed as one
 * full causal pass from position 0.
 */
export function referenceLogits(
  model: ReferenceModel,
  tokens: readonly number[],
  observeRoute?: RouteObserver,
): Float64Array[] {
  const { config } = model;
  if (tokens.length === 0) throw new ScoutError('invalid_argument', 'no tokens');
  for (const t of tokens) {
    if (!Number.isInteger(t) || t < 0 || t >= config.vocabSize) {
      throw new ScoutError(
        'invalid_argument',
        `token ${t} is outside the vocabulary [0, ${config.vocabSize})`,
      );
    }
  }

  const eps = config.rmsNormEps;
  let x = tokens.map((t) => model.embed.data.slice(t * config.hiddenSize, (t + 1) * config.hiddenSize));
  model.layers.forEach((layer, i) => {
    const attnOut = attention(
      config,
      i,
      layer,
      x.map((h) => rmsNorm(h, eps, layer.inputNorm)),
    );
    x = x.map((h, p) => h.map((v, j) => v + attnOut[p]![j]!));

    x = x.map((h, p) => {
      const b = rmsNorm(h, eps, layer.postAttentionNorm);
      const ffn =
        layer.ffn.kind === 'moe'
          ? moeForward(b, layer.ffn, config.topK, (e, s) => observeRoute?.(i, p, e, s))
          : swiglu(b, layer.ffn);
      return h.map((v, j) => v + ffn[j]!);
    });
  });
  return x.map((h) => linear(rmsNorm(h, eps, model.finalNorm), model.lmHead));
}
