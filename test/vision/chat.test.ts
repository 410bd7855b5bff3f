/**
 * Image + text in, tokens out on the native engine: the tiny vision chat model (real vocabulary,
 * tokenizer and image ids; a tower with 144 features per tile), through chatWithImages and the
 * `scout screenshot-to-code` command.
 */
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command as generateCommand } from '../../src/engine/cli/commands/generate.js';
import { command as screenshotCommand } from '../../src/engine/cli/commands/screenshot-to-code.js';
import { ScoutError } from '../../src/engine/errors.js';
import { TextModel } from '../../src/engine/native/engine.js';
import { VisionEncoder } from '../../src/engine/native/vision.js';
import { formatLlama4Chat, imageTokenCount } from '../../src/engine/prompt/index.js';
import type { BpeTokenizer } from '../../src/engine/tokenizer/bpe.js';
import { loadTokenizer } from '../../src/engine/tokenizer/load.js';
import { chatWithImages } from '../../src/engine/vision/chat.js';
import { visionChatModelDir } from '../fixtures/llama4-vision.js';

let dir: string;
let model: TextModel;
let vision: VisionEncoder;
let tokenizer: BpeTokenizer;
let wide: Buffer;

async function png(width: number, height: number, seed: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 17 + ((i * i) % 11)) % 256;
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

beforeAll(async () => {
  dir = await visionChatModelDir();
  model = await TextModel.load(dir, { threads: 2 });
  vision = await VisionEncoder.load(dir, { threads: 2 });
  tokenizer = await loadTokenizer(dir);
  wide = await png(100, 40, 1); // 48 px tiles: a 1×3 canvas, plus the global tile
}, 120_000);
afterAll(() => {
  vision?.dispose();
  model?.dispose();
});

describe('chatWithImages', () => {
  it('turns an image and a question into tokens, deterministically', async () => {
    expect(model.config.imageTokenIndex).toBe(200092);
    expect(vision.config.tokensPerTile).toBe(144);
    const messages = [
      {
        role: 'user' as const,
        content: [
          { type: 'image' as const, data: new Uint8Array(wide), mimeType: 'image/png' },
          { type: 'text' as const, text: 'What is in this picture?' },
        ],
      },
    ];
    const run = () => chatWithImages(model, vision, tokenizer, messages, { maxTokens: 6, temperature: 0 });
    const first = await run();
    expect(first.tokens.length).toBeGreaterThan(0);
    expect(first.tokens.length).toBeLessThanOrEqual(6);
    const grid = { rows: 1, cols: 3 };
    const expected = formatLlama4Chat(tokenizer, [
      {
        role: 'user',
        content: [
          { type: 'image', ...grid },
          { type: 'text', text: 'What is in this picture?' },
        ],
      },
    ]).ids;
    expect(first.promptTokens).toBe(expected.length);
    expect(expected.filter((t) => t === 200092).length).toBe(4 * 144);
    expect(imageTokenCount(grid)).toBe(1 + 3 * 144 + 2 + 1 + 1 + 144 + 1);
    expect((await run()).tokens).toEqual(first.tokens);
  });

  it('refuses a corrupt image with a typed error before any model work', async () => {
    const messages = [
      {
        role: 'user' as const,
        content: [
          { type: 'image' as const, data: new Uint8Array(wide.subarray(0, 60)), mimeType: 'image/png' },
        ],
      },
    ];
    const err = await chatWithImages(model, vision, tokenizer, messages, { maxTokens: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScoutError);
    expect((err as ScoutError).code).toBe('image');
    expect((err as ScoutError).message).toMatch(/^image 1 is/);
  });
});

describe('scout screenshot-to-code on the native engine', () => {
  it('runs image → prompt → tokens end to end (the random model writes no code: a typed error says so)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'scout-s2c-'));
    writeFileSync(join(work, 'shot.png'), wide);
    const stderr = new PassThrough();
    const said: Buffer[] = [];
    stderr.on('data', (c: Buffer) => said.push(c));
    const io = { stdout: new PassThrough(), stderr, isTTY: false, signal: new AbortController().signal };
    const args = [join(work, 'shot.png'), '--model', dir, '--workspace', work, '--max-tokens', '4'];
    const err = await screenshotCommand.run(args, io).then(
      () => undefined,
      (e: unknown) => e,
    );
    const log = Buffer.concat(said).toString('utf8');
    expect(log).toMatch(/writing html code for/);
    expect(err).toBeInstanceOf(ScoutError);
    expect((err as ScoutError).message).toMatch(/answered without any code/);
  }, 60_000);

  it('rejects a file that is not an image before loading anything', async () => {
    const work = mkdtempSync(join(tmpdir(), 'scout-s2c-'));
    writeFileSync(join(work, 'notes.png'), 'hello');
    const io = {
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      isTTY: false,
      signal: new AbortController().signal,
    };
    const err = await screenshotCommand.run([join(work, 'notes.png'), '--model', '/nonexistent'], io).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as ScoutError).code).toBe('image');
  });
});

describe('scout generate --prompt --image', () => {
  function io() {
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    return {
      io: { stdout, stderr: new PassThrough(), isTTY: false, signal: new AbortController().signal },
      text: () => Buffer.concat(out).toString('utf8'),
    };
  }

  it('answers a user turn with an image and streams the same text chatWithImages gives', async () => {
    const work = mkdtempSync(join(tmpdir(), 'scout-gen-'));
    writeFileSync(join(work, 'shot.png'), wide);
    const run = io();
    const code = await generateCommand.run(
      [
        '--model',
        dir,
        '--prompt',
        'What is in this picture?',
        '--image',
        join(work, 'shot.png'),
        '--max-tokens',
        '6',
      ],
      run.io,
    );
    expect(code).toBe(0);
    const direct = await chatWithImages(
      model,
      vision,
      tokenizer,
      [
        {
          role: 'user',
          content: [
            { type: 'image', data: new Uint8Array(wide), mimeType: 'image/png' },
            { type: 'text', text: 'What is in this picture?' },
          ],
        },
      ],
      { maxTokens: 6, temperature: 0 },
    );
    expect(run.text()).toBe(`${direct.text}\n`);
  }, 60_000);

  it('refuses --image without --prompt and --tokens with --prompt', async () => {
    for (const args of [
      ['--model', dir, '--tokens', '1,2', '--image', 'x.png'],
      ['--model', dir, '--tokens', '1,2', '--prompt', 'hi'],
    ]) {
      const err = await generateCommand.run(args, io().io).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as ScoutError).code).toBe('invalid_argument');
    }
  });
});
