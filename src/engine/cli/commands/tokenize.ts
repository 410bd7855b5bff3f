/**
 * `scout tokenize`: token ids (or their count) for a text, with a model's tokenizer or o200k_base.
 * Prints exactly one JSON value on stdout, so scripts and tests can compare it with other tools.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ScoutError } from '../../errors.js';
import { loadTokenizer } from '../../tokenizer/load.js';
import { loadO200kBase } from '../../tokenizer/o200k-base.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { parseOptions } from '../args.js';
import type { CliCommand } from '../command.js';

/** Larger inputs belong to `scout pack`, which streams files; this reads the whole text at once. */
const MAX_INPUT_BYTES = 512 * 1024 * 1024;

async function readInput(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ScoutError('invalid_argument', `--file ${path} is not a file`);
    if (info.size > MAX_INPUT_BYTES) {
      throw new ScoutError(
        'invalid_argument',
        `--file ${path} is ${info.size} bytes, more than ${MAX_INPUT_BYTES}`,
      );
    }
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof ScoutError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScoutError(
      code === 'ENOENT' ? 'not_found' : 'io',
      `cannot read ${path}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

export const command: CliCommand = {
  name: 'tokenize',
  summary: 'Print the token ids of a text (or their number) as JSON.',
  usage:
    'scout tokenize (--tokenizer PATH | --encoding o200k_base) (--text T | --file F) [--count]\n' +
    '  --tokenizer PATH   a model folder, tokenizer.json or tokenizer.model\n' +
    '  --encoding NAME    a built-in encoding: o200k_base\n' +
    '  --text T           the text to encode (special-token text is encoded as plain text)\n' +
    '  --file F           read the text from a UTF-8 file instead\n' +
    '  --count            print the number of tokens instead of the ids',
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      tokenizer: { type: 'string' },
      encoding: { type: 'string' },
      text: { type: 'string' },
      file: { type: 'string' },
      count: { type: 'boolean' },
    });
    if ((values.tokenizer === undefined) === (values.encoding === undefined)) {
      throw new ScoutError(
        'invalid_argument',
        'give exactly one of --tokenizer PATH or --encoding o200k_base',
      );
    }
    if (values.encoding !== undefined && values.encoding !== 'o200k_base') {
      throw new ScoutError('invalid_argument', `unknown --encoding '${values.encoding}' (known: o200k_base)`);
    }
    if ((values.text === undefined) === (values.file === undefined)) {
      throw new ScoutError('invalid_argument', 'give exactly one of --text T or --file F');
    }
    const text = values.text ?? (await readInput(resolve(values.file!)));
    const tokenizer: Tokenizer = values.tokenizer
      ? await loadTokenizer(resolve(values.tokenizer))
      : await loadO200kBase();
    io.stdout.write(`${JSON.stringify(values.count ? tokenizer.count(text) : tokenizer.encode(text))}\n`);
    return 0;
  },
};
