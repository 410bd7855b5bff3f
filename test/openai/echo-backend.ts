/**
 * A deterministic `Backend` for the transport tests: it answers a chat with the words of the last
 * user message in reverse order (plus one word per image, naming its type and size), and a
 * completion with the prompt's words upper-cased, one word per delta. It honours max tokens
 * (counted in words), stop sequences and abort signals like a real backend, and records every call,
 * so assertions can check what crossed the wire in both directions. It is a test double for the
 * HTTP layer, not a model.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Backend,
  ChatRequest,
  CompletionRequest,
  GenerationParams,
  GenerationResult,
  ModelInfo,
} from '../../src/engine/backend.js';

export interface EchoCall {
  kind: 'chat' | 'complete';
  request: ChatRequest | CompletionRequest;
  aborted: boolean;
}

export interface EchoOptions {
  /** Wait before the first word (a slow prefill). */
  prefillMs?: number;
  /** Wait between words. */
  wordMs?: number;
  /** After this many words, stop producing and wait for the abort signal (a generation that never ends). */
  hangAfterWords?: number;
  /** Thrown after this many words (0 = before any output). */
  failAfterWords?: number;
  failure?: unknown;
}

export class EchoBackend implements Backend {
  readonly kind = 'native' as const;
  readonly calls: EchoCall[] = [];
  private abortWaiters: (() => void)[] = [];

  constructor(private readonly options: EchoOptions = {}) {}

  async listModels(): Promise<ModelInfo[]> {
    return [{ id: 'scout-echo', source: '/models/scout-echo', contextLength: 4096 }];
  }

  /** Resolves once some call has seen its signal abort. */
  whenAborted(): Promise<void> {
    if (this.calls.some((c) => c.aborted)) return Promise.resolve();
    return new Promise((resolve) => this.abortWaiters.push(resolve));
  }

  chat(
    request: ChatRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    const last = [...request.messages].reverse().find((m) => m.role === 'user');
    const parts =
      typeof last?.content === 'string'
        ? [{ type: 'text' as const, text: last.content }]
        : (last?.content ?? []);
    const words: string[] = [];
    for (const p of parts) {
      if (p.type === 'text') words.push(...p.text.split(/\s+/).filter(Boolean).reverse());
      else words.push(`[${p.mimeType}:${p.data.length}]`);
    }
    const promptWords = request.messages.reduce(
      (n, m) => n + (typeof m.content === 'string' ? m.content.split(/\s+/).length : m.content.length),
      0,
    );
    return this.produce(
      { kind: 'chat', request, aborted: false },
      words,
      promptWords,
      request.params,
      onDelta,
      signal,
    );
  }

  complete(
    request: CompletionRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    const words = request.prompt
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w.toUpperCase());
    if (request.suffix !== undefined) words.push(`<suffix:${request.suffix.length}>`);
    return this.produce(
      { kind: 'complete', request, aborted: false },
      words,
      words.length,
      request.params,
      onDelta,
      signal,
    );
  }

  private async produce(
    call: EchoCall,
    words: string[],
    promptTokens: number,
    params: GenerationParams | undefined,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    this.calls.push(call);
    signal?.addEventListener('abort', () => {
      call.aborted = true;
      for (const w of this.abortWaiters.splice(0)) w();
    });
    const started = performance.now();
    let text = '';
    let emitted = 0;
    let finishReason: GenerationResult['finishReason'] = 'stop';
    if (this.options.prefillMs) await sleep(this.options.prefillMs);
    for (const word of words) {
      if (emitted === this.options.failAfterWords) throw this.options.failure;
      if (emitted === this.options.hangAfterWords && !signal?.aborted)
        await new Promise((r) => signal?.addEventListener('abort', r));
      if (signal?.aborted) {
        finishReason = 'cancelled';
        break;
      }
      if (params?.maxTokens !== undefined && emitted >= params.maxTokens) {
        finishReason = 'length';
        break;
      }
      const piece = (emitted > 0 ? ' ' : '') + word;
      const candidate = text + piece;
      const stopAt = Math.min(...(params?.stop ?? []).map((s) => candidate.indexOf(s)).filter((i) => i >= 0));
      if (Number.isFinite(stopAt)) {
        if (stopAt > text.length) onDelta(candidate.slice(text.length, stopAt));
        text = candidate.slice(0, stopAt);
        break;
      }
      text = candidate;
      emitted++;
      onDelta(piece);
      await sleep(this.options.wordMs ?? 1);
    }
    if (emitted === this.options.failAfterWords) throw this.options.failure;
    const ms = performance.now() - started;
    return {
      text,
      finishReason,
      stats: {
        promptTokens,
        reusedTokens: 2,
        completionTokens: emitted,
        prefillMs: 1,
        ttftMs: 1,
        decodeTokS: emitted / (ms / 1000),
      },
    };
  }
}
