/**
 * The HTTP plumbing under ./server.ts: reading bounded bodies, writing JSON and OpenAI error
 * responses, and the lazily opened event stream.
 */
import type http from 'node:http';
import type { GenerationResult } from '../backend.js';
import type { ChunkShapes } from './responses.js';
import { SSE_DONE, SSE_KEEPALIVE, sseData } from './sse.js';
import { HttpError, type WireError } from './wire-errors.js';
import { ScoutError } from '../errors.js';

/**
 * An SSE response opened lazily: headers go out with the first delta or the first keep-alive, so a
 * request that fails early (a prompt longer than the context) still gets a proper HTTP status.
 */
export class EventStream {
  private opened = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly res: http.ServerResponse,
    keepAliveMs: number,
    private readonly shapes: ChunkShapes,
  ) {
    this.timer = setInterval(() => this.write(SSE_KEEPALIVE), keepAliveMs);
    this.timer.unref();
  }

  delta(text: string): void {
    if (text.length > 0) this.write(sseData(this.shapes.delta(text)));
  }

  finish(result: GenerationResult, includeUsage: boolean): void {
    const reason = result.finishReason === 'length' ? 'length' : 'stop';
    this.write(sseData(this.shapes.finish(reason)));
    if (includeUsage) this.write(sseData(this.shapes.usage(result.stats)));
    this.res.end(SSE_DONE);
  }

  /** After the headers went out the status is 200: the error travels as an event, as vLLM does. */
  fail(wire: WireError): void {
    if (!this.opened) {
      sendError(this.res, wire);
      return;
    }
    this.res.write(sseData(wire.body));
    this.res.end(SSE_DONE);
  }

  stopKeepAlive(): void {
    clearInterval(this.timer);
  }

  private write(text: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (!this.opened) {
      this.opened = true;
      this.res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
        // Tells nginx-style proxies not to buffer the stream.
        'X-Accel-Buffering': 'no',
      });
      const opening = this.shapes.opening();
      if (opening) this.res.write(sseData(opening));
    }
    this.res.write(text);
  }
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(res: http.ServerResponse, wire: WireError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (wire.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  // The unread rest of an oversized body must not be parsed as the next request.
  if (wire.status === 413) res.setHeader('Connection', 'close');
  sendJson(res, wire.status, wire.body);
}

/**
 * Reads the whole body as UTF-8, refusing it as soon as it passes `max` bytes. On refusal the
 * connection is marked to close, so the client's remaining upload is not read.
 */
export function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  const tooLarge = () =>
    new HttpError(413, 'invalid_request_error', `request body is larger than ${max} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    return Promise.reject(markClose(req, tooLarge()));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        cleanup();
        reject(markClose(req, tooLarge()));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new ScoutError('network', `reading the request failed: ${e.message}`));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function markClose(req: http.IncomingMessage, e: HttpError): HttpError {
  // Stop reading: the response carries `Connection: close`, so the socket ends after it.
  req.pause();
  return e;
}

/** A linear pre-scan: brackets inside strings (with their escapes) do not count. */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
