import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameSizeGuard } from '../../src/engine/server/frame-guard.js';

function frame(body: string): string {
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

async function pipeThrough(input: Buffer, chunkSize: number, max: number) {
  const skipped: number[] = [];
  const guard = new FrameSizeGuard(max, (n) => skipped.push(n));
  const out: Buffer[] = [];
  guard.on('data', (d: Buffer) => out.push(d));
  const source = new PassThrough();
  source.pipe(guard);
  for (let i = 0; i < input.length; i += chunkSize) source.write(input.subarray(i, i + chunkSize));
  source.end();
  await new Promise((r) => guard.on('end', r));
  return { text: Buffer.concat(out).toString(), skipped };
}

describe('FrameSizeGuard', () => {
  const small = frame('{"jsonrpc":"2.0","id":1,"method":"ping"}');
  const big = frame(`{"jsonrpc":"2.0","id":2,"method":"chat","params":"${'x'.repeat(5000)}"}`);
  const after = frame('{"jsonrpc":"2.0","id":3,"method":"ping"}');
  const input = Buffer.from(small + big + after);

  it('passes small frames unchanged and skips large ones, however the stream is split', async () => {
    for (const size of [1, 3, 17, 1000, input.length]) {
      const { text, skipped } = await pipeThrough(input, size, 1024);
      expect(text).toBe(small + after);
      expect(skipped).toEqual([Buffer.byteLength(big) - big.indexOf('\r\n\r\n') - 4]);
    }
  });

  it('passes everything when nothing exceeds the limit', async () => {
    const { text, skipped } = await pipeThrough(input, 7, 1 << 20);
    expect(text).toBe(input.toString());
    expect(skipped).toEqual([]);
  });

  it('fails on a header that never ends instead of buffering it', async () => {
    const guard = new FrameSizeGuard(1024, () => {});
    const failed = new Promise<Error>((resolve) => guard.on('error', resolve));
    guard.write(Buffer.from('X'.repeat(9000)));
    expect((await failed).message).toMatch(/header is longer/);
  });
});
