/**
 * Strict validation of `/v1/chat/completions` and `/v1/completions` request bodies.
 *
 * Every field is checked for type and range, and the error names the field (OpenAI's `param`), so a
 * client learns exactly what to fix. Unknown fields are refused, as OpenAI does, because a silently
 * ignored option (say `n: 3` or `tools`) would return something other than what was asked for.
 * Options Scout does not implement are accepted only at their neutral value (`n: 1`,
 * `frequency_penalty: 0`, `logprobs: false`), which widely used clients send by default. `null`
 * means "not given", as the OpenAI SDKs send it.
 *
 * The result is the transport-free request of ./backend.ts.
 */
import type {
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  ContentPart,
  GenerationParams,
  Role,
} from '../backend.js';
import { decodeImageDataUrl } from './images.js';
import { InvalidRequestError } from './wire-errors.js';

export interface RequestLimits {
  maxMessages: number;
  /** Images in one request, over all messages. */
  maxImages: number;
  /** Decoded bytes of one image. */
  maxImageBytes: number;
  /** The largest max_tokens a request may ask for. */
  maxTokens: number;
  maxStopSequences: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxMessages: 4096,
  maxImages: 16,
  maxImageBytes: 20 * 1024 * 1024,
  maxTokens: 1 << 20,
  maxStopSequences: 16,
};

export interface ParsedRequest<R> {
  request: R;
  stream: boolean;
  /** stream_options.include_usage: the client wants a last chunk with token counts. */
  includeUsage: boolean;
}

/** Reads one JSON object field by field and remembers which fields it read, to refuse the rest. */
class Fields {
  private readonly read = new Set<string>();

  constructor(
    private readonly value: Record<string, unknown>,
    private readonly path: string,
  ) {}

  static of(value: unknown, path: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new InvalidRequestError(path || null, 'must be a JSON object');
    return new Fields(value as Record<string, unknown>, path);
  }

  param(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  raw(key: string): unknown {
    this.read.add(key);
    const v = Object.hasOwn(this.value, key) ? this.value[key] : undefined;
    return v === null ? undefined : v;
  }

  string(key: string, maxChars = Number.MAX_SAFE_INTEGER): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new InvalidRequestError(this.param(key), 'must be a string');
    if (v.length > maxChars)
      throw new InvalidRequestError(this.param(key), `must be at most ${maxChars} characters`);
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw new InvalidRequestError(this.param(key), 'must be true or false');
    return v;
  }

  /** A number in [min, max] (or (min, max] with `aboveMin`), optionally an integer. */
  number(key: string, min: number, max: number, opts: { integer?: boolean; aboveMin?: boolean } = {}) {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    const kind = opts.integer ? 'an integer' : 'a number';
    if (typeof v !== 'number' || !Number.isFinite(v) || (opts.integer && !Number.isSafeInteger(v)))
      throw new InvalidRequestError(this.param(key), `must be ${kind}`);
    if (v > max || v < min || (opts.aboveMin && v === min))
      throw new InvalidRequestError(
        this.param(key),
        `must be ${kind} in ${opts.aboveMin ? '(' : '['}${min}, ${max}]`,
      );
    return v;
  }

  /** An option Scout does not implement: allowed only when it asks for the default behaviour. */
  neutral(key: string, isNeutral: (v: unknown) => boolean, explain: string): void {
    const v = this.raw(key);
    if (v !== undefined && !isNeutral(v)) throw new InvalidRequestError(this.param(key), explain);
  }

  /** Fields that change nothing about the answer (end-user ids, metadata for OpenAI's dashboard). */
  ignore(...keys: string[]): void {
    for (const k of keys) this.read.add(k);
  }

  /** Refuses any field that was not read. */
  done(): void {
    for (const k of Object.keys(this.value)) {
      if (!this.read.has(k)) throw new InvalidRequestError(this.param(k), 'unrecognized request argument');
    }
  }
}

function parseStop(f: Fields, limits: RequestLimits): string[] | undefined {
  const v = f.raw('stop');
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s.length === 0 || s.length > 1024))
    throw new InvalidRequestError(
      'stop',
      'must be a non-empty string or an array of non-empty strings (≤ 1024 chars)',
    );
  if (list.length > limits.maxStopSequences)
    throw new InvalidRequestError('stop', `at most ${limits.maxStopSequences} stop sequences`);
  return list.length > 0 ? (list as string[]) : undefined;
}

/** Sampling, length and streaming options shared by both endpoints. */
function parseCommon(f: Fields, limits: RequestLimits, maxTokensKeys: string[]) {
  const params: GenerationParams = {};
  let maxTokens: number | undefined;
  for (const key of maxTokensKeys) {
    const n = f.number(key, 1, limits.maxTokens, { integer: true });
    if (n !== undefined && maxTokens !== undefined && n !== maxTokens)
      throw new InvalidRequestError(key, `disagrees with ${maxTokensKeys[0]}`);
    maxTokens = n ?? maxTokens;
  }
  const topK = f.number('top_k', -1, 1 << 24, { integer: true });
  const set = {
    maxTokens,
    temperature: f.number('temperature', 0, 2),
    topP: f.number('top_p', 0, 1, { aboveMin: true }),
    // vLLM spells "no top-k" as -1, the engine as 0.
    topK: topK !== undefined && topK > 0 ? topK : undefined,
    minP: f.number('min_p', 0, 1),
    repetitionPenalty: f.number('repetition_penalty', 0, 10, { aboveMin: true }),
    seed: f.number('seed', 0, Number.MAX_SAFE_INTEGER, { integer: true }),
    stop: parseStop(f, limits),
  };
  for (const [k, v] of Object.entries(set)) if (v !== undefined) (params as Record<string, unknown>)[k] = v;

  f.neutral('n', (v) => v === 1, 'Scout returns one choice per request; n must be 1');
  f.neutral('presence_penalty', (v) => v === 0, 'presence_penalty is not supported (use repetition_penalty)');
  f.neutral(
    'frequency_penalty',
    (v) => v === 0,
    'frequency_penalty is not supported (use repetition_penalty)',
  );
  f.neutral('logit_bias', (v) => isEmptyObject(v), 'logit_bias is not supported');
  f.neutral('logprobs', (v) => v === false || v === 0, 'logprobs are not supported');
  f.neutral('top_logprobs', (v) => v === 0, 'logprobs are not supported');
  f.ignore('user', 'metadata', 'store', 'service_tier');

  const stream = f.boolean('stream') ?? false;
  let includeUsage = false;
  const options = f.raw('stream_options');
  if (options !== undefined) {
    if (!stream) throw new InvalidRequestError('stream_options', 'only allowed when stream is true');
    const o = Fields.of(options, 'stream_options');
    includeUsage = o.boolean('include_usage') ?? false;
    o.ignore('continuous_usage_stats');
    o.done();
  }
  return { params, stream, includeUsage };
}

function isEmptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

const ROLES: Record<string, Role> = {
  system: 'system',
  // OpenAI's newer name for system instructions.
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
  tool: 'tool',
};

/** Counts images across a request to enforce `maxImages`. */
interface ImageBudget {
  used: number;
}

function parsePart(
  value: unknown,
  param: string,
  role: Role,
  limits: RequestLimits,
  images: ImageBudget,
): ContentPart {
  const f = Fields.of(value, param);
  const type = f.string('type');
  let part: ContentPart;
  if (type === 'text') {
    const text = f.string('text');
    if (text === undefined) throw new InvalidRequestError(f.param('text'), 'is required');
    part = { type: 'text', text };
  } else if (type === 'image_url') {
    if (role !== 'user') throw new InvalidRequestError(param, 'images are only allowed in user messages');
    if (++images.used > limits.maxImages)
      throw new InvalidRequestError(param, `at most ${limits.maxImages} images per request`);
    const raw = f.raw('image_url');
    let url: string | undefined;
    if (typeof raw === 'string') {
      url = raw;
    } else {
      const img = Fields.of(raw, f.param('image_url'));
      url = img.string('url');
      img.neutral(
        'detail',
        (v) => v === 'auto' || v === 'low' || v === 'high',
        "detail must be 'auto', 'low' or 'high'",
      );
      img.done();
    }
    if (url === undefined) throw new InvalidRequestError(f.param('image_url.url'), 'is required');
    part = { type: 'image', ...decodeImageDataUrl(url, f.param('image_url.url'), limits.maxImageBytes) };
  } else {
    throw new InvalidRequestError(
      f.param('type'),
      `content part type '${String(type).slice(0, 40)}' is not supported`,
    );
  }
  f.done();
  return part;
}

function parseMessage(
  value: unknown,
  index: number,
  limits: RequestLimits,
  images: ImageBudget,
): ChatMessage {
  const param = `messages[${index}]`;
  const f = Fields.of(value, param);
  const roleName = f.string('role');
  const role = roleName === undefined ? undefined : ROLES[roleName];
  if (!role)
    throw new InvalidRequestError(f.param('role'), `must be one of ${Object.keys(ROLES).join(', ')}`);
  const raw = f.raw('content');
  let content: ChatMessage['content'];
  if (raw === undefined) {
    // An assistant turn may have no text (OpenAI allows null content there).
    if (role !== 'assistant') throw new InvalidRequestError(f.param('content'), 'is required');
    content = '';
  } else if (typeof raw === 'string') {
    content = raw;
  } else if (Array.isArray(raw)) {
    content = raw.map((p, i) => parsePart(p, `${f.param('content')}[${i}]`, role, limits, images));
  } else {
    throw new InvalidRequestError(f.param('content'), 'must be a string or an array of content parts');
  }
  f.neutral('tool_calls', (v) => Array.isArray(v) && v.length === 0, 'tool calls are not supported');
  f.string('name', 256);
  f.string('tool_call_id', 256);
  f.done();
  return { role, content };
}

export function parseChatRequest(body: unknown, limits = DEFAULT_REQUEST_LIMITS): ParsedRequest<ChatRequest> {
  const f = Fields.of(body, '');
  const model = f.string('model', 512);
  const rawMessages = f.raw('messages');
  if (!Array.isArray(rawMessages) || rawMessages.length === 0)
    throw new InvalidRequestError('messages', 'must be a non-empty array');
  if (rawMessages.length > limits.maxMessages)
    throw new InvalidRequestError('messages', `at most ${limits.maxMessages} messages per request`);
  const images: ImageBudget = { used: 0 };
  const messages = rawMessages.map((m, i) => parseMessage(m, i, limits, images));
  const { params, stream, includeUsage } = parseCommon(f, limits, ['max_tokens', 'max_completion_tokens']);
  f.neutral('response_format', (v) => isTextFormat(v), "only response_format {type: 'text'} is supported");
  f.neutral('tools', (v) => Array.isArray(v) && v.length === 0, 'tools are not supported');
  f.neutral('tool_choice', (v) => v === 'none' || v === 'auto', 'tools are not supported');
  f.ignore('parallel_tool_calls');
  f.done();
  const request: ChatRequest = { messages, params };
  if (model !== undefined) request.model = model;
  return { request, stream, includeUsage };
}

function isTextFormat(v: unknown): boolean {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { type?: unknown }).type === 'text' &&
    Object.keys(v).length === 1
  );
}

export function parseCompletionRequest(
  body: unknown,
  limits = DEFAULT_REQUEST_LIMITS,
): ParsedRequest<CompletionRequest> {
  const f = Fields.of(body, '');
  const model = f.string('model', 512);
  let prompt = f.raw('prompt');
  // The API allows a batch of prompts; a batch of exactly one is the same request.
  if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
  if (typeof prompt !== 'string')
    throw new InvalidRequestError(
      'prompt',
      'must be a string (token-id and batched prompts are not supported)',
    );
  const suffix = f.string('suffix');
  const { params, stream, includeUsage } = parseCommon(f, limits, ['max_tokens']);
  f.neutral('echo', (v) => v === false, 'echo is not supported');
  f.neutral('best_of', (v) => v === 1, 'best_of must be 1');
  f.done();
  const request: CompletionRequest = { prompt, params };
  if (suffix !== undefined) request.suffix = suffix;
  if (model !== undefined) request.model = model;
  return { request, stream, includeUsage };
}
