// A stand-in for the Hugging Face Hub on 127.0.0.1, speaking the parts of its HTTP API that Scout's
// downloader uses through @huggingface/hub and directly: model info, the recursive tree listing
// (paginated with a Link header, as the Hub does), and file resolution with a redirect to a "CDN"
// that honours Range requests. Faults are switched on per test: gating, a connection dropped
// mid-file, corrupted bytes, a server that ignores Range.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockRepo {
  id: string;
  files: Map<string, Buffer>;
  /** Paths stored with git-lfs (sha256 oids); the rest are plain git blobs (sha1). */
  isLfs: (path: string) => boolean;
  gated?: false | 'manual';
  /** Tokens whose owners accepted the license of a gated repo. */
  authorized?: string[];
}

export interface Faults {
  /** Drop the connection after this many body bytes of the file, `times` times. */
  drop?: { path: string; afterBytes: number; times: number };
  /** Send this many body bytes of the file, then go silent with the connection open, `times` times. */
  stall?: { path: string; afterBytes: number; times: number };
  /** Serve this file with one byte flipped. */
  corrupt?: string;
  /** Answer range requests with the whole file (200), as some proxies do. */
  ignoreRange?: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | undefined;
  auth: string | undefined;
}

export const MOCK_COMMIT = '0123456789abcdef0123456789abcdef01234567';

export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export class HubMock {
  readonly requests: LoggedRequest[] = [];
  faults: Faults = {};
  treePageSize = 3;
  private server: Server | undefined;
  private readonly repos = new Map<string, MockRepo>();
  url = '';

  constructor(repos: MockRepo[]) {
    for (const r of repos) this.repos.set(r.id, r);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Requests for file bytes (resolve and CDN), for assertions about what was fetched. */
  fileRequests(): LoggedRequest[] {
    return this.requests.filter((r) => r.path.includes('/resolve/') || r.path.startsWith('/cdn/'));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, range: req.headers.range, auth });
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname)))
      return this.info(res, m[1]!, decodeURIComponent(m[2]!));
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(url.pathname)))
      return this.tree(res, m[1]!, m[2]!, url);
    if ((m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname)))
      return this.resolve(res, m[1]!, m[2]!, decodeURIComponent(m[3]!), auth);
    if ((m = /^\/cdn\/([^/]+)\/(.+)$/.exec(url.pathname)))
      return this.serveBytes(req, res, m[1]!, decodeURIComponent(m[2]!));
    this.error(res, 404, 'EntryNotFound', 'not found');
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'X-Error-Code': code,
      'X-Error-Message': message,
    });
    res.end(JSON.stringify({ error: message }));
  }

  private repo(res: ServerResponse, id: string): MockRepo | undefined {
    const repo = this.repos.get(id);
    if (!repo) this.error(res, 401, 'RepoNotFound', 'Repository Not Found');
    return repo;
  }

  private revisionOk(res: ServerResponse, revision: string): boolean {
    if (revision === 'main' || revision === MOCK_COMMIT) return true;
    this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    return false;
  }

  private info(res: ServerResponse, id: string, revision: string): void {
    const repo = this.repo(res, id);
    if (!repo || !this.revisionOk(res, revision)) return;
    const body = {
      _id: 'mock',
      id,
      sha: MOCK_COMMIT,
      gated: repo.gated ?? false,
      private: false,
      downloads: 0,
      likes: 0,
      lastModified: '2025-04-05T00:00:00.000Z',
      pipeline_tag: 'image-text-to-text',
    };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private tree(res: ServerResponse, id: string, revision: string, url: URL): void {
    const repo = this.repo(res, id);
    if (!repo || !this.revisionOk(res, revision)) return;
    const entries = [...repo.files].map(([path, content]) => {
      if (!repo.isLfs(path)) return { type: 'file', oid: gitBlobSha1(content), size: content.length, path };
      const pointer = Buffer.from(
        `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(content)}\nsize ${content.length}\n`,
      );
      return {
        type: 'file',
        oid: gitBlobSha1(pointer),
        size: content.length,
        path,
        lfs: { oid: sha256(content), size: content.length, pointerSize: pointer.length },
      };
    });
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(start, start + this.treePageSize);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (start + this.treePageSize < entries.length) {
      const next = new URL(url.toString().replace('http://x', this.url));
      next.searchParams.set('cursor', String(start + this.treePageSize));
      headers['Link'] = `<${next.toString()}>; rel="next"`;
    }
    res.writeHead(200, headers);
    res.end(JSON.stringify(page));
  }

  private resolve(
    res: ServerResponse,
    id: string,
    revision: string,
    path: string,
    auth: string | undefined,
  ): void {
    const repo = this.repo(res, id);
    if (!repo || !this.revisionOk(res, revision)) return;
    if (repo.gated) {
      if (!auth)
        return this.error(
          res,
          401,
          'GatedRepo',
          `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
        );
      if (!repo.authorized?.includes(auth))
        return this.error(
          res,
          403,
          'GatedRepo',
          `Access to model ${id} is restricted and you are not in the authorized list. Visit ${this.url}/${id} to ask for access.`,
        );
    }
    const content = repo.files.get(path);
    if (!content) return this.error(res, 404, 'EntryNotFound', `${path} does not exist`);
    if (repo.isLfs(path)) {
      res.writeHead(302, {
        Location: `${this.url}/cdn/${encodeURIComponent(id)}/${encodeURIComponent(path)}`,
        'X-Linked-Etag': `"${sha256(content)}"`,
        'X-Linked-Size': String(content.length),
        'X-Repo-Commit': MOCK_COMMIT,
      });
      return void res.end();
    }
    this.sendRange(res, content, undefined, path, {
      ETag: `"${gitBlobSha1(content)}"`,
      'X-Repo-Commit': MOCK_COMMIT,
    });
  }

  private serveBytes(req: IncomingMessage, res: ServerResponse, id: string, path: string): void {
    const content = this.repos.get(decodeURIComponent(id))?.files.get(path);
    if (!content) return this.error(res, 404, 'EntryNotFound', 'no such object');
    this.sendRange(res, content, req.headers.range, path, {});
  }

  private sendRange(
    res: ServerResponse,
    original: Buffer,
    range: string | undefined,
    path: string,
    headers: Record<string, string>,
  ): void {
    let content = original;
    if (this.faults.corrupt === path) {
      content = Buffer.from(original);
      content[content.length >> 1]! ^= 0xff;
    }
    let start = 0;
    let end = content.length - 1;
    const m = range && !this.faults.ignoreRange ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), end) : end;
      if (start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${content.length}` });
        return void res.end();
      }
      res.writeHead(206, {
        ...headers,
        'Content-Range': `bytes ${start}-${end}/${content.length}`,
        'Content-Length': String(end - start + 1),
        'Accept-Ranges': 'bytes',
      });
    } else {
      res.writeHead(200, { ...headers, 'Content-Length': String(content.length), 'Accept-Ranges': 'bytes' });
    }
    const body = content.subarray(start, end + 1);
    const drop = this.faults.drop;
    if (drop && drop.path === path && drop.times > 0 && body.length > drop.afterBytes) {
      drop.times--;
      // Send part of the body, then close the connection as a flaky network would. A FIN (end) rather
      // than a reset (destroy), so the bytes already sent are delivered and the resume point is exact.
      res.write(body.subarray(0, drop.afterBytes), () => res.socket?.end());
      return;
    }
    const stall = this.faults.stall;
    if (stall && stall.path === path && stall.times > 0 && body.length > stall.afterBytes) {
      stall.times--;
      res.write(body.subarray(0, stall.afterBytes)); // and nothing more: close() cuts it
      return;
    }
    res.end(body);
  }
}
