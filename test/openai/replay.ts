/**
 * A loopback HTTP server that answers with recorded responses, byte for byte, in chunks of random
 * (seeded) sizes, so the client meets the splits a real network produces. It records what the
 * client sent, for asserting the request side.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SeededRandom } from '../fixtures/prng.js';

export interface Recorded {
  status: number;
  contentType: string;
  body: Buffer;
  /** Stop after this many bytes and hold the connection open (a server that hangs). */
  hangAfter?: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface ReplayServer {
  /** Base URL ending in /v1. */
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

export async function replayServer(routes: Record<string, Recorded>, seed = 1): Promise<ReplayServer> {
  const random = new SeededRandom(seed);
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '').replace(/^\/v1/, '');
      received.push({
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      const recorded = routes[`${req.method} ${path}`];
      if (!recorded) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(recorded.status, { 'Content-Type': recorded.contentType });
      const end = recorded.hangAfter ?? recorded.body.length;
      let at = 0;
      const next = () => {
        if (res.destroyed) return;
        if (at >= end) {
          if (recorded.hangAfter === undefined) res.end();
          return;
        }
        const size = 1 + Math.floor(random.uniform() * 96);
        res.write(recorded.body.subarray(at, Math.min(end, at + size)));
        at += size;
        setImmediate(next);
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
