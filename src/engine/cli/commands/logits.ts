/**
 * `scout logits`: full-vocabulary logits for every position of a token prompt, as one JSON object.
 *
 * This is the contract other implementations are checked against (tests compare it with the float64
 * reference and, later, with Hugging Face): keep its output stable. `--step N` feeds the prompt N
 * tokens at a time through the KV cache (N=1 is pure decoding); without it the prompt goes in one piece.
 */
import { once } from 'node:events';
import { ScoutError } from '../../errors.js';
import { TextModel } from '../../native/engine.js';
import { encodeImageFiles } from '../../native/vision.js';
import { intOption, parseOptions, tokenList } from '../args.js';
import type { CliCommand, CliIO } from '../command.js';
import { engineChoice, engineOptions } from './model-options.js';

async function write(io: CliIO, text: string): Promise<void> {
  if (!io.stdout.write(text)) await once(io.stdout, 'drain');
}

export const command: CliCommand = {
  name: 'logits',
  summary: 'Print the logits of every prompt position as {"logits": [[...], ...]}.',
  usage:
    'scout logits --model DIR --tokens 1,2,3 [--image FILE ...] [--step N] [--weights f32|bf16] [--backend cpu] [--threads N]',
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      ...engineOptions,
      tokens: { type: 'string' },
      step: { type: 'string' },
      image: { type: 'string', multiple: true },
    });
    const choice = engineChoice(values);
    if (!values.tokens) throw new ScoutError('invalid_argument', '--tokens is required');
    const tokens = tokenList('tokens', values.tokens);
    const step = intOption('step', values.step, 1, tokens.length) ?? tokens.length;

    const model = await TextModel.load(choice.model, {
      weights: choice.weights,
      threads: choice.threads,
      signal: io.signal,
    });
    const seq = model.newSequence(tokens.length);
    const vocab = model.config.vocabSize;
    let featureRow = 0;
    try {
      // --image: the images' features fill the prompt's <|patch|> positions, in order (llama4.md §4.6).
      const images = values.image ?? [];
      const patchId = model.config.imageTokenIndex;
      const features =
        images.length > 0
          ? (
              await encodeImageFiles(choice.model, images, {
                weights: choice.weights,
                threads: choice.threads,
              })
            ).features
          : undefined;
      const patchCount = tokens.filter((t) => t === patchId).length;
      if (features && features.rows !== patchCount)
        throw new ScoutError(
          'invalid_argument',
          `the images give ${features.rows} feature rows but --tokens holds ${patchCount} <|patch|> tokens (id ${patchId})`,
        );
      await write(io, '{"logits": [');
      for (let start = 0; start < tokens.length; start += step) {
        const piece = tokens.slice(start, start + step);
        let rows: Float32Array;
        if (features) {
          const patches = piece.filter((t) => t === patchId).length;
          const slice = features.data.subarray(
            featureRow * features.width,
            (featureRow + patches) * features.width,
          );
          featureRow += patches;
          rows = (await seq.evalWithImages(piece, slice, 'all', io.signal))!;
        } else {
          rows = (await seq.eval(piece, 'all', io.signal))!;
        }
        for (let r = 0; r < piece.length; r++) {
          const row = Array.from(rows.subarray(r * vocab, (r + 1) * vocab));
          await write(io, `${start + r === 0 ? '' : ','}[${row.join(',')}]`);
        }
      }
      await write(io, ']}\n');
    } finally {
      seq.dispose();
      model.dispose();
    }
    return 0;
  },
};
