/**
 * Model-supplied chat templates are outside input (bad-inputs.md TK5): a hostile one must end in a
 * safe render or a typed 'template' error, quickly, and never take the process down.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScoutError } from '../../src/engine/errors.js';
import {
  expandImagePlaceholders,
  readChatTemplate,
  renderTemplate,
} from '../../src/engine/prompt/template.js';
import { loadO200kBase } from '../../src/engine/tokenizer/o200k-base.js';

const LIMITS = { timeoutMs: 3000, maxOutputChars: 1024 * 1024, maxHeapMb: 128 };

async function expectTemplateError(template: string, message: RegExp): Promise<number> {
  const start = performance.now();
  const error = await renderTemplate(template, { messages: [] }, LIMITS).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ScoutError);
  expect((error as ScoutError).code).toBe('template');
  expect((error as ScoutError).message).toMatch(message);
  return performance.now() - start;
}

describe('renderTemplate', () => {
  it('renders an ordinary template with the given context', async () => {
    const out = await renderTemplate(
      '{% for m in messages %}[{{ m.role }}:{{ m.content | trim }}]{% endfor %}',
      {
        messages: [{ role: 'user', content: ' hi ' }],
      },
    );
    expect(out).toBe('[user:hi]');
  });

  it('gives templates no way to reach Node globals', async () => {
    const out = await renderTemplate(
      '{{ lipsum.__globals__ }}|{{ process }}|{{ "".constructor }}|{{ cycler }}',
      {},
      LIMITS,
    );
    expect(out).toBe('|||');
  });

  it('turns a huge range (which aborts V8 outright) into a typed error', async () => {
    const ms = await expectTemplateError(
      '{% for x in range(10**9) %}{% endfor %}',
      /renderer died|longer than|size/,
    );
    expect(ms).toBeLessThan(LIMITS.timeoutMs + 2000);
  });

  it('stops an endless render at the time limit', async () => {
    const loop = '{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}';
    const ms = await expectTemplateError(loop, /longer than 3000 ms/);
    expect(ms).toBeLessThan(LIMITS.timeoutMs + 2000);
  });

  it('refuses output beyond the cap (a 100 MB render)', async () => {
    const kilobyte = 'x'.repeat(1000);
    await expectTemplateError(
      `{% for a in range(100000) %}${kilobyte}{% endfor %}`,
      /more than the limit|exceeds|died/,
    );
  });

  it('reports syntax errors and raise_exception as typed errors', async () => {
    await expectTemplateError('{% if %}', /chat template/);
    await expectTemplateError('{{ raise_exception("no system role") }}', /no system role/);
  });
});

describe('readChatTemplate', () => {
  it('reads string and named-list templates, and rejects broken configs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scout-template-'));
    expect(await readChatTemplate(dir)).toBeUndefined();
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ chat_template: [{ name: 'default', template: 'T' }] }),
    );
    expect(await readChatTemplate(dir)).toBe('T');
    writeFileSync(join(dir, 'tokenizer_config.json'), '<html>404</html>');
    await expect(readChatTemplate(dir)).rejects.toMatchObject({ code: 'template' });
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: 42 }));
    await expect(readChatTemplate(dir)).rejects.toMatchObject({ code: 'template' });
  });
});

describe('expandImagePlaceholders', () => {
  it('fails when the template placed a different number of images than the messages hold', async () => {
    // o200k_base has no <|image|>: asking for it is itself a typed error.
    const o200k = await loadO200kBase();
    expect(() => expandImagePlaceholders(o200k, [1, 2], [])).toThrow(ScoutError);
  });
});
