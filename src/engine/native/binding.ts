/**
 * The raw surface of the native addon (native/addon), typed by hand, and the one place that loads it.
 * Everything else uses the wrappers in ./engine.ts, which own lifetimes and turn native errors into
 * ScoutErrors.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ScoutError, type ScoutErrorCode } from '../errors.js';

export interface NativeCancelFlag {
  cancel(): void;
  readonly cancelled: boolean;
}

export interface NativeTextConfig {
  architecture: string;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  vocabSize: number;
  numLocalExperts: number;
  numExpertsPerTok: number;
  attentionChunkSize: number;
  maxPositionEmbeddings: number;
  bosTokenId: number;
  /** The `<|patch|>` id that image features replace; -1 for a text-only model. */
  imageTokenIndex: number;
  eosTokenIds: number[];
}

/**
 * f32 and bf16 as loaded; int4_mixed (experts), int4 (all linear layers) and int4_int8_head (int4
 * plus an int8 lm_head) quantize on load.
 */
export const NATIVE_WEIGHTS = ['f32', 'bf16', 'int4_mixed', 'int4', 'int4_int8_head'] as const;
export type NativeWeights = (typeof NATIVE_WEIGHTS)[number];
export type LogitsMode = 'none' | 'last' | 'all';
export type StopReason = 'eos' | 'stop_sequence' | 'max_tokens' | 'context_full' | 'cancelled';

export interface NativeGenerateParams {
  maxTokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
  seed?: number;
  stopIds?: number[];
  stopSequences?: number[][];
  /** Tokens before the prompt that the repetition penalty still sees (for decoding in slices). */
  history?: number[];
}

export interface NativeSequence {
  readonly position: number;
  readonly capacity: number;
  readonly kvBytes: number;
  /** With imageRows, its rows (hidden size each) replace the embeddings at the image-token positions, in order. */
  eval(
    tokens: Int32Array,
    mode: LogitsMode,
    cancel?: NativeCancelFlag,
    imageRows?: Float32Array,
  ): Promise<Float32Array | null>;
  generate(
    prompt: Int32Array,
    params: NativeGenerateParams,
    onToken: (id: number, index: number) => void,
    cancel?: NativeCancelFlag,
  ): Promise<{ tokens: number[]; stopReason: StopReason }>;
  truncate(n: number): number;
  save(path: string): Promise<void>;
  load(path: string): Promise<void>;
  dispose(): void;
}

export interface NativeModel {
  config(): NativeTextConfig;
  readonly weightBytes: number;
  newSequence(maxTokens: number): NativeSequence;
  dispose(): void;
}

/** The vision tower's sizes (native/engine/vision_config.hpp). */
export interface NativeVisionConfig {
  imageSize: number;
  patchSize: number;
  numChannels: number;
  hiddenSize: number;
  numHiddenLayers: number;
  /** Feature rows per tile after the pixel shuffle (144 for Scout). */
  tokensPerTile: number;
  /** Width of each feature row: the text model's hidden size. */
  textHiddenSize: number;
}

export interface NativeVisionEncoder {
  config(): NativeVisionConfig;
  /** pixels: [tiles, 3, imageSize, imageSize]; resolves to [tiles·tokensPerTile, textHiddenSize]. */
  encode(pixels: Float32Array, tiles: number): Promise<Float32Array>;
  dispose(): void;
}

export interface NativeBinding {
  abiVersion: number;
  VisionEncoder: {
    load(dir: string, options: { weights?: 'f32' | 'bf16'; threads?: number }): Promise<NativeVisionEncoder>;
  };
  CancelFlag: new () => NativeCancelFlag;
  Model: {
    load(
      dir: string,
      options: { weights?: NativeWeights; threads?: number },
      cancel?: NativeCancelFlag,
      onProgress?: (done: number, total: number) => void,
    ): Promise<NativeModel>;
  };
}

const ABI_VERSION = 1;

/** Where the addon may be: SCOUT_ADDON, then the build folder relative to dist/ or to this source file. */
function candidates(): string[] {
  const rel = join('build', 'native', 'Release', 'scout_addon.node');
  const list = [
    process.env.SCOUT_ADDON,
    join(__dirname, '..', rel), // dist/cli.js, dist/sidecar.js
    join(__dirname, '..', '..', '..', rel), // src/engine/native/binding.ts (tests)
  ];
  return list.filter((p): p is string => Boolean(p));
}

let cached: NativeBinding | undefined;

export function loadBinding(): NativeBinding {
  if (cached) return cached;
  const tried = candidates();
  const path = tried.find((p) => existsSync(p));
  if (!path) {
    throw new ScoutError(
      'not_found',
      `the native engine is not built (looked in ${tried.join(', ')}); run \`npm ci\` or \`npm run build:native\``,
    );
  }
  // A dynamic require: the addon is never bundled.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binding = require(path) as NativeBinding;
  if (binding.abiVersion !== ABI_VERSION) {
    throw new ScoutError(
      'internal',
      `native engine at ${path} has ABI ${binding.abiVersion}, expected ${ABI_VERSION}; rebuild with \`npm run build:native\``,
    );
  }
  cached = binding;
  return binding;
}

const NATIVE_CODES = new Set<ScoutErrorCode>([
  'invalid_argument',
  'not_found',
  'io',
  'safetensors',
  'shard_index',
  'config',
  'model_mismatch',
  'out_of_memory',
  'cancelled',
  'internal',
]);

/** Turns an error thrown or rejected by the addon into a ScoutError with the engine's code. */
export function fromNativeError(e: unknown): unknown {
  if (e instanceof Error && !(e instanceof ScoutError)) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string' && NATIVE_CODES.has(code as ScoutErrorCode))
      return new ScoutError(code as ScoutErrorCode, e.message, { cause: e });
  }
  return e;
}
