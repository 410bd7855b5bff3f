import { describe, expect, it } from 'vitest';
import { findCitations } from '../../../src/extension/chat/citations.js';
import {
  ChatHistory,
  MAX_CONVERSATIONS,
  newConversation,
  titleFor,
  toEngineMessages,
} from '../../../src/extension/chat/conversation.js';
import type { MessageView } from '../../../src/extension/chat/messages.js';
import { checkEndpoint } from '../../../src/extension/endpoint.js';
import { formatBytes, formatTokens } from '../../../src/extension/format.js';
import { checkImage, codeFromAnswer, MAX_IMAGE_BYTES, sniffImage } from '../../../src/extension/images.js';
import { summarizeStatus } from '../../../src/extension/statusText.js';

describe('findCitations', () => {
  it('finds path:line and path:line-line, and skips URLs, times and versions', () => {
    const text =
      'See src/engine/server/core.ts:42 and `lib/a.test.ts:3-9`, not http://localhost:8000/v1 or 12:30 or v1.2:3.';
    expect(findCitations(text).map(({ path, line, endLine }) => ({ path, line, endLine }))).toEqual([
      { path: 'src/engine/server/core.ts', line: 42, endLine: undefined },
      { path: 'lib/a.test.ts', line: 3, endLine: 9 },
    ]);
  });

  it('reports where each citation is so the view can link exactly that text', () => {
    const [m] = findCitations('at ./main.py:7.');
    expect(m).toMatchObject({ index: 3, length: 11, path: './main.py', line: 7 });
  });
});

describe('conversations', () => {
  const msg = (role: 'user' | 'assistant', text: string, extra: Partial<MessageView> = {}): MessageView => ({
    id: text,
    role,
    text,
    images: [],
    citations: [],
    ...extra,
  });

  it('keeps the newest turns that fit and leaves failed answers out of the prompt', () => {
    const messages = [
      msg('user', 'q1'),
      msg('assistant', 'partial', { error: 'engine stopped' }),
      msg('user', 'q2'),
      msg('assistant', 'a2'),
    ];
    expect(toEngineMessages(messages)).toEqual([
      { role: 'user', content: 'q1' },
      { role: 'user', content: 'q2' },
      { role: 'assistant', content: 'a2' },
    ]);
    const long = [msg('user', 'x'.repeat(50_000)), msg('assistant', 'y'.repeat(50_000)), msg('user', 'last')];
    expect(toEngineMessages(long).map((m) => (m.content as string).length)).toEqual([50_000, 4]);
  });

  it('stores history newest first, bounded, without pending flags, and ignores malformed stored data', async () => {
    const store = new Map<string, unknown>();
    const storage = {
      get: (k: string) => store.get(k),
      update: async (k: string, v: unknown) => void store.set(k, v),
    };
    const history = new ChatHistory(storage);
    for (let i = 0; i < MAX_CONVERSATIONS + 3; i++) {
      const c = newConversation(i);
      c.title = `chat ${i}`;
      c.messages.push(msg('user', `q${i}`, { pending: true }));
      await history.save(c);
    }
    const entries = history.entries();
    expect(entries).toHaveLength(MAX_CONVERSATIONS);
    expect(entries[0]!.title).toBe(`chat ${MAX_CONVERSATIONS + 2}`);
    expect(new ChatHistory(storage).find(entries[0]!.id)!.messages[0]).not.toHaveProperty('pending');
    store.set('scout.chatHistory', [
      { id: 1 },
      'x',
      { id: 'a', title: 't', updated: 1, messages: [{ role: 'system', text: 'no' }] },
    ]);
    expect(new ChatHistory(storage).entries()).toEqual([]);
  });

  it('titles a chat by its first line', () => {
    expect(titleFor('  Where is X?\nmore')).toBe('Where is X?');
    expect(titleFor('')).toBe('Screenshot');
    expect(titleFor('a'.repeat(100))).toHaveLength(60);
  });
});

describe('images', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
  it('recognizes PNG, JPEG, WebP and GIF by their bytes, not their names', () => {
    expect(sniffImage(png)).toBe('image/png');
    expect(sniffImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImage(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffImage(new TextEncoder().encode('GIF89a'))).toBe('image/gif');
    expect(sniffImage(new TextEncoder().encode('<html>'))).toBeUndefined();
  });

  it('rejects empty, oversized and non-image data with typed errors', () => {
    expect(checkImage(png, 'a.png')).toMatchObject({ mimeType: 'image/png', name: 'a.png' });
    expect(() => checkImage(new Uint8Array(), 'e.png')).toThrow(
      expect.objectContaining({ code: 'image', message: 'e.png is empty' }),
    );
    expect(() => checkImage(new Uint8Array(MAX_IMAGE_BYTES + 1), 'big.png')).toThrow(/accepted/);
    expect(() => checkImage(new TextEncoder().encode('version https://git-lfs'), 'lfs.png')).toThrow(
      /not a PNG/,
    );
  });

  it('takes the first code block of an answer, or all of it', () => {
    expect(codeFromAnswer('Here:\n```html\n<div></div>\n```\nNotes')).toBe('<div></div>\n');
    expect(codeFromAnswer('<p>plain</p>')).toBe('<p>plain</p>');
    expect(codeFromAnswer('```css\na{}\n')).toBe('a{}\n'); // cut off mid-block
  });
});

describe('status text', () => {
  it('says what to do when the engine failed, and shows model, memory and cache when it runs', () => {
    expect(summarizeStatus({ state: 'failed', status: undefined })).toMatchObject({
      text: '$(error) Scout',
      problem: true,
    });
    const s = summarizeStatus({
      state: 'running',
      status: {
        state: 'ready',
        model: {
          id: '/models/Llama-4-Scout-17B-16E-Instruct',
          source: '/models/x',
          backend: 'native',
          contextLength: 262144,
          weightBytes: 58e9,
        },
        memory: { rssBytes: 2 ** 30, weightBytes: 58e9, kvBytes: 3 * 2 ** 30 },
        context: { tokensInUse: 195_000, capacity: 262_144 },
        cache: { entries: 2, hits: 3, misses: 1, reusedTokens: 190_000 },
      },
    });
    expect(s.text).toBe('$(check) Scout: Llama-4-Scout-17B-16E-Instr…'); // shortened for the status bar
    expect(s.lines[1]).toBe('model: /models/Llama-4-Scout-17B-16E-Instruct (/models/x)');
    expect(s.lines).toContain('context: 195K of 262K tokens in use');
    expect(s.lines.join('\n')).toMatch(
      /KV cache 3.0 GB.*\n.*3 hits \/ 1 misses \(75 % hits\), 190K tokens reused/,
    );
  });

  it('formats sizes and token counts', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(58e9), formatBytes(-1)]).toEqual([
      '512 B',
      '1.5 KB',
      '54.0 GB',
      '–',
    ]);
    expect([formatTokens(999), formatTokens(1500), formatTokens(195_000), formatTokens(3_000_000)]).toEqual([
      '999',
      '1.5K',
      '195K',
      '3.00M',
    ]);
  });
});

describe('checkEndpoint', () => {
  it('accepts http(s) URLs and refuses others, and credentials in the URL', () => {
    expect(checkEndpoint('http://localhost:8000/v1')).toBeUndefined();
    expect(checkEndpoint('https://gpu.example/v1')).toBeUndefined();
    expect(checkEndpoint('localhost:8000')).toMatch(/http/);
    expect(checkEndpoint('file:///etc/passwd')).toMatch(/http or https/);
    expect(checkEndpoint('http://u:p@host/v1')).toMatch(/credentials/);
  });
});
