/**
 * `scout serve`'s HTTP server: the OpenAI API (`/v1/models`, `/v1/chat/completions`,
 * `/v1/completions`) in front of any `Backend`. It knows nothing of the native engine, so the same
 * server fronts Scout's engine or, as a loopback proxy, a remote vLLM.
 *
 * Safety, in the order a request meets it:
 * - Bound to loopback by default. Any other address needs an API key, and then every request must
 *   carry `Authorization: Bearer <key>` (compared in constant time).
 * - Without a key, the Host header must name loopback: a web page that rebinds its DNS name to
 *   127.0.0.1 cannot talk to the server. Without CORS headers and with `Content-Type:
 *   application/json` required, a page cannot make a browser send a request either.
 * - Bodies are capped before they are buffered; JSON is validated field by field (./schema.ts).
 *   Images arrive inline only: no request can make the server read a file or reach the network.
 * - A client that disconnects aborts its generation (the backend gets an aborted signal).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Backend, ChatRequest, CompletionRequest, GenerationResult } from '../backend.js';
import { CancelledError, ScoutError } from '../errors.js';
import {
  chatChunks,
  chatResponse,
  completionChunks,
  completionResponse,
  modelList,
  type ResponseMeta,
} from './responses.js';
import {
  DEFAULT_REQUEST_LIMITS,
  parseChatRequest,
  parseCompletionRequest,
  type ParsedRequest,
  type RequestLimits,
} from './schema.js';
import { EventStream, nestedDeeperThan, readBody, sendError, sendJson } from './http-io.js';
import { HttpError, InvalidRequestError, toWireError } from './wire-errors.js';

export interface ServerOptions {
  backend: Backend;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Required when `host` is not loopback. */
  apiKey?: string;
  /** Largest request body; default 32 MiB (room for a few screenshots as base64). */
  maxBodyBytes?: number;
  limits?: Partial<RequestLimits>;
  /** How often an idle stream gets a comment line, so proxies do not time out during a long prefill. */
  keepAliveMs?: number;
  /** One line per notable event (errors that are bugs, shutdown); default silent. */
  log?: (line: string) => void;
}

export const DEFAULT_PORT = 8000;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const MIN_API_KEY_CHARS = 16;
const CLOSE_GRACE_MS = 10_000;
/** Real requests nest about 5 levels; deep nesting costs the JSON parser ~10× more per byte. */
const MAX_JSON_DEPTH = 64;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The hostname part of a Host header ("127.0.0.1:8000", "[::1]:8000", "localhost"). */
function hostHeaderName(value: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(value.trim());
  return m?.[1] ?? value;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

type Kind = 'chat' | 'completion';

export class OpenAIServer {
  private readonly active = new Set<AbortController>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly keyDigest: Buffer | undefined;
  private readonly limits: RequestLimits;
  private readonly maxBodyBytes: number;
  private readonly keepAliveMs: number;
  private readonly log: (line: string) => void;
  private closing = false;

  private constructor(
    private readonly backend: Backend,
    private readonly http: http.Server,
    options: ServerOptions,
  ) {
    this.keyDigest = options.apiKey !== undefined ? digest(options.apiKey) : undefined;
    this.limits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.keepAliveMs = options.keepAliveMs ?? 15_000;
    this.log = options.log ?? (() => {});
  }

  /** Validates the options, binds the port and starts serving. */
  static async listen(options: ServerOptions): Promise<OpenAIServer> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new ScoutError('invalid_argument', `port must be an integer in [0, 65535], got ${port}`);
    if (
      options.apiKey !== undefined &&
      (options.apiKey.length < MIN_API_KEY_CHARS || /\s/.test(options.apiKey))
    )
      throw new ScoutError(
        'invalid_argument',
        `the API key must be at least ${MIN_API_KEY_CHARS} characters, no spaces`,
      );
    if (!isLoopbackHost(host) && options.apiKey === undefined)
      throw new ScoutError(
        'invalid_argument',
        `serving on ${host} (not loopback) requires an API key (--api-key or SCOUT_API_KEY)`,
      );
    const server = http.createServer();
    // Slow-loris protection for the request side; responses may stream for as long as they need.
    server.headersTimeout = 30_000;
    server.requestTimeout = 120_000;
    const self = new OpenAIServer(options.backend, server, options);
    server.on('request', (req, res) => self.track(self.handle(req, res)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new ScoutError('io', `cannot listen on ${host}:${port}: ${e.code ?? e.message}`, { cause: e }),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    return self;
  }

  /** The base URL clients use, e.g. http://127.0.0.1:8000/v1. */
  get url(): string {
    const { address, port } = this.http.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}/v1`;
  }

  /** Stops accepting, aborts running generations, waits for their responses to end. */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const c of this.active) c.abort(new CancelledError('the server is shutting down'));
    // A backend that ignores its abort must not keep the process alive: after a grace period the
    // connections are cut regardless.
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
    clearTimeout(timer);
    this.http.closeAllConnections();
    await closed;
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      this.authorize(req);
      const path = new URL(req.url ?? '/', 'http://scout').pathname.replace(/\/+$/, '');
      const route = ROUTES[path];
      if (!route) throw new HttpError(404, 'not_found_error', `no route ${path.slice(0, 200)}`, 'not_found');
      if (req.method !== route.method) {
        res.setHeader('Allow', route.method);
        throw new HttpError(405, 'invalid_request_error', `${path} accepts ${route.method} only`);
      }
      await route.run(this, req, res);
    } catch (e) {
      if (!(e instanceof ScoutError))
        this.log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
      sendError(res, toWireError(e));
    }
  }

  private authorize(req: http.IncomingMessage): void {
    if (this.keyDigest) {
      const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]!), this.keyDigest)) {
        throw new HttpError(
          401,
          'authentication_error',
          'missing or wrong API key (Authorization: Bearer <key>)',
        );
      }
      return;
    }
    const host = req.headers.host;
    if (host !== undefined && !isLoopbackHost(hostHeaderName(host)))
      throw new HttpError(
        403,
        'invalid_request_error',
        'this server only answers requests addressed to loopback',
      );
  }

  async models(res: http.ServerResponse): Promise<void> {
    const models = await this.backend.listModels();
    sendJson(res, 200, modelList(models, Math.floor(Date.now() / 1000)));
  }

  async body(req: http.IncomingMessage): Promise<unknown> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      throw new HttpError(415, 'invalid_request_error', 'Content-Type must be application/json');
    const text = await readBody(req, this.maxBodyBytes);
    if (nestedDeeperThan(text, MAX_JSON_DEPTH))
      throw new InvalidRequestError(null, `request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    try {
      return JSON.parse(text);
    } catch {
      throw new InvalidRequestError(null, 'request body is not valid JSON');
    }
  }

  parseChat(body: unknown) {
    return parseChatRequest(body, this.limits);
  }

  parseCompletion(body: unknown) {
    return parseCompletionRequest(body, this.limits);
  }

  /** Runs one generation and answers with a JSON response or an event stream. */
  async generate(
    kind: Kind,
    parsed: ParsedRequest<ChatRequest> | ParsedRequest<CompletionRequest>,
    res: http.ServerResponse,
  ): Promise<void> {
    if (this.closing) throw new HttpError(503, 'server_error', 'the server is shutting down', 'cancelled');
    const meta: ResponseMeta = {
      id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`,
      created: Math.floor(Date.now() / 1000),
      model: parsed.request.model ?? (await this.defaultModel()),
    };
    const controller = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new CancelledError('the client disconnected'));
    };
    res.on('close', onClose);
    this.active.add(controller);
    const stream = parsed.stream
      ? new EventStream(res, this.keepAliveMs, kind === 'chat' ? chatChunks(meta) : completionChunks(meta))
      : undefined;
    try {
      const onDelta = (text: string) => stream?.delta(text);
      const { signal } = controller;
      const result: GenerationResult =
        kind === 'chat'
          ? await this.backend.chat(parsed.request as ChatRequest, onDelta, signal)
          : await this.backend.complete(parsed.request as CompletionRequest, onDelta, signal);
      if (result.finishReason === 'cancelled' || signal.aborted) throw signal.reason ?? new CancelledError();
      if (stream) {
        stream.finish(result, parsed.includeUsage);
      } else {
        const respond = kind === 'chat' ? chatResponse : completionResponse;
        sendJson(res, 200, respond(meta, result, result.finishReason));
      }
    } catch (e) {
      if (res.destroyed) return; // the client left: nobody to tell
      if (!(e instanceof ScoutError))
        this.log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
      const wire = toWireError(e);
      if (stream) stream.fail(wire);
      else sendError(res, wire);
    } finally {
      stream?.stopKeepAlive();
      this.active.delete(controller);
      res.off('close', onClose);
    }
  }

  private defaultModelId: string | undefined;

  /** The id responses carry when the request named no model. */
  private async defaultModel(): Promise<string> {
    if (this.defaultModelId === undefined) {
      const models = await this.backend.listModels();
      this.defaultModelId = models[0]?.id ?? 'scout';
    }
    return this.defaultModelId;
  }
}

interface Route {
  method: 'GET' | 'POST';
  run(server: OpenAIServer, req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
}

const ROUTES: Record<string, Route> = {
  '/health': { method: 'GET', run: async (_s, _req, res) => sendJson(res, 200, { status: 'ok' }) },
  '/v1/models': { method: 'GET', run: (s, _req, res) => s.models(res) },
  '/v1/chat/completions': {
    method: 'POST',
    run: async (s, req, res) => s.generate('chat', s.parseChat(await s.body(req)), res),
  },
  '/v1/completions': {
    method: 'POST',
    run: async (s, req, res) => s.generate('completion', s.parseCompletion(await s.body(req)), res),
  },
};
