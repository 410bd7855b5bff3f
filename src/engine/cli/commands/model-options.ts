/** Options shared by the commands that load the native engine (logits, generate). */
import { ScoutError } from '../../errors.js';
import { NATIVE_WEIGHTS } from '../../native/binding.js';
import type { WeightFormat } from '../../native/engine.js';
import { intOption } from '../args.js';

export const engineOptions = {
  model: { type: 'string' },
  weights: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
} as const;

export interface EngineChoice {
  model: string;
  weights: WeightFormat;
  threads: number;
}

export function engineChoice(values: {
  model?: string;
  weights?: string;
  backend?: string;
  threads?: string;
}): EngineChoice {
  if (!values.model) throw new ScoutError('invalid_argument', '--model DIR is required');
  const weights = weightOption(values.weights);
  const backend = values.backend ?? 'cpu';
  if (backend !== 'cpu') throw new ScoutError('invalid_argument', `--backend must be cpu, got '${backend}'`);
  return { model: values.model, weights, threads: intOption('threads', values.threads, 0, 1024) ?? 0 };
}

/** Parses --weights (default f32): one of the engine's weight formats. */
export function weightOption(value: string | undefined): WeightFormat {
  const weights = value ?? 'f32';
  if (!(NATIVE_WEIGHTS as readonly string[]).includes(weights))
    throw new ScoutError(
      'invalid_argument',
      `--weights must be ${NATIVE_WEIGHTS.join(', ')}; got '${weights}'`,
    );
  return weights as WeightFormat;
}
