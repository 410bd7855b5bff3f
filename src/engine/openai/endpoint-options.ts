/**
 * The CLI options that point a command at a remote OpenAI-compatible server instead of a local
 * model: `--endpoint URL [--endpoint-model NAME]`, with the key read from SCOUT_ENDPOINT_API_KEY
 * (a key on the command line would show in `ps` and in shell history).
 */
import { ScoutError } from '../errors.js';
import { OpenAIBackend } from './client.js';

export const endpointOptions = {
  endpoint: { type: 'string' },
  'endpoint-model': { type: 'string' },
} as const;

export const ENDPOINT_API_KEY_ENV = 'SCOUT_ENDPOINT_API_KEY';

export function endpointBackend(
  values: { endpoint?: string; 'endpoint-model'?: string },
  env: NodeJS.ProcessEnv = process.env,
): OpenAIBackend | undefined {
  if (values.endpoint === undefined) {
    if (values['endpoint-model'] !== undefined)
      throw new ScoutError('invalid_argument', '--endpoint-model needs --endpoint URL');
    return undefined;
  }
  const apiKey = env[ENDPOINT_API_KEY_ENV];
  return new OpenAIBackend({
    endpoint: values.endpoint,
    ...(apiKey ? { apiKey } : {}),
    ...(values['endpoint-model'] !== undefined ? { model: values['endpoint-model'] } : {}),
  });
}
