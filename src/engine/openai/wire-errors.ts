/**
 * Errors on the wire of the OpenAI-compatible API, both directions.
 *
 * Servers disagree on the error body. OpenAI and recent vLLM send
 * `{"error":{"message","type","param","code"}}`; older vLLM sends the fields at the top level with
 * `"object":"error"`; llama.cpp's server sends `{"error":{"code","message","type"}}` and, inside a
 * stream, sometimes the bare inner object. `parseErrorBody` reads all of them; Scout's own server
 * writes the OpenAI form.
 */
import { ScoutError, type ScoutErrorCode } from '../errors.js';

/** A request the server refuses, with the request field at fault (OpenAI's `param`). */
export class InvalidRequestError extends ScoutError {
  constructor(
    readonly param: string | null,
    message: string,
  ) {
    super('invalid_argument', param ? `${param}: ${message}` : message);
    this.name = 'InvalidRequestError';
  }
}

/** An HTTP-level refusal that is not about the body's fields (auth, size, route, media type). */
export class HttpError extends ScoutError {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    code: ScoutErrorCode = 'invalid_argument',
  ) {
    super(code, message);
    this.name = 'HttpError';
  }
}

export interface WireError {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: number } };
}

const STATUS_BY_CODE: Partial<Record<ScoutErrorCode, number>> = {
  invalid_argument: 400,
  image: 400,
  template: 400,
  tokenizer: 400,
  not_found: 404,
  out_of_memory: 503,
  network: 502,
  cancelled: 503,
};

function typeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status < 500) return 'invalid_request_error';
  return 'server_error';
}

/**
 * The response for a failure while serving. Only ScoutErrors carry messages meant for clients;
 * anything else is a bug whose text may reveal internals, so it becomes a generic 500.
 */
export function toWireError(e: unknown): WireError {
  if (e instanceof HttpError) return wire(e.status, e.type, e.message, null);
  if (e instanceof InvalidRequestError) return wire(400, 'invalid_request_error', e.message, e.param);
  if (e instanceof ScoutError) {
    const status = STATUS_BY_CODE[e.code] ?? 500;
    return wire(status, typeForStatus(status), `${e.code}: ${e.message}`, null);
  }
  return wire(500, 'server_error', 'internal error (see the server log)', null);
}

function wire(status: number, type: string, message: string, param: string | null): WireError {
  return { status, body: { error: { message, type, param, code: status } } };
}

export interface ParsedErrorBody {
  message: string;
  type?: string;
  /** The HTTP status the server put in the body, when it did (stream errors have no status line). */
  status?: number;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Server text can hold anything: keep it printable and short enough for one line of a message. */
export function cleanServerText(text: string, max = 500): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Reads an error out of any known error body shape; undefined when `value` is not one. */
export function parseErrorValue(value: unknown): ParsedErrorBody | undefined {
  const top = asRecord(value);
  if (!top) return undefined;
  const nested = asRecord(top.error);
  const inner = nested ?? (top.object === 'error' || typeof top.message === 'string' ? top : undefined);
  if (!inner) {
    // `{"error": "text"}` (some proxies).
    return typeof top.error === 'string' ? { message: cleanServerText(top.error) } : undefined;
  }
  const message = typeof inner.message === 'string' ? cleanServerText(inner.message) : 'no message';
  const status = typeof inner.code === 'number' && Number.isInteger(inner.code) ? inner.code : undefined;
  return { message, type: typeof inner.type === 'string' ? inner.type : undefined, status };
}

export function parseErrorBody(text: string): ParsedErrorBody {
  try {
    const parsed = parseErrorValue(JSON.parse(text));
    if (parsed) return parsed;
  } catch {
    // Not JSON: proxies and crashed servers answer with HTML or plain text.
  }
  return { message: cleanServerText(text) || 'empty response body' };
}

/** What an HTTP failure from a remote server means for Scout's callers. */
export function codeForStatus(status: number): ScoutErrorCode {
  if (status === 404) return 'not_found';
  if (
    status === 400 ||
    status === 401 ||
    status === 403 ||
    status === 413 ||
    status === 415 ||
    status === 422
  )
    return 'invalid_argument';
  if (status === 408 || status === 429 || status >= 500) return 'network';
  return 'protocol';
}

export function remoteError(where: string, status: number, parsed: ParsedErrorBody): ScoutError {
  const hint = status === 401 || status === 403 ? ' (check the API key for this endpoint)' : '';
  return new ScoutError(codeForStatus(status), `${where} answered HTTP ${status}${hint}: ${parsed.message}`);
}
