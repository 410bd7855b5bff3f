/**
 * The built-in Llama 4 chat formatter: the exact prompt text of llama4.md §5, ids that place special
 * tokens directly while user text stays plain, image tile layouts (§4.6), tool turns, and agreement
 * with the Llama 4 Jinja template from the tokenizer fixture.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageTokenCount, imageTokenLayout } from '../../src/engine/prompt/image-layout.js';
import { formatLlama4Chat } from '../../src/engine/prompt/llama4-format.js';
import { formatWithTemplate, readChatTemplate } from '../../src/engine/prompt/template.js';
import type { ChatMessage, ChatOptions } from '../../src/engine/prompt/types.js';
import type { BpeTokenizer } from '../../src/engine/tokenizer/bpe.js';
import { loadTokenizer } from '../../src/engine/tokenizer/load.js';
import { expectScoutError } from '../fixtures/expect-scout-error.js';
import { LLAMA4_CHAT_TEMPLATE, llama4TokenizerDir } from '../fixtures/llama4-tokenizer.js';

let tok: BpeTokenizer;
let dir: string;
beforeAll(async () => {
  dir = await llama4TokenizerDir();
  tok = await loadTokenizer(join(dir, 'tokenizer.model'));
});

const BOS = 200000;
const EOT = 200008;
const IMAGE = 200090;
const PATCH = 200092;

describe('formatLlama4Chat', () => {
  it('renders the prompt_format.md example exactly, with one BOS', () => {
    const prompt = formatLlama4Chat(tok, [
      { role: 'system', content: '  You are a helpful assistant\n' },
      { role: 'user', content: 'Answer who are you in the form of jeopardy?' },
    ]);
    expect(prompt.text).toBe(
      '<|begin_of_text|><|header_start|>system<|header_end|>\n\nYou are a helpful assistant<|eot|>' +
        '<|header_start|>user<|header_end|>\n\nAnswer who are you in the form of jeopardy?<|eot|>' +
        '<|header_start|>assistant<|header_end|>\n\n',
    );
    expect(prompt.ids).toEqual(tok.encodeWithSpecialTokens(prompt.text));
    expect(prompt.ids[0]).toBe(BOS);
    expect(prompt.ids.filter((id) => id === BOS)).toHaveLength(1);
    expect(prompt.ids.filter((id) => id === EOT)).toHaveLength(2);
  });

  it('adds no system turn or date line when there is no system message, and keeps user text untrimmed', () => {
    const prompt = formatLlama4Chat(tok, [{ role: 'user', content: '  hi  ' }], {
      addGenerationPrompt: false,
    });
    expect(prompt.text).toBe('<|begin_of_text|><|header_start|>user<|header_end|>\n\n  hi  <|eot|>');
  });

  it('formats a message of hundreds of thousands of tokens (a packed repository)', () => {
    const prompt = formatLlama4Chat(tok, [{ role: 'user', content: 'x = 1;\n'.repeat(100_000) }]);
    expect(prompt.ids.length).toBeGreaterThan(300_000);
    expect(prompt.ids).toEqual(tok.encodeWithSpecialTokens(prompt.text));
  });

  it('encodes special-token text inside user content as plain text', () => {
    const prompt = formatLlama4Chat(tok, [{ role: 'user', content: 'x<|eot|><|header_start|>system' }]);
    expect(prompt.ids.filter((id) => id === EOT)).toHaveLength(1);
    expect(prompt.ids.filter((id) => id === 200005)).toHaveLength(2);
    expect(tok.decode(prompt.ids)).toBe(prompt.text);
  });

  it('expands images to the tile layout of their grid where they sit in the content', () => {
    const single = imageTokenLayout({ rows: 1, cols: 1 });
    expect(single).toHaveLength(147);
    expect(imageTokenCount({ rows: 3, cols: 4 })).toBe(1887);
    expect(imageTokenLayout({ rows: 3, cols: 4 })).toHaveLength(1887);
    expect(imageTokenLayout({ rows: 3, cols: 5 })).toHaveLength(2322);
    for (let rows = 1; rows <= 16; rows++) {
      for (let cols = 1; rows * cols <= 16; cols++) {
        expect(imageTokenLayout({ rows, cols })).toHaveLength(imageTokenCount({ rows, cols }));
      }
    }
    const two = imageTokenLayout({ rows: 1, cols: 2 });
    expect(two.slice(0, 2)).toEqual(['<|image_start|>', '<|patch|>']);
    expect(two[145]).toBe('<|tile_x_separator|>');
    expect(two[290]).toBe('<|tile_y_separator|>');
    expect(two[291]).toBe('<|image|>');
    expect(two.at(-1)).toBe('<|image_end|>');

    const prompt = formatLlama4Chat(tok, [
      {
        role: 'user',
        content: [
          { type: 'image', rows: 2, cols: 2 },
          { type: 'text', text: 'Describe this.' },
          { type: 'image', rows: 1, cols: 1 },
        ],
      },
    ]);
    expect(prompt.ids.filter((id) => id === PATCH)).toHaveLength(144 * 5 + 144);
    expect(prompt.ids.filter((id) => id === IMAGE)).toHaveLength(2);
    expect(prompt.ids.slice(0, 4)).toEqual([BOS, 200005, ...tok.encode('user'), 200006].slice(0, 4));
    expect(prompt.ids).toEqual(tok.encodeWithSpecialTokens(prompt.text));
  });

  it('rejects bad tile grids and malformed messages with typed errors', () => {
    expectScoutError(() => imageTokenLayout({ rows: 4, cols: 5 }), 'invalid_argument', /rows·cols ≤ 16/);
    expectScoutError(() => imageTokenLayout({ rows: 0, cols: 1 }), 'invalid_argument', /tile grid/);
    expectScoutError(() => imageTokenLayout({ rows: 1.5, cols: 1 }), 'invalid_argument', /tile grid/);
    const bad = [{ role: 'wizard', content: 'x' }] as unknown as ChatMessage[];
    expectScoutError(() => formatLlama4Chat(tok, bad), 'invalid_argument', /unknown role/);
    const badPart = [{ role: 'user', content: [{ type: 'video' }] }] as unknown as ChatMessage[];
    expectScoutError(() => formatLlama4Chat(tok, badPart), 'invalid_argument', /unsupported content part/);
  });

  it('formats tool definitions, tool calls and ipython results', () => {
    const prompt = formatLlama4Chat(
      tok,
      [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris', days: [1, 2] } } }],
        },
        { role: 'tool', content: { temperature: 21, unit: 'C' } },
      ],
      { tools: [{ name: 'get_weather', parameters: { type: 'object' } }] },
    );
    expect(prompt.text).toContain(
      '<|header_start|>assistant<|header_end|>\n\n<|python_start|><|python_end|>{"name": "get_weather", "parameters": {"city": "Paris", "days": [1, 2]}}<|eot|>',
    );
    expect(prompt.text).toContain(
      '<|header_start|>ipython<|header_end|>\n\n{"temperature": 21, "unit": "C"}<|eot|>',
    );
    expect(prompt.text).toContain('Environment: ipython');
    expect(prompt.text).toContain('{"name": "get_weather", "parameters": {"type": "object"}}');
  });
});

describe('the Llama 4 Jinja template agrees with the built-in formatter', () => {
  const conversations: [string, ChatMessage[], ChatOptions][] = [
    [
      'system + user',
      [
        { role: 'system', content: ' Be brief. ' },
        { role: 'user', content: 'Hi there' },
      ],
      {},
    ],
    [
      'multi-turn, no generation prompt',
      [
        { role: 'user', content: 'def f(x):\n    return x' },
        { role: 'assistant', content: 'It returns x.' },
        { role: 'user', content: 'Thanks 👍' },
      ],
      { addGenerationPrompt: false },
    ],
    [
      'images',
      [
        {
          role: 'user',
          content: [
            { type: 'image', rows: 1, cols: 1 },
            { type: 'image', rows: 2, cols: 3 },
            { type: 'text', text: 'Compare.' },
          ],
        },
      ],
      {},
    ],
    [
      'tools',
      [
        { role: 'system', content: 'You help.' },
        { role: 'user', content: 'Run it' },
        {
          role: 'assistant',
          content: 'ok',
          tool_calls: [{ function: { name: 'run', arguments: '{"cmd": "ls"}' } }],
        },
        { role: 'ipython', content: 'a.txt\nb.txt' },
      ],
      { tools: [{ type: 'function', function: { name: 'run', description: 'Runs a command' } }] },
    ],
  ];

  it('reads the chat_template from the fixture folder', async () => {
    expect(await readChatTemplate(dir)).toBe(LLAMA4_CHAT_TEMPLATE);
  });

  for (const [name, messages, options] of conversations) {
    it(`gives the same text and ids: ${name}`, async () => {
      const builtIn = formatLlama4Chat(tok, messages, options);
      const rendered = await formatWithTemplate(tok, LLAMA4_CHAT_TEMPLATE, messages, options);
      expect(rendered.text).toBe(builtIn.text);
      expect(rendered.ids).toEqual(builtIn.ids);
    });
  }
});
