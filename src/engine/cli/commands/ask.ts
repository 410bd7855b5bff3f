/**
 * `scout ask`: Scout's main job from a terminal. Packs the repository, puts its stable base first in
 * the prompt (the shared prefix of every question about it), asks the question with the built-in
 * engine or a remote OpenAI-compatible server, and streams the answer with `path:line` citations.
 */
import { resolve } from 'node:path';
import { ScoutError } from '../../errors.js';
import { pack } from '../../pack/pack.js';
import { CitationScanner } from '../../session/citations.js';
import { DEFAULT_CONTEXT } from '../../session/native-backend.js';
import { codebaseMessages } from '../../session/prompts.js';
import { repoContext } from '../../session/repo-context.js';
import { intOption, numberOption, parseOptions } from '../args.js';
import { backendOptions, chooseBackend } from './backend-choice.js';
import type { CliCommand, CliIO } from '../command.js';

const DEFAULT_MAX_TOKENS = 1024;
/** Tokens kept for the chat format, the instructions and the question around the pack. */
const PROMPT_OVERHEAD = 1024;

function note(io: CliIO, text: string): void {
  io.stderr.write(`${text}\n`);
}

export const command: CliCommand = {
  name: 'ask',
  summary: 'Ask a question about a repository; the answer streams with path:line citations.',
  usage:
    'scout ask [--repo DIR] [--model DIR | --endpoint URL [--endpoint-model NAME]] [--budget N] ' +
    '[--context N] [--max-tokens N] [--temperature T] [--weights f32|bf16|int4_mixed|int4|int4_int8_head] [--json] "question"',
  async run(argv, io) {
    const { values, positionals } = parseOptions(
      argv,
      {
        repo: { type: 'string' },
        ...backendOptions,
        budget: { type: 'string' },
        context: { type: 'string' },
        'max-tokens': { type: 'string' },
        temperature: { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    const question = positionals.join(' ').trim();
    if (!question)
      throw new ScoutError(
        'invalid_argument',
        'ask needs a question, e.g. scout ask "where is the config parsed?"',
      );
    const root = resolve(values.repo ?? '.');
    const maxTokens = intOption('max-tokens', values['max-tokens'], 1, 1 << 20) ?? DEFAULT_MAX_TOKENS;
    const temperature = numberOption('temperature', values.temperature, 0, 100) ?? 0;
    const requestedContext = intOption('context', values.context, 1024, 1 << 26);
    const requestedBudget = intOption('budget', values.budget, 1, 1 << 26);

    const { backend, native, dispose } = await chooseBackend(values, io, requestedContext);
    // The pack is counted with the model's own tokenizer when it is local, o200k_base otherwise.
    const tokenizer = native
      ? ({ kind: 'file', path: native.model.dir } as const)
      : ({ kind: 'o200k_base' } as const);
    const room = (native?.contextSize ?? requestedContext ?? DEFAULT_CONTEXT) - maxTokens - PROMPT_OVERHEAD;
    const budget = native
      ? Math.min(requestedBudget ?? Number.MAX_SAFE_INTEGER, room)
      : (requestedBudget ?? room);
    if (budget < 1)
      throw new ScoutError(
        'invalid_argument',
        `--max-tokens ${maxTokens} leaves no room for the repository in the context`,
      );

    try {
      const packed = await pack({ root, budget, query: question, signal: io.signal }, { tokenizer });
      note(
        io,
        `scout: packed ${packed.stats.files} files, ${packed.stats.tokens} tokens (${Math.round(packed.stats.ms)} ms)`,
      );
      const repo = repoContext(packed);
      const scanner = new CitationScanner(repo.paths);
      const result = await backend.chat(
        {
          messages: codebaseMessages(repo, [{ role: 'user', content: question }]),
          params: { maxTokens, temperature },
        },
        (text) => {
          io.stdout.write(text);
          scanner.push(text);
        },
        io.signal,
      );
      io.stdout.write('\n');
      const citations = scanner.all();
      if (citations.length > 0)
        note(
          io,
          `scout: cited ${citations.map((c) => `${c.path}:${c.line}${c.endLine ? `-${c.endLine}` : ''}`).join(', ')}`,
        );
      if (values.json) {
        const s = result.stats;
        io.stdout.write(
          `${JSON.stringify({
            prompt_tokens: s.promptTokens,
            reused_tokens: s.reusedTokens,
            prefill_ms: s.prefillMs,
            ttft_ms: s.ttftMs,
            decode_tok_s: s.decodeTokS,
            completion_tokens: s.completionTokens,
            finish_reason: result.finishReason,
            pack_tokens: packed.stats.tokens,
            base_tokens: packed.stats.baseTokens,
            citations,
          })}\n`,
        );
      }
      return result.finishReason === 'cancelled' ? 130 : 0;
    } finally {
      await dispose();
    }
  },
};
