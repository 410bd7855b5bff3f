/**
 * Server-sent events (the WHATWG "text/event-stream" format), both directions.
 *
 * Reading: `SseParser` is incremental. Network chunks split lines, CRLF pairs and multi-byte
 * characters anywhere, so it keeps the unfinished line between pushes, and `readSse` decodes bytes
 * with a streaming TextDecoder. Comments (`: keep-alive`) are skipped, multi-line `data:` fields are
 * joined with '\n', and an event is dispatched only at its blank line, as the standard says.
 *
 * One deliberate deviation: some llama.cpp server versions report a failure mid-stream as a line
 * `error: {...}` (they write the event name where the field name goes). The standard would ignore
 * that unknown field and the failure would vanish, so the parser treats an `error` field as data of
 * an event named "error".
 *
 * Writing: every payload Scout sends is one JSON value, which JSON.stringify writes without raw
 * line breaks, so one `data:` line per event is always well formed.
 */
import { ScoutError } from '../errors.js';

export interface SseEvent {
  /** The `event:` name; "message" when the server gave none. */
  event: string;
  data: string;
  /** The last `id:` seen in the stream (it persists across events, per the standard). */
  id: string;
}

/** A malicious or broken server must not make the client buffer without bound. */
export const DEFAULT_MAX_EVENT_CHARS = 16 * 1024 * 1024;

export class SseParser {
  private line = '';
  private data: string[] = [];
  private dataChars = 0;
  private eventName = '';
  private lastId = '';
  /** A chunk ended in '\r': if the next chunk starts with '\n' it belongs to the same line break. */
  private afterCR = false;
  private started = false;

  constructor(private readonly maxEventChars = DEFAULT_MAX_EVENT_CHARS) {}

  /** Feeds decoded text; returns the events completed by it, in order. */
  push(text: string): SseEvent[] {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events: SseEvent[] = [];
    let start = 0;
    if (this.afterCR && text.startsWith('\n')) start = 1;
    this.afterCR = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      this.line += text.slice(start, i);
      this.takeLine(events);
      if (c === 0x0d) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 0x0a) i++;
        } else {
          this.afterCR = true;
        }
      }
      start = i + 1;
    }
    this.line += text.slice(start);
    if (this.line.length + this.dataChars > this.maxEventChars) this.tooLong();
    return events;
  }

  /**
   * The stream ended. An event without its closing blank line is incomplete and the standard
   * discards it; returns whether anything was left unfinished (callers may treat that as truncation).
   */
  end(): boolean {
    const unfinished = this.line.length > 0 || this.data.length > 0;
    this.line = '';
    this.data = [];
    this.dataChars = 0;
    this.eventName = '';
    return unfinished;
  }

  private takeLine(events: SseEvent[]): void {
    const line = this.line;
    this.line = '';
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.appendData(value);
        break;
      case 'error':
        this.eventName = 'error';
        this.appendData(value);
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields carry nothing a client of these APIs needs.
        break;
    }
  }

  private appendData(value: string): void {
    this.data.push(value);
    this.dataChars += value.length + 1;
    if (this.dataChars > this.maxEventChars) this.tooLong();
  }

  private dispatch(events: SseEvent[]): void {
    if (this.data.length > 0) {
      events.push({ event: this.eventName || 'message', data: this.data.join('\n'), id: this.lastId });
    }
    this.data = [];
    this.dataChars = 0;
    this.eventName = '';
  }

  private tooLong(): never {
    throw new ScoutError('protocol', `server-sent event larger than ${this.maxEventChars} characters`);
  }
}

/** Decodes a byte stream (a fetch body) into events as they complete. */
export async function* readSse(
  body: AsyncIterable<Uint8Array>,
  maxEventChars = DEFAULT_MAX_EVENT_CHARS,
): AsyncGenerator<SseEvent, { truncated: boolean }> {
  const parser = new SseParser(maxEventChars);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of body) {
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
  yield* parser.push(decoder.decode());
  return { truncated: parser.end() };
}

/** One event carrying a JSON value. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** The OpenAI end-of-stream marker. */
export const SSE_DONE = 'data: [DONE]\n\n';

/** A comment line: proxies and clients see traffic during a long prefill, and parsers ignore it. */
export const SSE_KEEPALIVE = ': keep-alive\n\n';
