/**
 * A strict reader for Llama 4 `config.json` (llama4.md §1): the fields the memory plan and the
 * verifier need, each checked for type and range. A config that would make the arithmetic
 * meaningless (zero heads, heads not dividing, absurd sizes) is a `config` error, never a NaN plan.
 *
 * The checkpoint config overrides the Hugging Face class defaults, which are wrong for Scout
 * (llama4.md §1.1: bos=1, vision image_size 448…), so nothing here falls back to those defaults
 * except where the field is optional in every released checkpoint and its default is the released value.
 */
import { readFile } from 'node:fs/promises';
import { ScoutError } from '../errors.js';

export type WeightDtype = 'bfloat16' | 'float16' | 'float32';

export interface Llama4TextConfig {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  numExperts: number;
  expertsPerToken: number;
  /** Width of a routed (and the shared) expert's FFN. */
  intermediateSize: number;
  /** Width of the dense FFN of non-MoE layers (none in Scout). */
  intermediateSizeMlp: number;
  /** Layer indices with a MoE feed-forward; the others are dense. */
  moeLayers: number[];
  /** Per layer: true when the layer uses RoPE (and chunked attention), false for NoPE (global). */
  ropeLayers: boolean[];
  attentionChunkSize: number;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  dtype: WeightDtype;
}

export interface Llama4VisionConfig {
  hiddenSize: number;
  numLayers: number;
  intermediateSize: number;
  imageSize: number;
  patchSize: number;
  pixelShuffleRatio: number;
  projectorInputDim: number;
  projectorOutputDim: number;
  visionOutputDim: number;
}

export interface Llama4Config {
  architecture: string;
  text: Llama4TextConfig;
  /** Absent for a text-only checkpoint (Llama4ForCausalLM). */
  vision: Llama4VisionConfig | undefined;
}

const KNOWN_ARCHITECTURES = ['Llama4ForConditionalGeneration', 'Llama4ForCausalLM'];
const MAX_DIM = 1 << 20;
const MAX_LAYERS = 512;
const MAX_CONTEXT = 1 << 26;

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new ScoutError('config', message);
}

function object(v: unknown, where: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} must be an object`);
  return v as Json;
}

function int(o: Json, key: string, where: string, min: number, max: number, fallback?: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    fail(`${where}.${key} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

function parseDtype(v: unknown, where: string): WeightDtype {
  if (v === 'bfloat16' || v === 'float16' || v === 'float32') return v;
  fail(`${where} must be one of bfloat16, float16, float32, got ${JSON.stringify(v)}`);
}

function parseText(raw: Json, topDtype: unknown): Llama4TextConfig {
  const w = 'text_config';
  const hiddenSize = int(raw, 'hidden_size', w, 1, MAX_DIM);
  const numLayers = int(raw, 'num_hidden_layers', w, 1, MAX_LAYERS);
  const numHeads = int(raw, 'num_attention_heads', w, 1, 4096);
  const numKvHeads = int(raw, 'num_key_value_heads', w, 1, 4096);
  if (numHeads % numKvHeads !== 0)
    fail(`${w}.num_key_value_heads (${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  const headDim = int(raw, 'head_dim', w, 1, 4096, hiddenSize / numHeads);
  const numExperts = int(raw, 'num_local_experts', w, 1, 4096);
  const step = int(raw, 'interleave_moe_layer_step', w, 0, MAX_LAYERS, 1);
  const moeLayers = parseMoeLayers(raw['moe_layers'], numLayers, step);
  const ropeLayers = parseRopeLayers(raw['no_rope_layers'], numLayers);
  const tie = raw['tie_word_embeddings'] ?? false;
  if (typeof tie !== 'boolean') fail(`${w}.tie_word_embeddings must be a boolean`);
  return {
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: int(raw, 'vocab_size', w, 1, 1 << 24),
    numExperts,
    expertsPerToken: int(raw, 'num_experts_per_tok', w, 1, numExperts),
    intermediateSize: int(raw, 'intermediate_size', w, 1, MAX_DIM),
    intermediateSizeMlp: int(raw, 'intermediate_size_mlp', w, 1, MAX_DIM, 1),
    moeLayers,
    ropeLayers,
    attentionChunkSize: int(raw, 'attention_chunk_size', w, 1, MAX_CONTEXT),
    maxPositionEmbeddings: int(raw, 'max_position_embeddings', w, 1, MAX_CONTEXT),
    tieWordEmbeddings: tie,
    dtype: parseDtype(raw['torch_dtype'] ?? topDtype, `${w}.torch_dtype`),
  };
}

/** HF: `moe_layers` if given, else every `step`-th layer ending at step-1 (`range(step-1, L, step)`). */
function parseMoeLayers(v: unknown, numLayers: number, step: number): number[] {
  if (v === undefined || v === null) {
    if (step === 0) return [];
    const layers: number[] = [];
    for (let i = step - 1; i < numLayers; i += step) layers.push(i);
    return layers;
  }
  if (!Array.isArray(v) || v.some((i) => !Number.isSafeInteger(i) || i < 0 || i >= numLayers))
    fail(`text_config.moe_layers must be a list of layer indices below ${numLayers}`);
  return [...new Set(v as number[])].sort((a, b) => a - b);
}

/** `no_rope_layers[i]` is 1 when layer i USES RoPE (llama4.md §1.1); HF default `(i+1) % 4 != 0`. */
function parseRopeLayers(v: unknown, numLayers: number): boolean[] {
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0))
    return Array.from({ length: numLayers }, (_, i) => (i + 1) % 4 !== 0);
  if (!Array.isArray(v) || v.length !== numLayers || v.some((x) => x !== 0 && x !== 1))
    fail(`text_config.no_rope_layers must hold ${numLayers} values of 0 or 1`);
  return v.map((x) => x === 1);
}

function parseVision(raw: Json): Llama4VisionConfig {
  const w = 'vision_config';
  const ratio = raw['pixel_shuffle_ratio'];
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1))
    fail(`${w}.pixel_shuffle_ratio must be in (0, 1]`);
  const hiddenSize = int(raw, 'hidden_size', w, 1, MAX_DIM);
  const shuffled = hiddenSize / (ratio * ratio);
  if (!Number.isSafeInteger(shuffled)) fail(`${w}.hidden_size / pixel_shuffle_ratio² must be an integer`);
  const imageSize = int(raw, 'image_size', w, 1, 1 << 14);
  const patchSize = int(raw, 'patch_size', w, 1, imageSize);
  if (imageSize % patchSize !== 0)
    fail(`${w}.patch_size (${patchSize}) must divide image_size (${imageSize})`);
  return {
    hiddenSize,
    numLayers: int(raw, 'num_hidden_layers', w, 1, MAX_LAYERS),
    intermediateSize: int(raw, 'intermediate_size', w, 1, MAX_DIM),
    imageSize,
    patchSize,
    pixelShuffleRatio: ratio,
    projectorInputDim: int(raw, 'projector_input_dim', w, 1, MAX_DIM),
    projectorOutputDim: int(raw, 'projector_output_dim', w, 1, MAX_DIM),
    visionOutputDim: int(raw, 'vision_output_dim', w, 1, MAX_DIM),
  };
}

/** Parses the text of a config.json; throws ScoutError('config') with the offending field. */
export function parseLlama4Config(source: string): Llama4Config {
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (e) {
    throw new ScoutError('config', `config.json is not valid JSON: ${(e as Error).message}`);
  }
  const top = object(json, 'config.json');
  const archs = top['architectures'];
  const architecture = Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : undefined;
  if (!architecture || !KNOWN_ARCHITECTURES.includes(architecture))
    fail(`unsupported architecture ${JSON.stringify(archs)}; Scout runs ${KNOWN_ARCHITECTURES.join(' or ')}`);
  const expectedType = architecture === 'Llama4ForCausalLM' ? ['llama4_text', 'llama4'] : ['llama4'];
  if (!expectedType.includes(String(top['model_type'])))
    fail(`model_type ${JSON.stringify(top['model_type'])} does not match architecture ${architecture}`);
  if (architecture === 'Llama4ForCausalLM' && top['text_config'] === undefined)
    return { architecture, text: parseText(top, top['torch_dtype']), vision: undefined };
  const text = parseText(object(top['text_config'], 'text_config'), top['torch_dtype']);
  const vision =
    top['vision_config'] === undefined
      ? undefined
      : parseVision(object(top['vision_config'], 'vision_config'));
  if (architecture === 'Llama4ForConditionalGeneration' && !vision)
    fail('Llama4ForConditionalGeneration needs a vision_config');
  return { architecture, text, vision };
}

export async function readLlama4Config(path: string): Promise<Llama4Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScoutError(code === 'ENOENT' ? 'not_found' : 'io', `cannot read ${path}: ${code ?? String(e)}`);
  }
  if (text.length > 4 << 20)
    throw new ScoutError('config', `${path} is larger than 4 MiB; not a config.json`);
  return parseLlama4Config(text);
}
