/**
 * A size limit in front of the JSON-RPC reader. vscode-jsonrpc buffers a whole message before
 * parsing it, whatever its Content-Length says; this transform passes frames of at most `maxBytes`
 * through unchanged and skips larger ones as they stream by, without buffering them, so a runaway or
 * hostile client cannot make the sidecar hold gigabytes. A skipped frame is reported; the connection
 * goes on with the next one. (Malformed JSON inside a frame is the reader's to drop; it does.)
 */
import { Transform, type TransformCallback } from 'node:stream';

const HEADER_END = Buffer.from('\r\n\r\n');
/** Headers are a line or two; anything longer is not a header and cannot be resynchronized. */
const MAX_HEADER_BYTES = 8 * 1024;

export class FrameSizeGuard extends Transform {
  private header = Buffer.alloc(0);
  /** Body bytes still to pass (>= 0) or to skip (while `skipping`). */
  private remaining = 0;
  private skipping = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onSkip: (declaredBytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        if (!this.skipping) this.push(chunk.subarray(at, at + take));
        this.remaining -= take;
        at += take;
        continue;
      }
      // Reading a header: accumulate until the blank line.
      this.header = Buffer.concat([this.header, chunk.subarray(at)]);
      at = chunk.length;
      const end = this.header.indexOf(HEADER_END);
      if (end < 0) {
        if (this.header.length > MAX_HEADER_BYTES) {
          done(new Error('sidecar input: a message header is longer than 8 KiB'));
          return;
        }
        break;
      }
      const head = this.header.subarray(0, end + HEADER_END.length);
      const rest = this.header.subarray(end + HEADER_END.length);
      this.header = Buffer.alloc(0);
      const match = /content-length:\s*(\d+)/i.exec(head.toString('ascii'));
      const length = match ? Number(match[1]) : 0;
      this.skipping = length > this.maxBytes;
      if (this.skipping) this.onSkip(length);
      else this.push(head);
      this.remaining = length;
      // Process what followed the header in this chunk as body (and further frames).
      chunk = rest;
      at = 0;
    }
    done();
  }
}
