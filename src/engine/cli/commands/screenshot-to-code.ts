/**
 * `scout screenshot-to-code IMAGE`: code for a screenshot, for the workspace's framework (from its
 * package.json) or as one HTML file with Tailwind. The code goes to stdout or --out FILE; the
 * model's answer streams to stderr as it is written. A follow-up round gives the previous code
 * (--previous FILE) and what to change (--instruction "make the header sticky").
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ScoutError } from '../../errors.js';
import { readImageFile } from '../../vision/load.js';
import {
  CODE_TARGETS,
  detectTarget,
  isCodeTarget,
  screenshotToCode,
  sniffImageType,
  type ScreenshotTurn,
} from '../../vision/screenshot-to-code.js';
import { intOption, numberOption, parseOptions } from '../args.js';
import { backendOptions, chooseBackend } from './backend-choice.js';
import type { CliCommand } from '../command.js';

const DEFAULT_MAX_TOKENS = 4096;

async function readInput(path: string, what: string, limit: number): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ScoutError('not_found', `${what} ${path} does not exist or cannot be read`, { cause: e });
  }
  if (bytes.length > limit)
    throw new ScoutError('invalid_argument', `${what} ${path} is larger than ${limit} bytes`);
  return bytes;
}

export const command: CliCommand = {
  name: 'screenshot-to-code',
  summary: 'Write front-end code (HTML with Tailwind, React, Vue or Svelte) for a screenshot.',
  usage:
    'scout screenshot-to-code IMAGE [--target html|react|vue|svelte] [--workspace DIR] [--out FILE] ' +
    '[--instruction TEXT] [--previous FILE] [--model DIR | --endpoint URL [--endpoint-model NAME]] ' +
    '[--max-tokens N] [--temperature T] [--weights f32|bf16|int4_mixed|int4|int4_int8_head]',
  async run(argv, io) {
    const { values, positionals } = parseOptions(
      argv,
      {
        target: { type: 'string' },
        workspace: { type: 'string' },
        out: { type: 'string' },
        instruction: { type: 'string' },
        previous: { type: 'string' },
        ...backendOptions,
        'max-tokens': { type: 'string' },
        temperature: { type: 'string' },
      },
      true,
    );
    if (positionals.length !== 1)
      throw new ScoutError('invalid_argument', 'give exactly one image: scout screenshot-to-code shot.png');
    if (values.target !== undefined && !isCodeTarget(values.target))
      throw new ScoutError(
        'invalid_argument',
        `--target must be one of ${CODE_TARGETS.join(', ')}, got '${values.target}'`,
      );
    if (values.previous !== undefined && !values.instruction?.trim())
      throw new ScoutError('invalid_argument', '--previous needs --instruction: what to change in that code');
    const maxTokens = intOption('max-tokens', values['max-tokens'], 1, 1 << 20) ?? DEFAULT_MAX_TOKENS;
    const temperature = numberOption('temperature', values.temperature, 0, 100) ?? 0;

    const imagePath = positionals[0]!;
    const data = await readImageFile(imagePath);
    const mimeType = sniffImageType(data);
    if (!mimeType) throw new ScoutError('image', `${imagePath} is not a PNG, JPEG, WebP or GIF image`);
    const target =
      values.target !== undefined && isCodeTarget(values.target)
        ? values.target
        : await detectTarget(resolve(values.workspace ?? '.'));
    const history: ScreenshotTurn[] = [];
    if (values.previous !== undefined)
      history.push({ code: (await readInput(values.previous, 'previous code', 1 << 20)).toString('utf8') });

    // A remote server, or the native engine (which reads images with its vision tower).
    const { backend, dispose } = await chooseBackend(values, io);
    try {
      io.stderr.write(`scout: writing ${target} code for ${imagePath}\n`);
      const result = await screenshotToCode(
        backend,
        {
          image: { data, mimeType },
          target,
          history,
          ...(values.instruction ? { instruction: values.instruction } : {}),
        },
        { maxTokens, temperature },
        (text) => io.stderr.write(text),
        io.signal,
      );
      io.stderr.write('\n');
      if (values.out) {
        await writeFile(values.out, result.code.endsWith('\n') ? result.code : `${result.code}\n`);
        io.stderr.write(`scout: wrote ${values.out}\n`);
      } else {
        io.stdout.write(result.code.endsWith('\n') ? result.code : `${result.code}\n`);
      }
      return result.generation.finishReason === 'cancelled' ? 130 : 0;
    } finally {
      await dispose();
    }
  },
};
