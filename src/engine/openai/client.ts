/**
 * `OpenAIBackend`: any OpenAI-compatible server (vLLM, SGLang, llama.cpp's server, Ollama, or
 * another `scout serve`) as a `Backend`, so every feature works with a model too big for one GPU.
 *
 * Requests always stream: deltas reach the caller as they arrive, and an abort stops the transfer
 * (which makes vLLM and llama.cpp stop generating). Two clocks guard against a server that hangs:
 * one for the response headers, one for silence inside the stream. Servers disagree in small ways,
 * and the parser accepts all of the recorded formats: role-only and empty deltas, usage in the
 * finish chunk (llama.cpp) or in a chunk of its own (vLLM), llama.cpp's `timings`, and errors as an
 * HTTP status or as an event in the middle of a stream.
 */
import type {
  Backend,
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  FinishReason,
  GenerationParams,
  GenerationResult,
  ModelInfo,
} from '../backend.js';
import { CancelledError, ScoutError } from '../errors.js';
import { encodeImageDataUrl } from './images.js';
import { readSse } from './sse.js';
import { codeForStatus, parseErrorBody, parseErrorValue, remoteError } from './wire-errors.js';

export interface OpenAIBackendOptions {
  /** Base URL: `http://host:8000/v1`; a bare `http://host:8000` means its `/v1`. */
  endpoint: string;
  apiKey?: string;
  /** Model name sent when a request names none; default: the first one the server lists. */
  model?: string;
  /** Longest wait for response headers; default 2 minutes (a busy server queues requests). */
  responseTimeoutMs?: number;
  /** Longest silence inside a stream; default 10 minutes (a long remote prefill sends nothing). */
  idleTimeoutMs?: number;
}

/** Error bodies are read for their message only; a server cannot make Scout buffer more. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;

export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ScoutError('invalid_argument', `endpoint '${endpoint.slice(0, 200)}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ScoutError(
      'invalid_argument',
      `endpoint must be an http:// or https:// URL, got ${url.protocol}`,
    );
  if (url.username || url.password)
    throw new ScoutError(
      'invalid_argument',
      'endpoint must not contain credentials; pass the API key separately',
    );
  if (url.search || url.hash)
    throw new ScoutError('invalid_argument', 'endpoint must not have a query or fragment');
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path === '' ? '/v1' : path}`;
}

/** Aborts a request when the server stays silent too long; re-armed by every chunk. */
class Watchdog {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  expired: string | undefined;

  arm(ms: number, what: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = `${what} within ${ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`;
      this.controller.abort();
    }, ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

interface WireChoice {
  delta?: { content?: unknown };
  message?: { content?: unknown };
  text?: unknown;
  finish_reason?: unknown;
}

interface WireChunk {
  choices?: WireChoice[];
  usage?: {
    prompt_tokens?: unknown;
    completion_tokens?: unknown;
    prompt_tokens_details?: { cached_tokens?: unknown } | null;
  } | null;
  /** llama.cpp's own measurements. */
  timings?: {
    prompt_n?: unknown;
    prompt_ms?: unknown;
    predicted_n?: unknown;
    predicted_per_second?: unknown;
    cache_n?: unknown;
  };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

export class OpenAIBackend implements Backend {
  readonly kind = 'remote' as const;
  readonly endpoint: string;
  private readonly apiKey: string | undefined;
  private readonly responseTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private model: string | undefined;

  constructor(options: OpenAIBackendOptions) {
    this.endpoint = normalizeEndpoint(options.endpoint);
    if (options.apiKey !== undefined && (options.apiKey === '' || /[\r\n]/.test(options.apiKey)))
      throw new ScoutError('invalid_argument', 'API key must be non-empty and on one line');
    this.apiKey = options.apiKey;
    this.model = options.model;
    this.responseTimeoutMs = options.responseTimeoutMs ?? 120_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const watchdog = new Watchdog();
    try {
      const response = await this.send('GET', '/models', undefined, watchdog, signal);
      watchdog.arm(this.idleTimeoutMs, 'the model list did not arrive');
      const body = parseJson(await readCapped(response, MAX_JSON_BODY_BYTES), this.endpoint) as {
        data?: unknown;
      };
      if (!Array.isArray(body?.data)) throw this.protocolError("the model list has no 'data' array");
      return body.data.map((m: { id?: unknown; max_model_len?: unknown }) => {
        if (typeof m?.id !== 'string') throw this.protocolError('a listed model has no id');
        const info: ModelInfo = { id: m.id, source: this.endpoint };
        const context = num(m.max_model_len);
        if (context !== undefined) info.contextLength = context;
        return info;
      });
    } catch (e) {
      throw this.failure(e, watchdog, signal);
    } finally {
      watchdog.stop();
    }
  }

  async chat(
    request: ChatRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    const body = {
      model: await this.modelFor(request.model, signal),
      messages: request.messages.map(wireMessage),
      ...wireParams(request.params),
    };
    return this.generate(
      '/chat/completions',
      body,
      (c) => c.delta?.content ?? c.message?.content,
      onDelta,
      signal,
    );
  }

  async complete(
    request: CompletionRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    const body = {
      model: await this.modelFor(request.model, signal),
      prompt: request.prompt,
      ...(request.suffix !== undefined ? { suffix: request.suffix } : {}),
      ...wireParams(request.params),
    };
    return this.generate('/completions', body, (c) => c.text, onDelta, signal);
  }

  private async modelFor(requested: string | undefined, signal?: AbortSignal): Promise<string> {
    if (requested !== undefined) return requested;
    if (this.model === undefined) {
      const first = (await this.listModels(signal))[0];
      if (!first) throw new ScoutError('not_found', `${this.endpoint} lists no models`);
      this.model = first.id;
    }
    return this.model;
  }

  /** Streams one generation; `pick` finds the text in a choice (chat delta or completion text). */
  private async generate(
    path: string,
    body: object,
    pick: (choice: WireChoice) => unknown,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult> {
    const watchdog = new Watchdog();
    const started = performance.now();
    let firstAt: number | undefined;
    let text = '';
    let pieces = 0;
    let finish: unknown;
    let done = false;
    let usage: WireChunk['usage'];
    let timings: WireChunk['timings'];
    const take = (chunk: WireChunk) => {
      const choice = chunk.choices?.[0];
      const piece = choice ? pick(choice) : undefined;
      if (typeof piece === 'string' && piece.length > 0) {
        firstAt ??= performance.now();
        text += piece;
        pieces++;
        onDelta(piece);
      }
      if (typeof choice?.finish_reason === 'string') finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
      if (chunk.timings) timings = chunk.timings;
    };
    try {
      const request = { ...body, stream: true, stream_options: { include_usage: true } };
      const response = await this.send('POST', path, request, watchdog, signal);
      watchdog.arm(this.idleTimeoutMs, 'the server sent nothing');
      if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
        // A server that ignored `stream: true` answers with one JSON object.
        take(parseJson(await readCapped(response, MAX_JSON_BODY_BYTES), this.endpoint) as WireChunk);
        done = true;
      } else {
        if (!response.body) throw this.protocolError('the event stream has no body');
        for await (const event of readSse(response.body)) {
          watchdog.arm(this.idleTimeoutMs, 'the server sent nothing');
          if (event.data === '[DONE]') {
            done = true;
            break;
          }
          const value = parseJson(event.data, this.endpoint);
          const error =
            event.event === 'error' ? (parseErrorValue(value) ?? { message: 'no message' }) : undefined;
          const inner = error ?? (isErrorChunk(value) ? parseErrorValue(value) : undefined);
          if (inner) {
            const status = inner.status ?? 500;
            throw new ScoutError(
              codeForStatus(status),
              `${this.endpoint} failed mid-stream: ${inner.message}`,
            );
          }
          take(value as WireChunk);
        }
      }
      if (!done && finish === undefined)
        throw this.protocolError('the stream ended before the server said the generation finished');
    } catch (e) {
      if (signal?.aborted) {
        // The caller stopped it. As with the native engine, text that already arrived is the answer.
        if (pieces === 0) throw new CancelledError();
        return this.result(text, 'cancelled', pieces, started, firstAt, usage, timings);
      }
      throw this.failure(e, watchdog, signal);
    } finally {
      watchdog.stop();
    }
    return this.result(
      text,
      finish === 'length' ? 'length' : 'stop',
      pieces,
      started,
      firstAt,
      usage,
      timings,
    );
  }

  private result(
    text: string,
    finishReason: FinishReason,
    pieces: number,
    started: number,
    firstAt: number | undefined,
    usage: WireChunk['usage'],
    timings: WireChunk['timings'],
  ): GenerationResult {
    const ended = performance.now();
    const ttftMs = (firstAt ?? ended) - started;
    // Servers that report no usage: each streamed piece is one token for vLLM and llama.cpp.
    const completionTokens = num(usage?.completion_tokens) ?? num(timings?.predicted_n) ?? pieces;
    const decodeSeconds = (ended - (firstAt ?? ended)) / 1000;
    const measured =
      completionTokens > 1 && decodeSeconds > 0 ? (completionTokens - 1) / decodeSeconds : null;
    return {
      text,
      finishReason,
      stats: {
        promptTokens: num(usage?.prompt_tokens) ?? num(timings?.prompt_n) ?? 0,
        reusedTokens: num(usage?.prompt_tokens_details?.cached_tokens) ?? num(timings?.cache_n) ?? 0,
        completionTokens,
        prefillMs: num(timings?.prompt_ms) ?? ttftMs,
        ttftMs,
        decodeTokS: num(timings?.predicted_per_second) ?? measured,
      },
    };
  }

  /** Sends a request and returns the response once its headers arrived with a 2xx status. */
  private async send(
    method: 'GET' | 'POST',
    path: string,
    body: object | undefined,
    watchdog: Watchdog,
    signal?: AbortSignal,
  ): Promise<Response> {
    if (signal?.aborted) throw new CancelledError();
    const headers: Record<string, string> = {
      Accept: body ? 'text/event-stream, application/json' : 'application/json',
    };
    if (body) headers['Content-Type'] = 'application/json';
    if (this.apiKey !== undefined) headers.Authorization = `Bearer ${this.apiKey}`;
    watchdog.arm(this.responseTimeoutMs, 'the server did not answer');
    const response = await fetch(`${this.endpoint}${path}`, {
      method,
      headers,
      body: body ? JSON.stringify(body) : undefined,
      signal: signal ? AbortSignal.any([signal, watchdog.controller.signal]) : watchdog.controller.signal,
    });
    if (!response.ok) {
      const text = await readCapped(response, MAX_ERROR_BODY_BYTES);
      throw remoteError(this.endpoint, response.status, parseErrorBody(text));
    }
    return response;
  }

  /** Turns whatever went wrong into the ScoutError the caller should see. */
  private failure(e: unknown, watchdog: Watchdog, signal?: AbortSignal): ScoutError {
    if (signal?.aborted) return new CancelledError();
    if (watchdog.expired)
      return new ScoutError('network', `${this.endpoint}: ${watchdog.expired}`, { cause: e });
    if (e instanceof ScoutError) return e;
    const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    const detail =
      typeof cause?.code === 'string' ? cause.code : String(cause?.message ?? (e as Error)?.message ?? e);
    return new ScoutError('network', `cannot talk to ${this.endpoint}: ${detail}`, { cause: e });
  }

  private protocolError(what: string): ScoutError {
    return new ScoutError('protocol', `${this.endpoint}: ${what}`);
  }
}

function isErrorChunk(value: unknown): boolean {
  const v = value as { error?: unknown; object?: unknown } | null;
  return typeof v === 'object' && v !== null && (v.error !== undefined || v.object === 'error');
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ScoutError('protocol', `${where} sent something that is not JSON: ${text.slice(0, 120)}`);
  }
}

/** Reads at most `max` bytes of a body as text, then stops the transfer. */
async function readCapped(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk);
    total += chunk.byteLength;
    if (total >= max) break;
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function wireMessage(m: ChatMessage) {
  if (typeof m.content === 'string') return { role: m.role, content: m.content };
  return {
    role: m.role,
    content: m.content.map((p) =>
      p.type === 'text'
        ? { type: 'text', text: p.text }
        : { type: 'image_url', image_url: { url: encodeImageDataUrl(p.data, p.mimeType) } },
    ),
  };
}

/** OpenAI's names; top_k, min_p and repetition_penalty are extensions vLLM, SGLang and llama.cpp read. */
function wireParams(p: GenerationParams = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.maxTokens !== undefined) out.max_tokens = p.maxTokens;
  if (p.temperature !== undefined) out.temperature = p.temperature;
  if (p.topP !== undefined) out.top_p = p.topP;
  if (p.seed !== undefined) out.seed = p.seed;
  if (p.stop !== undefined && p.stop.length > 0) out.stop = p.stop;
  if (p.topK !== undefined && p.topK > 0) out.top_k = p.topK;
  if (p.minP !== undefined && p.minP > 0) out.min_p = p.minP;
  if (p.repetitionPenalty !== undefined && p.repetitionPenalty !== 1)
    out.repetition_penalty = p.repetitionPenalty;
  return out;
}
