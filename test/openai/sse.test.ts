import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isScoutError } from '../../src/engine/errors.js';
import { readSse, SseParser, sseData, type SseEvent } from '../../src/engine/openai/sse.js';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name));

function parseAll(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return chunks.flatMap((c) => parser.push(c));
}

async function* bytes(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

async function collect(chunks: Uint8Array[]): Promise<{ events: SseEvent[]; truncated: boolean }> {
  const events: SseEvent[] = [];
  const it = readSse(bytes(chunks));
  for (;;) {
    const next = await it.next();
    if (next.done) return { events, truncated: next.value.truncated };
    events.push(next.value);
  }
}

describe('SseParser', () => {
  it('joins multi-line data, skips comments, keeps event names and ids', () => {
    const events = parseAll([
      ': keep-alive\n\nevent: update\nid: 7\ndata: first\ndata:second\n\ndata: third\n\n',
    ]);
    expect(events).toEqual([
      { event: 'update', data: 'first\nsecond', id: '7' },
      { event: 'message', data: 'third', id: '7' },
    ]);
  });

  it('accepts LF, CRLF and CR line endings, including a CRLF split across chunks', () => {
    const expected = [
      { event: 'message', data: 'a', id: '' },
      { event: 'message', data: 'b', id: '' },
    ];
    expect(parseAll(['data: a\r\n\r\ndata: b\r\n\r\n'])).toEqual(expected);
    expect(parseAll(['data: a\r\rdata: b\r\r'])).toEqual(expected);
    expect(parseAll(['data: a\r', '\n\r', '\ndata: b\r', '\n', '\r\n'])).toEqual(expected);
  });

  it('strips one leading space only, and a leading byte-order mark', () => {
    expect(parseAll(['\ufeffdata:  two spaces\n\n'])).toEqual([
      { event: 'message', data: ' two spaces', id: '' },
    ]);
  });

  it("reads llama.cpp's `error:` line as an error event instead of dropping it", () => {
    expect(parseAll(['error: {"code":500}\n\n'])).toEqual([{ event: 'error', data: '{"code":500}', id: '' }]);
  });

  it('dispatches nothing for an event without data, and reports an unfinished event at the end', () => {
    const parser = new SseParser();
    expect(parser.push('event: x\n\nid: 3\n\ndata: half')).toEqual([]);
    expect(parser.end()).toBe(true);
    expect(new SseParser().end()).toBe(false);
  });

  it('refuses an event larger than its limit instead of buffering without bound', () => {
    const parser = new SseParser(64);
    let error: unknown;
    try {
      for (let i = 0; i < 10; i++) parser.push('data: 0123456789abcdef\n');
    } catch (e) {
      error = e;
    }
    expect(isScoutError(error) && error.code).toBe('protocol');
    // A line that never ends is refused too.
    expect(() => new SseParser(64).push('data: ' + 'x'.repeat(100))).toThrow(/larger than 64/);
  });

  it('round-trips what the server writes', () => {
    const value = { text: 'line\nbreak and "quotes" ☕' };
    const [event] = parseAll([sseData(value)]);
    expect(JSON.parse(event!.data)).toEqual(value);
  });
});

describe('readSse', () => {
  it('gives the same events for every split point of a recorded stream, even inside a UTF-8 character', async () => {
    const stream = fixture('vllm-chat-stream.sse');
    const whole = await collect([stream]);
    expect(whole.events).toHaveLength(11);
    expect(whole.truncated).toBe(false);
    for (let cut = 1; cut < stream.length; cut += 7) {
      const split = await collect([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(split.events).toEqual(whole.events);
    }
    const bytewise = await collect([...stream].map((b) => Uint8Array.of(b)));
    expect(bytewise.events).toEqual(whole.events);
    expect(bytewise.events.some((e) => e.data.includes('☕'))).toBe(true);
  });

  it('reports a stream cut off in the middle of an event', async () => {
    const stream = fixture('vllm-chat-stream.sse');
    const { truncated } = await collect([stream.subarray(0, 100)]);
    expect(truncated).toBe(true);
  });
});
