/**
 * `scout ask`: Scout's main job from a terminal. Packs the repository, puts its stable base first in
 * the prompt (the shared prefix of every question about it), asks the question with the built-in
 * engine or a remote OpenAI-compatible server, and streams the answer with `path:line` citations.
 */
import { resolve } from 'node:path';
import type { Backend } from '../../backend.js';
import { ScoutError } from '../../errors.js';
import { resolveModel } from '../../model/discover.js';
import { endpointBackend, endpointOptions } from '../../openai/endpoint-options.js';
import { pack } from '../../pack/pack.js';
import { CitationScanner } from '../../session/citations.js';
import { createNativeBackend } from '../../session/native-backend.js';
import { codebaseMessages } from '../../session/prompts.js';
import { repoContext } from '../../session/repo-context.js';
import { intOption, numberOption, parseOptions } from '../args.js';
import { weightOption } from './model-options.js';
import type { CliCommand, CliIO } from '../command.js';

const DEFAULT_CONTEXT = 32_768;
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
        model: { type: 'string' },
        ...endpointOptions,
        budget: { type: 'string' },
        context: { type: 'string' },
        'max-tokens': { type: 'string' },
        temperature: { type: 'string' },
        weights: { type: 'string' },
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
    if (values.model && values.endpoint)
      throw new ScoutError('invalid_argument', 'give --model or --endpoint, not both');
    const weights = weightOption(values.weights);
    const root = resolve(values.repo ?? '.');
    const maxTokens = intOption('max-tokens', values['max-tokens'], 1, 1 << 20) ?? DEFAULT_MAX_TOKENS;
    const temperature = numberOption('temperature', values.temperature, 0, 100) ?? 0;
    const requestedContext = intOption('context', values.context, 1024, 1 << 26);
    const contextSize = requestedContext ?? DEFAULT_CONTEXT;

    let backend: Backend & { dispose?(): Promise<void> };
    let tokenizer: { kind: 'file'; path: string } | { kind: 'o200k_base' };
    let budget: number;
    const remote = endpointBackend(values);
    if (remote) {
      backend = remote;
      tokenizer = { kind: 'o200k_base' };
      budget = intOption('budget', values.budget, 1, 1 << 26) ?? contextSize - maxTokens - PROMPT_OVERHEAD;
    } else {
      const model = await resolveModel(values.model ? { model: values.model } : {});
      note(io, `scout: loading ${model.dir}`);
      // Without --context the engine picks min(the model's maximum, its default).
      const native = await createNativeBackend({
        model: model.dir,
        weights,
        ...(requestedContext ? { contextSize: requestedContext } : {}),
        signal: io.signal,
      });
      backend = native;
      tokenizer = { kind: 'file', path: model.dir };
      budget = Math.min(
        intOption('budget', values.budget, 1, 1 << 26) ?? Number.MAX_SAFE_INTEGER,
        native.contextSize - maxTokens - PROMPT_OVERHEAD,
      );
    }
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
      await backend.dispose?.();
    }
  },
};
