/**
 * The native engine as TypeScript objects: a loaded model and its sequences (each owns a KV cache).
 *
 * All heavy work runs off the JavaScript thread inside the addon. An AbortSignal becomes the addon's
 * cancel flag, which the engine checks between layers, so an abort takes effect within one layer.
 * Native failures arrive as ScoutErrors with the engine's codes.
 */
import { CancelledError, ScoutError } from '../errors.js';
import {
  fromNativeError,
  loadBinding,
  type LogitsMode,
  type NativeCancelFlag,
  type NativeGenerateParams,
  type NativeModel,
  type NativeSequence,
  type NativeTextConfig,
  type NativeWeights,
  type StopReason,
} from './binding.js';

export type { LogitsMode, NativeTextConfig as TextConfig, NativeWeights as WeightFormat, StopReason };

export interface LoadOptions {
  weights?: NativeWeights;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateOptions extends Omit<NativeGenerateParams, 'stopIds'> {
  /** Ids that end generation; defaults to the model's eos ids. */
  stopIds?: number[];
  onToken?: (id: number) => void;
  signal?: AbortSignal;
}

export interface GenerateResult {
  tokens: number[];
  stopReason: StopReason;
}

/** Runs `fn` with a native cancel flag that follows `signal`. */
async function withCancel<T>(
  signal: AbortSignal | undefined,
  fn: (flag: NativeCancelFlag) => Promise<T>,
): Promise<T> {
  const flag = new (loadBinding().CancelFlag)();
  if (signal?.aborted) throw new CancelledError();
  const onAbort = () => flag.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await fn(flag);
  } catch (e) {
    throw fromNativeError(e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function checkTokens(tokens: readonly number[] | Int32Array, vocabSize: number, what: string): Int32Array {
  if (tokens.length === 0) throw new ScoutError('invalid_argument', `${what} is empty`);
  for (const t of tokens) {
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize)
      throw new ScoutError(
        'invalid_argument',
        `${what} holds token id ${t}, outside the vocabulary [0, ${vocabSize})`,
      );
  }
  return tokens instanceof Int32Array ? tokens : Int32Array.from(tokens);
}

export class TextModel {
  private constructor(
    private native: NativeModel | undefined,
    readonly dir: string,
    readonly config: NativeTextConfig,
  ) {}

  static async load(dir: string, options: LoadOptions = {}): Promise<TextModel> {
    const binding = loadBinding();
    const native = await withCancel(options.signal, (flag) =>
      binding.Model.load(
        dir,
        { weights: options.weights ?? 'f32', threads: options.threads ?? 0 },
        flag,
        options.onProgress,
      ),
    );
    return new TextModel(native, dir, native.config());
  }

  get weightBytes(): number {
    return this.live().weightBytes;
  }

  /** A new empty sequence that can hold `maxTokens` positions. */
  newSequence(maxTokens: number): TextSequence {
    if (!Number.isSafeInteger(maxTokens) || maxTokens < 1)
      throw new ScoutError('invalid_argument', `maxTokens must be a positive integer, got ${maxTokens}`);
    try {
      return new TextSequence(this.live().newSequence(maxTokens), this.config);
    } catch (e) {
      throw fromNativeError(e);
    }
  }

  dispose(): void {
    this.native?.dispose();
    this.native = undefined;
  }

  private live(): NativeModel {
    if (!this.native) throw new ScoutError('invalid_argument', 'the model was disposed');
    return this.native;
  }
}

export class TextSequence {
  constructor(
    private readonly native: NativeSequence,
    private readonly config: NativeTextConfig,
  ) {}

  get position(): number {
    return this.native.position;
  }
  get capacity(): number {
    return this.native.capacity;
  }
  get kvBytes(): number {
    return this.native.kvBytes;
  }

  /** Appends tokens; returns logits per `mode` (rows of vocabSize floats), or null for 'none'. */
  async eval(
    tokens: readonly number[] | Int32Array,
    mode: LogitsMode,
    signal?: AbortSignal,
  ): Promise<Float32Array | null> {
    const ids = checkTokens(tokens, this.config.vocabSize, 'tokens');
    return withCancel(signal, (flag) => this.native.eval(ids, mode, flag));
  }

  /**
   * eval() with image features (llama4.md §4.6): row i of `imageRows` (hidden size floats each,
   * VisionEncoder.encode's output) becomes the embedding of the i-th `<|patch|>` token of `tokens`.
   */
  async evalWithImages(
    tokens: readonly number[] | Int32Array,
    imageRows: Float32Array,
    mode: LogitsMode,
    signal?: AbortSignal,
  ): Promise<Float32Array | null> {
    const ids = checkTokens(tokens, this.config.vocabSize, 'tokens');
    return withCancel(signal, (flag) => this.native.eval(ids, mode, flag, imageRows));
  }

  /**
   * Appends `prompt`, then samples until a stop. Tokens reach `onToken` in order, exactly once each,
   * before the promise resolves (the addon's streamed callbacks and its final result may arrive in
   * either order; the result is authoritative).
   */
  async generate(prompt: readonly number[] | Int32Array, options: GenerateOptions): Promise<GenerateResult> {
    const ids = checkTokens(prompt, this.config.vocabSize, 'prompt');
    const { onToken, signal, ...params } = options;
    const stopIds = params.stopIds ?? this.config.eosTokenIds;
    let delivered = 0;
    const deliver = (id: number, index: number) => {
      if (index !== delivered) return; // already delivered from the final result
      delivered++;
      onToken?.(id);
    };
    const result = await withCancel(signal, (flag) =>
      this.native.generate(ids, { ...params, stopIds }, deliver, flag),
    );
    for (let i = delivered; i < result.tokens.length; i++) deliver(result.tokens[i]!, i);
    return result;
  }

  /** Keeps positions < n where possible; returns how many were kept (see native/engine/model.hpp). */
  truncate(n: number): number {
    try {
      return this.native.truncate(n);
    } catch (e) {
      throw fromNativeError(e);
    }
  }

  /** Writes positions [0, position) of the KV cache to `path` (atomically), for a later `load`. */
  async save(path: string): Promise<void> {
    try {
      await this.native.save(path);
    } catch (e) {
      throw fromNativeError(e);
    }
  }

  /** Fills this empty sequence from a file written by `save` with the same model and weights. */
  async load(path: string): Promise<void> {
    try {
      await this.native.load(path);
    } catch (e) {
      throw fromNativeError(e);
    }
  }

  dispose(): void {
    this.native.dispose();
  }
}
