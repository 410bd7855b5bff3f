/**
 * The built-in engine as a `Backend`: Scout's own Llama 4 model, its tokenizer and chat format, and the
 * prompt cache that makes a second question about the same repository skip the shared prefill.
 *
 * A request: format → tokens → take the cached sequence with the longest common prefix → evaluate the
 * rest → sample, decoding incrementally and watching stop sequences → return the sequence to the cache
 * with exactly the tokens its KV cache holds.
 */
import { basename } from 'node:path';
import type {
  Backend,
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  GenerationParams,
  GenerationResult,
  ModelInfo,
} from '../backend.js';
import { isScoutError, ScoutError } from '../errors.js';
import { type StopReason, TextModel, type TextSequence, type WeightFormat } from '../native/engine.js';
import { formatLlama4Chat } from '../prompt/index.js';
import type { ChatMessage as PromptMessage } from '../prompt/index.js';
import type { BpeTokenizer } from '../tokenizer/bpe.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { ComputeQueue, type Priority, type QueueStats } from './compute-queue.js';
import { PromptCache, type PromptCacheStats } from './prompt-cache.js';
import { VisionEncoder } from '../native/vision.js';
import { nativeImageChat } from '../vision/chat.js';
import { KvStore } from './kv-store.js';
import { StopTextFilter } from './stop-text.js';

export interface NativeBackendOptions {
  model: string;
  weights?: WeightFormat;
  threads?: number;
  /** Positions each sequence holds (prompt + answer). Default: min(model maximum, 32768). */
  contextSize?: number;
  /** KV bytes idle cached prefixes may hold. Default 4 GiB. */
  cacheBytes?: number;
  /** Where long prefixes' KV caches persist across processes; false: nowhere. Default: the user's cache folder. */
  kvStore?: KvStore | false;
  signal?: AbortSignal;
  onProgress?: (message: string, done?: number, total?: number) => void;
}

/** Context a model loads with unless told otherwise (capped by the model's own maximum). */
export const DEFAULT_CONTEXT = 32_768;
const DEFAULT_MAX_TOKENS = 1024;
const COMPLETION_MAX_TOKENS = 128;
/** Prefill pieces: small enough for progress and cancellation to stay responsive, big enough for GEMMs. */
const PREFILL_PIECE = 256;
/** Tokens a background request decodes before letting a waiting completion in. */
const DECODE_SLICE = 8;
/** Recent tokens the repetition penalty sees across slices (the engine's window is 64). */
const PENALTY_HISTORY = 256;
/** System turns at least this long (a packed repository) persist their KV cache on disk. */
const MIN_PERSISTED_PREFIX = 128;

/** Instruction prompt for fill-in-the-middle completions (Llama 4's FIM tokens have no documented use). */
const FILL_SYSTEM =
  'You complete code. Reply with only the code that belongs at <CURSOR>: no explanation, no code fences, ' +
  'nothing that is already before or after the cursor.';

/** Text-only messages for the chat formatter (messages with images take the vision path). */
function toPromptMessages(messages: readonly ChatMessage[]): PromptMessage[] {
  return messages.map((m) => {
    if (typeof m.content === 'string') return { role: m.role, content: m.content };
    return {
      role: m.role,
      content: m.content.map((p) => ({ type: 'text' as const, text: p.type === 'text' ? p.text : '' })),
    };
  });
}

function hasImages(messages: readonly ChatMessage[]): boolean {
  return messages.some((m) => typeof m.content !== 'string' && m.content.some((p) => p.type === 'image'));
}

/** The tokens before the `pendingLength` about to be evaluated, as far back as the penalty looks. */
function penaltyHistory(
  prompt: readonly number[],
  generated: readonly number[],
  pendingLength: number,
): number[] {
  const all = [...prompt, ...generated];
  const end = all.length - pendingLength;
  return all.slice(Math.max(0, end - PENALTY_HISTORY), end);
}

export class NativeBackend implements Backend {
  readonly kind = 'native' as const;
  private readonly queue = new ComputeQueue();
  private readonly cache: PromptCache;
  private vision: Promise<VisionEncoder> | undefined;

  constructor(
    readonly model: TextModel,
    readonly tokenizer: BpeTokenizer,
    readonly contextSize: number,
    cacheBytes: number,
    private readonly kvStore?: KvStore,
    private readonly weights: WeightFormat = 'f32',
  ) {
    this.cache = new PromptCache(model, { capacity: contextSize, maxBytes: cacheBytes, maxEntries: 8 });
  }

  async listModels(): Promise<ModelInfo[]> {
    return [{ id: basename(this.model.dir), source: this.model.dir, contextLength: this.contextSize }];
  }

  async chat(
    request: ChatRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    if (hasImages(request.messages)) return this.chatWithImages(request, onDelta, signal);
    const messages = toPromptMessages(request.messages);
    const ids = formatLlama4Chat(this.tokenizer, messages).ids;
    return this.run(
      ids,
      request.params ?? {},
      onDelta,
      'background',
      signal,
      undefined,
      this.systemPrefix(messages, ids),
    );
  }

  async complete(
    request: CompletionRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    const params: GenerationParams = { maxTokens: COMPLETION_MAX_TOKENS, ...request.params };
    let ids: number[];
    if (request.suffix === undefined) {
      ids = [this.model.config.bosTokenId, ...this.tokenizer.encode(request.prompt)];
    } else if (request.style === 'fim') {
      // Prefix-suffix-middle order with Llama 4's reserved FIM tokens; the model writes the middle.
      const t = this.tokenizer;
      ids = [
        this.model.config.bosTokenId,
        t.specialTokenId('<|fim_prefix|>'),
        ...t.encode(request.prompt),
        t.specialTokenId('<|fim_suffix|>'),
        ...t.encode(request.suffix),
        t.specialTokenId('<|fim_middle|>'),
      ];
    } else {
      const user = `${request.prompt}<CURSOR>${request.suffix}`;
      ids = formatLlama4Chat(this.tokenizer, [
        { role: 'system', content: FILL_SYSTEM },
        { role: 'user', content: user },
      ]).ids;
    }
    return this.run(ids, params, onDelta, 'interactive', signal, 'completion');
  }

  /**
   * Evaluates the prompt prefix that `system` makes (begin-of-text, the system turn) into the prompt
   * cache ahead of any question, so the first question about a freshly packed repository pays only
   * for its own tokens. Runs at background priority in pieces, reporting progress after each.
   */
  async prefill(
    system: string,
    onProgress: (done: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<{ tokens: number; reused: number }> {
    const ids = formatLlama4Chat(this.tokenizer, [{ role: 'system', content: system }], {
      addGenerationPrompt: false,
    }).ids;
    if (ids.length >= this.contextSize)
      throw new ScoutError(
        'invalid_argument',
        `the prefix has ${ids.length} tokens but the context holds ${this.contextSize}`,
      );
    return this.queue.run(
      async () => {
        const lease = this.cache.acquire([...ids, -1]); // never "all reused": the prefix itself is the target
        let done = lease.reused;
        try {
          if (done < ids.length && this.kvStore && ids.length >= MIN_PERSISTED_PREFIX) {
            lease.seq.truncate(0);
            done = (await this.kvStore.restore(lease.seq, ids)) ? ids.length : 0;
          }
          onProgress(done, ids.length);
          const fromDisk = done === ids.length && lease.reused < ids.length;
          while (done < ids.length) {
            const piece = ids.slice(done, done + PREFILL_PIECE);
            await lease.seq.eval(piece, 'none', signal);
            done += piece.length;
            onProgress(done, ids.length);
            await this.queue.checkpoint();
          }
          if (!fromDisk && lease.reused < ids.length && ids.length >= MIN_PERSISTED_PREFIX)
            await this.kvStore?.store(lease.seq, ids);
          return { tokens: ids.length, reused: lease.reused };
        } finally {
          this.cache.release(lease, ids.slice(0, lease.seq.position));
        }
      },
      { priority: 'background', ...(signal ? { signal } : {}) },
    );
  }

  /**
   * A chat whose messages hold images: through the vision encoder (loaded on first use), into a
   * sequence of its own. It bypasses the prompt cache, whose entries are keyed by token ids alone
   * and two different images give the same ids.
   */
  private async chatWithImages(
    request: ChatRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    this.vision ??= VisionEncoder.load(this.model.dir, { weights: this.weights }).catch((e: unknown) => {
      this.vision = undefined;
      const why = e instanceof Error ? e.message : String(e);
      throw new ScoutError(
        'image',
        `this model cannot read images (${why}): use a Llama 4 checkpoint with its vision tower`,
      );
    });
    const vision = await this.vision;
    return this.queue.run(
      () => nativeImageChat(this.model, vision, this.tokenizer).chat(request, onDelta, signal),
      {
        priority: 'background',
        ...(signal ? { signal } : {}),
      },
    );
  }

  /**
   * Evaluates tokens[from..] into `seq` in pieces, letting waiting completions in between;
   * returns the new position.
   */
  private async evalPieces(
    seq: TextSequence,
    tokens: readonly number[],
    from: number,
    signal: AbortSignal,
  ): Promise<number> {
    let position = from;
    while (position < tokens.length) {
      const piece = tokens.slice(position, position + PREFILL_PIECE);
      await seq.eval(piece, 'none', signal);
      position += piece.length;
      await this.queue.checkpoint();
    }
    return position;
  }

  /** The length of the system turn's token prefix when it is long enough to persist on disk, else 0. */
  private systemPrefix(messages: readonly PromptMessage[], ids: readonly number[]): number {
    if (!this.kvStore || messages[0]?.role !== 'system' || messages.length < 2) return 0;
    const prefix = formatLlama4Chat(this.tokenizer, [messages[0]], { addGenerationPrompt: false }).ids;
    const isPrefix = prefix.length < ids.length && prefix.every((id, i) => ids[i] === id);
    return isPrefix && prefix.length >= MIN_PERSISTED_PREFIX ? prefix.length : 0;
  }

  cacheStats(): PromptCacheStats {
    return this.cache.stats();
  }

  queueStats(): QueueStats {
    return this.queue.stats();
  }

  async dispose(): Promise<void> {
    this.cache.clear();
    this.model.dispose();
  }

  private async run(
    ids: number[],
    params: GenerationParams,
    onDelta: (text: string) => void,
    priority: Priority,
    signal?: AbortSignal,
    replaceKey?: string,
    persist = 0,
  ): Promise<GenerationResult> {
    const maxTokens = params.maxTokens ?? DEFAULT_MAX_TOKENS;
    if (!Number.isSafeInteger(maxTokens) || maxTokens < 1)
      throw new ScoutError('invalid_argument', `maxTokens must be a positive integer, got ${maxTokens}`);
    if (ids.length >= this.contextSize)
      throw new ScoutError(
        'invalid_argument',
        `the prompt has ${ids.length} tokens but the context holds ${this.contextSize}: ask about less, or load with a larger context`,
      );
    const budget = Math.min(maxTokens, this.contextSize - ids.length);
    return this.queue.run(() => this.generate(ids, params, budget, onDelta, priority, signal, persist), {
      priority,
      ...(replaceKey ? { replaceKey } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  private async generate(
    ids: number[],
    params: GenerationParams,
    maxTokens: number,
    onDelta: (text: string) => void,
    priority: Priority,
    signal?: AbortSignal,
    persist = 0,
  ): Promise<GenerationResult> {
    const started = performance.now();
    const lease = this.cache.acquire(ids);
    // Stop sequences end generation early: a local controller follows the caller's signal.
    const local = new AbortController();
    const follow = () => local.abort();
    signal?.addEventListener('abort', follow, { once: true });
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const filter = new StopTextFilter(params.stop ?? []);
    // End-of-turn and other special tokens (reserved slots included) are control, not answer text.
    const hidden = new Set([...this.model.config.eosTokenIds, ...this.tokenizer.specialTokens.values()]);
    // Background requests work in slices and let waiting completions in between (compute-queue.ts).
    const sliced = priority === 'background';
    const seed = params.seed ?? 0;
    let firstAt = 0;
    const generated: number[] = [];
    let discarded = false;
    let reused = lease.reused;
    try {
      let position = lease.reused;
      if (persist > position && this.kvStore) {
        // A long system prefix (a packed repository) comes from disk, or is evaluated and saved there.
        position = lease.seq.truncate(0);
        const prefix = ids.slice(0, persist);
        if (await this.kvStore.restore(lease.seq, prefix)) {
          position = reused = persist;
        } else {
          position = await this.evalPieces(lease.seq, prefix, position, local.signal);
          await this.kvStore.store(lease.seq, prefix);
        }
      }
      if (sliced) {
        // Prefill all but the last prompt token in pieces; the last one starts the decode loop.
        position = await this.evalPieces(lease.seq, ids.slice(0, ids.length - 1), position, local.signal);
      }
      let pending = ids.slice(position);
      let stopReason: StopReason = 'max_tokens';
      while (generated.length < maxTokens) {
        if (local.signal.aborted) {
          stopReason = 'cancelled';
          break;
        }
        const result = await lease.seq.generate(pending, {
          maxTokens: sliced ? Math.min(DECODE_SLICE, maxTokens - generated.length) : maxTokens,
          temperature: params.temperature ?? 0,
          topK: params.topK ?? 0,
          topP: params.topP ?? 1,
          minP: params.minP ?? 0,
          repetitionPenalty: params.repetitionPenalty ?? 1,
          // Each slice samples with its own deterministic stream, and the penalty sees earlier slices.
          seed: seed + generated.length,
          history: penaltyHistory(ids, generated, pending.length),
          signal: local.signal,
          onToken: (id) => {
            if (firstAt === 0) firstAt = performance.now();
            if (hidden.has(id) || filter.done) return;
            const text = filter.push(decoder.decode(this.tokenizer.bytesOf(id), { stream: true }));
            if (text) onDelta(text);
            if (filter.done) local.abort();
          },
        });
        generated.push(...result.tokens);
        stopReason = result.stopReason;
        if (stopReason !== 'max_tokens') break;
        pending = [result.tokens[result.tokens.length - 1]!];
        if (sliced) await this.queue.checkpoint();
      }
      const result = { stopReason };
      const tail = filter.push(decoder.decode()) + filter.flush();
      if (tail) onDelta(tail);
      const ended = performance.now();
      const finishReason =
        filter.done || result.stopReason === 'eos' || result.stopReason === 'stop_sequence'
          ? 'stop'
          : result.stopReason === 'cancelled'
            ? 'cancelled'
            : 'length';
      return {
        text: filter.text,
        finishReason,
        stats: {
          promptTokens: ids.length,
          reusedTokens: reused,
          completionTokens: generated.length,
          prefillMs: Math.round((firstAt || ended) - started),
          ttftMs: Math.round((firstAt || ended) - started),
          decodeTokS:
            generated.length > 1 && ended > firstAt
              ? ((generated.length - 1) * 1000) / (ended - firstAt)
              : null,
        },
      };
    } catch (e) {
      // A typed failure (cancellation, bad parameters) leaves the sequence at a known position, so
      // its cache stays useful; anything else means its state cannot be trusted.
      if (!isScoutError(e)) {
        discarded = true;
        this.cache.discard(lease);
      }
      throw e;
    } finally {
      signal?.removeEventListener('abort', follow);
      if (!discarded) {
        // The cache holds the prompt and every generated token but the last (sampled, never evaluated).
        this.cache.release(lease, [...ids, ...generated].slice(0, lease.seq.position));
      }
    }
  }
}

/** Loads the model and its tokenizer from a Hugging Face folder. */
export async function createNativeBackend(options: NativeBackendOptions): Promise<NativeBackend> {
  options.onProgress?.('loading the tokenizer');
  const tokenizer = await loadTokenizer(options.model);
  options.onProgress?.('loading the weights');
  const model = await TextModel.load(options.model, {
    weights: options.weights ?? 'f32',
    threads: options.threads ?? 0,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (done, total) => options.onProgress?.('loading the weights', done, total),
  });
  if (tokenizer.vocabSize > model.config.vocabSize) {
    model.dispose();
    throw new ScoutError(
      'model_mismatch',
      `the tokenizer has ${tokenizer.vocabSize} ids but the model's vocabulary is ${model.config.vocabSize}`,
    );
  }
  const contextSize = options.contextSize ?? Math.min(model.config.maxPositionEmbeddings, DEFAULT_CONTEXT);
  const kvStore =
    options.kvStore === false
      ? undefined
      : (options.kvStore ?? KvStore.forModel(options.model, options.weights ?? 'f32'));
  return new NativeBackend(
    model,
    tokenizer,
    contextSize,
    options.cacheBytes ?? 4 * 1024 ** 3,
    kvStore,
    options.weights ?? 'f32',
  );
}
