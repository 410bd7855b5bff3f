/**
 * The reference's view of a Llama 4 text config (llama4.md §1.1), and the small position-dependent
 * rules of the forward pass: the llama3 RoPE frequency table (§2.3), the NoPE attention temperature
 * (§2.2 step 5) and the attention masks (§2.2 step 7).
 *
 * Written from the spec and Hugging Face's semantics, independently of the engine and of the
 * fixture writer: it reads `config.json` as plain JSON and validates every field it uses.
 */
import { ScoutError } from '../../src/engine/errors.js';

export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface ReferenceTextConfig {
  /** Tensor name prefix: 'language_model.' for the conditional-generation layout, '' for text-only. */
  prefix: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  expertWidth: number;
  denseWidth: number;
  numExperts: number;
  topK: number;
  /** Per layer: true when the FFN is MoE, false for the dense MLP. */
  moeLayers: boolean[];
  /** Per layer: true for RoPE (chunked attention), false for NoPE (global attention). */
  ropeLayers: boolean[];
  attentionChunkSize: number;
  temperatureTuning: boolean;
  floorScale: number;
  attnScale: number;
  useQkNorm: boolean;
  rmsNormEps: number;
  ropeTheta: number;
  /** null: plain RoPE frequencies. */
  ropeScaling: Llama3RopeScaling | null;
  tieWordEmbeddings: boolean;
}

function configError(message: string): never {
  throw new ScoutError('config', `config.json: ${message}`);
}

function positiveInt(obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    configError(`${key} must be a positive integer`);
  return v;
}

function positiveNumber(obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) configError(`${key} must be a positive number`);
  return v;
}

function finiteNumber(obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) configError(`${key} must be a finite number`);
  return v;
}

function flag(obj: Record<string, unknown>, key: string): boolean {
  const v = obj[key];
  // The released config stores attn_temperature_tuning as the integer 4; Hugging Face tests truthiness.
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v !== 0;
  configError(`${key} must be a boolean`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseRopeScaling(v: unknown): Llama3RopeScaling | null {
  if (v === null || v === undefined) return null;
  if (!isObject(v)) configError('rope_scaling must be an object or null');
  const type = v.rope_type ?? v.type;
  if (type !== 'llama3')
    configError(`rope_scaling type ${JSON.stringify(type)} is not supported (only llama3)`);
  const scaling = {
    factor: positiveNumber(v, 'factor'),
    lowFreqFactor: positiveNumber(v, 'low_freq_factor'),
    highFreqFactor: positiveNumber(v, 'high_freq_factor'),
    originalMaxPositionEmbeddings: positiveNumber(v, 'original_max_position_embeddings'),
  };
  if (scaling.highFreqFactor < scaling.lowFreqFactor)
    configError('rope_scaling high_freq_factor < low_freq_factor');
  return scaling;
}

/** Per-layer 0/1 list from the config, or Hugging Face's default pattern when absent. */
function parseLayerFlags(
  v: unknown,
  key: string,
  numLayers: number,
  fallback: (i: number) => boolean,
): boolean[] {
  if (v === undefined || v === null) return Array.from({ length: numLayers }, (_, i) => fallback(i));
  if (
    !Array.isArray(v) ||
    v.length !== numLayers ||
    !v.every((x) => x === 0 || x === 1 || typeof x === 'boolean')
  ) {
    configError(`${key} must list 0 or 1 for each of the ${numLayers} layers`);
  }
  return v.map((x) => x === 1 || x === true);
}

/** Parses a `config.json` object of either layout into the fields the reference needs. */
export function parseLlama4TextConfig(config: unknown): ReferenceTextConfig {
  if (!isObject(config)) configError('not a JSON object');
  const conditional = isObject(config.text_config);
  const text = conditional ? (config.text_config as Record<string, unknown>) : config;
  const architectures = config.architectures;
  const expected = conditional ? 'Llama4ForConditionalGeneration' : 'Llama4ForCausalLM';
  if (!Array.isArray(architectures) || !architectures.includes(expected)) {
    configError(`architectures must include ${expected}`);
  }

  const numLayers = positiveInt(text, 'num_hidden_layers');
  const numHeads = positiveInt(text, 'num_attention_heads');
  const numKvHeads = positiveInt(text, 'num_key_value_heads');
  if (numHeads % numKvHeads !== 0)
    configError('num_attention_heads must be a multiple of num_key_value_heads');
  const headDim = positiveInt(text, 'head_dim');
  if (headDim % 2 !== 0) configError('head_dim must be even for RoPE pairs');
  const numExperts = positiveInt(text, 'num_local_experts');
  const topK = positiveInt(text, 'num_experts_per_tok');
  if (topK > numExperts) configError('num_experts_per_tok exceeds num_local_experts');

  // Hugging Face: moe_layers defaults to range(step - 1, L, step); no_rope_layers to (i+1) % 4 != 0.
  const step = positiveInt(text, 'interleave_moe_layer_step');
  let moeLayers = Array.from({ length: numLayers }, (_, i) => i % step === step - 1);
  if (text.moe_layers !== undefined && text.moe_layers !== null) {
    const list = text.moe_layers;
    if (!Array.isArray(list) || !list.every((i) => Number.isInteger(i) && i >= 0 && i < numLayers)) {
      configError('moe_layers must list layer indices');
    }
    moeLayers = moeLayers.map((_, i) => list.includes(i));
  }
  const ropeLayers = parseLayerFlags(
    text.no_rope_layers,
    'no_rope_layers',
    numLayers,
    (i) => (i + 1) % 4 !== 0,
  );

  const tie = text.tie_word_embeddings ?? config.tie_word_embeddings ?? false;
  if (typeof tie !== 'boolean') configError('tie_word_embeddings must be a boolean');

  return {
    prefix: conditional ? 'language_model.' : '',
    vocabSize: positiveInt(text, 'vocab_size'),
    hiddenSize: positiveInt(text, 'hidden_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    expertWidth: positiveInt(text, 'intermediate_size'),
    denseWidth: moeLayers.every(Boolean) ? 0 : positiveInt(text, 'intermediate_size_mlp'),
    numExperts,
    topK,
    moeLayers,
    ropeLayers,
    attentionChunkSize: positiveInt(text, 'attention_chunk_size'),
    temperatureTuning: flag(text, 'attn_temperature_tuning'),
    floorScale: positiveNumber(text, 'floor_scale'),
    attnScale: finiteNumber(text, 'attn_scale'),
    useQkNorm: flag(text, 'use_qk_norm'),
    rmsNormEps: positiveNumber(text, 'rms_norm_eps'),
    ropeTheta: positiveNumber(text, 'rope_theta'),
    ropeScaling: parseRopeScaling(text.rope_scaling),
    tieWordEmbeddings: tie,
  };
}

export type RopeBranch = 'kept' | 'smoothed' | 'divided';

/**
 * The RoPE inverse frequencies ω_j, j = 0..headDim/2-1, and which llama3 branch produced each
 * (llama4.md §2.3, Hugging Face's llama3 rule): wavelengths shorter than original/high_freq_factor
 * are kept, longer than original/low_freq_factor are divided by `factor`, and those in between are
 * interpolated. The band is empty when low == high; it is then never evaluated (its formula would
 * divide by zero), so a wavelength exactly on the single edge is kept.
 */
export function ropeFrequencies(config: Pick<ReferenceTextConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): {
  omega: Float64Array;
  branch: RopeBranch[];
} {
  const pairs = config.headDim / 2;
  const omega = new Float64Array(pairs);
  const branch: RopeBranch[] = [];
  const s = config.ropeScaling;
  for (let j = 0; j < pairs; j++) {
    const base = Math.pow(config.ropeTheta, (-2 * j) / config.headDim);
    if (s === null) {
      omega[j] = base;
      branch.push('kept');
      continue;
    }
    const wavelength = (2 * Math.PI) / base;
    const shortEdge = s.originalMaxPositionEmbeddings / s.highFreqFactor;
    const longEdge = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
    if (wavelength < shortEdge || (wavelength === shortEdge && s.lowFreqFactor === s.highFreqFactor)) {
      omega[j] = base;
      branch.push('kept');
    } else if (wavelength > longEdge) {
      omega[j] = base / s.factor;
      branch.push('divided');
    } else {
      const smooth =
        (s.originalMaxPositionEmbeddings / wavelength - s.lowFreqFactor) /
        (s.highFreqFactor - s.lowFreqFactor);
      omega[j] = (1 - smooth) * (base / s.factor) + smooth * base;
      branch.push('smoothed');
    }
  }
  return { omega, branch };
}

/** NoPE-layer query scale at absolute position p: 1 + attn_scale · ln(1 + floor((p + 1) / floor_scale)). */
export function attentionTemperature(p: number, floorScale: number, attnScale: number): number {
  return 1 + attnScale * Math.log(1 + Math.floor((p + 1) / floorScale));
}

/**
 * Whether the query at `queryPos` may attend to the key at `keyPos`: causal everywhere, and on RoPE
 * layers also inside the same chunk, chunks aligned to position 0 (not a sliding window).
 */
export function keyVisible(queryPos: number, keyPos: number, ropeLayer: boolean, chunkSize: number): boolean {
  if (keyPos > queryPos) return false;
  return !ropeLayer || Math.floor(keyPos / chunkSize) === Math.floor(queryPos / chunkSize);
}
