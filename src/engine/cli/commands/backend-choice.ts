/**
 * The backend a command talks to: a remote OpenAI-compatible server (`--endpoint`) or the built-in
 * engine on the model that `--model`, SCOUT_MODEL or the Hugging Face cache provides. Shared by the
 * commands that chat (ask, screenshot-to-code) so they find, load and report models the same way.
 */
import type { Backend } from '../../backend.js';
import { ScoutError } from '../../errors.js';
import { resolveModel } from '../../model/discover.js';
import { endpointBackend, endpointOptions } from '../../openai/endpoint-options.js';
import { createNativeBackend, type NativeBackend } from '../../session/native-backend.js';
import type { CliIO } from '../command.js';
import { weightOption } from './model-options.js';

export const backendOptions = {
  model: { type: 'string' },
  ...endpointOptions,
  weights: { type: 'string' },
} as const;

export interface BackendChoice {
  backend: Backend;
  /** The built-in engine, when that is what was chosen (its model folder, context, tokenizer). */
  native?: NativeBackend;
  dispose(): Promise<void>;
}

export async function chooseBackend(
  values: { model?: string; endpoint?: string; 'endpoint-model'?: string; weights?: string },
  io: CliIO,
  contextSize?: number,
): Promise<BackendChoice> {
  if (values.model && values.endpoint)
    throw new ScoutError('invalid_argument', 'give --model or --endpoint, not both');
  const weights = weightOption(values.weights);
  const remote = endpointBackend(values);
  if (remote) return { backend: remote, dispose: async () => {} };
  const model = await resolveModel(values.model ? { model: values.model } : {});
  io.stderr.write(`scout: loading ${model.dir}\n`);
  // Without a context size the engine picks min(the model's maximum, its default).
  const native = await createNativeBackend({
    model: model.dir,
    weights,
    ...(contextSize ? { contextSize } : {}),
    signal: io.signal,
  });
  return { backend: native, native, dispose: () => native.dispose() };
}
