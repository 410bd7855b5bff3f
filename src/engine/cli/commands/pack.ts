/**
 * `scout pack`: pack a repository into one prompt (src/engine/pack). Writes the packed text to
 * --out or stdout; with --json, progress text goes nowhere and the last stdout line is one JSON
 * object with the statistics (files, tokens, ms, excluded counts by reason, …).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ScoutError } from '../../errors.js';
import { pack } from '../../pack/pack.js';
import { intOption, parseOptions } from '../args.js';
import type { CliCommand } from '../command.js';

export const command: CliCommand = {
  name: 'pack',
  summary: 'Pack a repository into one prompt: the stable base first, then what the question needs.',
  usage:
    'scout pack [--repo DIR] [--budget N] [--query TEXT] [--out FILE] [--json] [--tokenizer PATH] [--no-cache]\n' +
    '  --repo DIR        repository folder (default: the current folder)\n' +
    '  --budget N        token budget for the whole output (default: none, every file in full)\n' +
    '  --query TEXT      the question: relevant chunks follow the base\n' +
    '  --out FILE        write the packed text here instead of stdout\n' +
    '  --json            print statistics as one JSON object on the last line\n' +
    '  --tokenizer PATH  count with a model folder, tokenizer.json or tokenizer.model (default o200k_base)\n' +
    '  --no-cache        ignore and do not write the analysis cache',
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      repo: { type: 'string' },
      budget: { type: 'string' },
      query: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      tokenizer: { type: 'string' },
      'no-cache': { type: 'boolean' },
    });
    const budget = intOption('budget', values.budget, 1, 100_000_000);
    if (values.query !== undefined && values.query.length > 100_000)
      throw new ScoutError('invalid_argument', '--query is longer than 100,000 characters');
    const root = resolve(values.repo ?? '.');
    const result = await pack(
      { root, budget, query: values.query, signal: io.signal },
      {
        ...(values.tokenizer
          ? { tokenizer: { kind: 'file' as const, path: resolve(values.tokenizer) } }
          : {}),
        ...(values['no-cache'] ? { cacheFile: false as const } : {}),
      },
    );
    if (values.out) {
      try {
        writeFileSync(values.out, result.text);
      } catch (e) {
        throw new ScoutError('io', `cannot write ${values.out}: ${(e as Error).message}`, { cause: e });
      }
    } else if (!values.json) {
      io.stdout.write(result.text);
    }
    const s = result.stats;
    const left = Object.entries(s.excluded)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    io.stderr.write(
      `packed ${s.files} files (${s.represented.full} full, ${s.represented.outline} outlines, ${s.represented.path} paths only), ` +
        `${s.tokens} tokens (${s.tokenizer}), ${s.chunks} question chunks, ${s.ms} ms` +
        (left ? `; left out: ${left}` : '') +
        '\n',
    );
    if (values.json) io.stdout.write(`${JSON.stringify(s)}\n`);
    return 0;
  },
};
