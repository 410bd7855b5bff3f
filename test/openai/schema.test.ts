import { describe, expect, it } from 'vitest';
import { decodeImageDataUrl, encodeImageDataUrl } from '../../src/engine/openai/images.js';
import {
  DEFAULT_REQUEST_LIMITS,
  parseChatRequest,
  parseCompletionRequest,
} from '../../src/engine/openai/schema.js';
import { InvalidRequestError } from '../../src/engine/openai/wire-errors.js';
import { PNG_BYTES } from './helpers.js';

const PNG_URL = encodeImageDataUrl(PNG_BYTES, 'image/png');

/** The error a parse throws, for asserting its field and message. */
function refusal(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidRequestError) return e;
    throw e;
  }
  throw new Error('expected the request to be refused');
}

const user = (content: unknown) => ({ messages: [{ role: 'user', content }] });

describe('parseChatRequest', () => {
  it('maps every supported field to the backend request', () => {
    const parsed = parseChatRequest({
      model: 'scout',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: PNG_URL, detail: 'auto' } },
          ],
        },
        { role: 'assistant', content: null },
      ],
      max_completion_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      top_k: -1,
      min_p: 0.05,
      repetition_penalty: 1.1,
      seed: 42,
      stop: 'END',
      stream: true,
      stream_options: { include_usage: true },
      n: 1,
      frequency_penalty: 0,
      user: 'someone',
    });
    expect(parsed.stream).toBe(true);
    expect(parsed.includeUsage).toBe(true);
    expect(parsed.request.model).toBe('scout');
    expect(parsed.request.params).toEqual({
      maxTokens: 64,
      temperature: 0.2,
      topP: 0.9,
      minP: 0.05,
      repetitionPenalty: 1.1,
      seed: 42,
      stop: ['END'],
    });
    const [system, question, answer] = parsed.request.messages;
    expect(system).toEqual({ role: 'system', content: 'Be brief.' });
    expect(answer).toEqual({ role: 'assistant', content: '' });
    expect(question!.content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image', data: PNG_BYTES, mimeType: 'image/png' },
    ]);
  });

  it('accepts the image URL as a bare string (vLLM form) and image/jpg as JPEG', () => {
    const jpeg = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0x10);
    const url = encodeImageDataUrl(jpeg, 'image/jpg');
    const parsed = parseChatRequest(user([{ type: 'image_url', image_url: url }]));
    expect(parsed.request.messages[0]!.content).toEqual([
      { type: 'image', data: jpeg, mimeType: 'image/jpeg' },
    ]);
  });

  it('refuses network and file image URLs: Scout never fetches', () => {
    const http = refusal(() =>
      parseChatRequest(user([{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }])),
    );
    expect(http.param).toBe('messages[0].content[0].image_url.url');
    expect(http.message).toMatch(/does not fetch images from the network/);
    expect(
      refusal(() => parseChatRequest(user([{ type: 'image_url', image_url: 'file:///etc/passwd' }]))).message,
    ).toMatch(/only data:image/);
  });

  it('refuses image payloads that are not what they claim', () => {
    const cases: [string, RegExp][] = [
      ['data:image/png;base64,' + Buffer.from('GIF89a......').toString('base64'), /not a PNG file/],
      ['data:image/svg+xml;base64,PHN2Zz4=', /image type 'image\/svg\+xml' is not supported/],
      ['data:image/png,rawbytes', /must be base64/],
      ['data:image/png;base64,@@@@', /not valid base64/],
      ['data:image/png;base64,', /empty/],
      ['data:image/png;base64', /no comma/],
    ];
    for (const [url, message] of cases) {
      expect(
        refusal(() => parseChatRequest(user([{ type: 'image_url', image_url: { url } }]))).message,
      ).toMatch(message);
    }
  });

  it('enforces the image count and decoded-size limits before decoding', () => {
    const limits = { ...DEFAULT_REQUEST_LIMITS, maxImages: 2, maxImageBytes: 100 };
    const part = { type: 'image_url', image_url: { url: PNG_URL } };
    expect(refusal(() => parseChatRequest(user([part, part, part]), limits)).message).toMatch(
      /at most 2 images/,
    );
    const big = encodeImageDataUrl(new Uint8Array(101).fill(0x89), 'image/png');
    expect(
      refusal(() => parseChatRequest(user([{ type: 'image_url', image_url: big }]), limits)).message,
    ).toMatch(/101 bytes; the limit is 100/);
    const inAssistant = { messages: [{ role: 'assistant', content: [part] }] };
    expect(refusal(() => parseChatRequest(inAssistant)).message).toMatch(/only allowed in user messages/);
  });

  it('names the field at fault for wrong types, ranges and unknown fields', () => {
    const cases: [unknown, string, RegExp][] = [
      [[], '', /JSON object/],
      [{ messages: [] }, 'messages', /non-empty array/],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', /must be one of/],
      [{ messages: [{ role: 'user' }] }, 'messages[0].content', /is required/],
      [{ messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', /string or an array/],
      [user([{ type: 'input_audio' }]), 'messages[0].content[0].type', /not supported/],
      [{ ...user('x'), temperature: 3 }, 'temperature', /\[0, 2\]/],
      [{ ...user('x'), top_p: 0 }, 'top_p', /\(0, 1\]/],
      [{ ...user('x'), max_tokens: 1.5 }, 'max_tokens', /integer/],
      [{ ...user('x'), max_tokens: 0 }, 'max_tokens', /\[1, /],
      [{ ...user('x'), max_tokens: 5, max_completion_tokens: 6 }, 'max_completion_tokens', /disagrees/],
      [{ ...user('x'), seed: -1 }, 'seed', /\[0, /],
      [{ ...user('x'), stop: ['ok', ''] }, 'stop', /non-empty/],
      [{ ...user('x'), stream: 'yes' }, 'stream', /true or false/],
      [
        { ...user('x'), stream_options: { include_usage: true } },
        'stream_options',
        /only allowed when stream/,
      ],
      [{ ...user('x'), n: 2 }, 'n', /n must be 1/],
      [{ ...user('x'), tools: [{ type: 'function' }] }, 'tools', /not supported/],
      [{ ...user('x'), response_format: { type: 'json_object' } }, 'response_format', /only response_format/],
      [{ ...user('x'), temprature: 0.5 }, 'temprature', /unrecognized/],
      [{ messages: [{ role: 'user', content: 'x', extra: 1 }] }, 'messages[0].extra', /unrecognized/],
    ];
    for (const [body, param, message] of cases) {
      const e = refusal(() => parseChatRequest(body));
      expect(e.param ?? '', JSON.stringify(body)).toBe(param);
      expect(e.message).toMatch(message);
      expect(e.code).toBe('invalid_argument');
    }
  });

  it('treats null as absent, as the OpenAI SDKs send it', () => {
    const parsed = parseChatRequest({
      ...user('hi'),
      max_tokens: null,
      stop: null,
      temperature: null,
      stream: null,
    });
    expect(parsed.stream).toBe(false);
    expect(parsed.request.params).toEqual({});
  });

  it('limits the number of messages and stop sequences', () => {
    const limits = { ...DEFAULT_REQUEST_LIMITS, maxMessages: 2, maxStopSequences: 1 };
    const three = { messages: [1, 2, 3].map(() => ({ role: 'user', content: 'x' })) };
    expect(refusal(() => parseChatRequest(three, limits)).message).toMatch(/at most 2 messages/);
    expect(refusal(() => parseChatRequest({ ...user('x'), stop: ['a', 'b'] }, limits)).message).toMatch(
      /at most 1 stop/,
    );
  });
});

describe('parseCompletionRequest', () => {
  it('maps prompt, suffix and parameters; a one-element prompt batch is a prompt', () => {
    const parsed = parseCompletionRequest({
      prompt: ['def add'],
      suffix: '\n',
      max_tokens: 8,
      echo: false,
      logprobs: null,
    });
    expect(parsed.request).toEqual({ prompt: 'def add', suffix: '\n', params: { maxTokens: 8 } });
    expect(parsed.stream).toBe(false);
  });

  it('refuses token-id prompts, batches, echo and best_of', () => {
    expect(refusal(() => parseCompletionRequest({ prompt: [1, 2, 3] })).param).toBe('prompt');
    expect(refusal(() => parseCompletionRequest({ prompt: ['a', 'b'] })).param).toBe('prompt');
    expect(refusal(() => parseCompletionRequest({ prompt: 'a', echo: true })).param).toBe('echo');
    expect(refusal(() => parseCompletionRequest({ prompt: 'a', best_of: 2 })).param).toBe('best_of');
    expect(refusal(() => parseCompletionRequest({ prompt: 'a', max_completion_tokens: 2 })).param).toBe(
      'max_completion_tokens',
    );
  });
});

describe('decodeImageDataUrl', () => {
  it('round-trips every supported type', () => {
    const samples: Record<string, Uint8Array> = {
      'image/png': PNG_BYTES,
      'image/jpeg': Uint8Array.of(0xff, 0xd8, 0xff, 0xdb),
      'image/gif': new Uint8Array(Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1')),
      'image/webp': new Uint8Array(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1')),
    };
    for (const [mimeType, data] of Object.entries(samples)) {
      expect(decodeImageDataUrl(encodeImageDataUrl(data, mimeType), 'p', 1024)).toEqual({ data, mimeType });
    }
  });
});
