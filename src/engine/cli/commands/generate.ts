/**
 * `scout generate`: sample from a token prompt, streaming each generated id on its own line as soon
 * as it exists. With --json a last line summarises the run. Text prompts arrive with the tokenizer.
 */
import { ScoutError } from '../../errors.js';
import { TextModel } from '../../native/engine.js';
import { generateFromPrompt } from '../../vision/chat.js';
import { intOption, numberOption, parseOptions, tokenList } from '../args.js';
import type { CliCommand } from '../command.js';
import { engineChoice, engineOptions } from './model-options.js';

export const command: CliCommand = {
  name: 'generate',
  summary: 'Generate token ids from a token prompt, one id per line as they are produced.',
  usage:
    'scout generate --model DIR (--tokens IDS | --prompt TEXT [--image FILE ...]) [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] ' +
    '[--min-p P] [--repetition-penalty R] [--seed S] [--weights f32|bf16] [--json]',
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      ...engineOptions,
      tokens: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      'min-p': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      prompt: { type: 'string' },
      image: { type: 'string', multiple: true },
    });
    const choice = engineChoice(values);
    if (values.image && values.prompt === undefined)
      throw new ScoutError('invalid_argument', '--image needs --prompt TEXT');
    const maxTokens = intOption('max-tokens', values['max-tokens'], 1, 1 << 20) ?? 128;
    const params = {
      maxTokens,
      temperature: numberOption('temperature', values.temperature, 0, 100) ?? 0,
      topK: intOption('top-k', values['top-k'], 0, 1 << 24) ?? 0,
      topP: numberOption('top-p', values['top-p'], 0, 1) ?? 1,
      minP: numberOption('min-p', values['min-p'], 0, 1) ?? 0,
      repetitionPenalty: numberOption('repetition-penalty', values['repetition-penalty'], 0, 100) ?? 1,
      seed: intOption('seed', values.seed, 0, Number.MAX_SAFE_INTEGER) ?? 0,
    };
    // --prompt TEXT [--image FILE ...]: a user turn through the chat formatter; the answer streams as text.
    if (values.prompt !== undefined) {
      if (values.tokens) throw new ScoutError('invalid_argument', 'give --tokens or --prompt, not both');
      return generateFromPrompt(
        { ...choice, signal: io.signal },
        values.prompt,
        values.image ?? [],
        params,
        io,
      );
    }
    if (!values.tokens) throw new ScoutError('invalid_argument', '--tokens (or --prompt) is required');
    const prompt = tokenList('tokens', values.tokens);

    const model = await TextModel.load(choice.model, {
      weights: choice.weights,
      threads: choice.threads,
      signal: io.signal,
    });
    const seq = model.newSequence(prompt.length + maxTokens);
    try {
      const started = performance.now();
      let firstAt = 0;
      const result = await seq.generate(prompt, {
        ...params,
        signal: io.signal,
        onToken: (id) => {
          if (firstAt === 0) firstAt = performance.now();
          io.stdout.write(`${id}\n`);
        },
      });
      const ended = performance.now();
      if (values.json) {
        const decodeSeconds = (ended - firstAt) / 1000;
        io.stdout.write(
          `${JSON.stringify({
            tokens: result.tokens,
            stop_reason: result.stopReason,
            prompt_tokens: prompt.length,
            ttft_ms: Math.round(firstAt - started),
            decode_tok_s:
              result.tokens.length > 1 && decodeSeconds > 0
                ? (result.tokens.length - 1) / decodeSeconds
                : null,
          })}\n`,
        );
      }
    } finally {
      seq.dispose();
      model.dispose();
    }
    return 0;
  },
};
