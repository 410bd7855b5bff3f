/**
 * `scout serve`: the OpenAI-compatible API on this machine, so Open WebUI, the OpenAI SDKs and any
 * other OpenAI client can use Scout's engine (`--model DIR`), or a loopback front for a remote
 * server (`--endpoint URL`, e.g. a vLLM that serves Llama 4 Scout across several GPUs).
 *
 * Prints one JSON line `{"url": …}` on stdout once it listens (scripts and tests read the port
 * from it when --port 0), then serves until SIGINT, when it finishes cleanly.
 */
import type { Backend } from '../../backend.js';
import { ScoutError } from '../../errors.js';
import { endpointBackend, endpointOptions } from '../../openai/endpoint-options.js';
import { DEFAULT_PORT, isLoopbackHost, OpenAIServer } from '../../openai/server.js';
import { intOption, parseOptions } from '../args.js';
import type { CliCommand, CliIO } from '../command.js';
import { engineChoice, engineOptions } from './model-options.js';

export const API_KEY_ENV = 'SCOUT_API_KEY';

interface ServedBackend {
  backend: Backend;
  dispose(): Promise<void>;
}

interface BackendValues {
  model?: string;
  weights?: string;
  backend?: string;
  threads?: string;
  context?: string;
  endpoint?: string;
  'endpoint-model'?: string;
}

async function openBackend(values: BackendValues, io: CliIO): Promise<ServedBackend> {
  if ((values.model === undefined) === (values.endpoint === undefined))
    throw new ScoutError('invalid_argument', 'give exactly one of --model DIR or --endpoint URL');
  const remote = endpointBackend(values);
  if (remote) {
    const local = (['weights', 'backend', 'threads', 'context'] as const).filter(
      (k) => values[k] !== undefined,
    );
    if (local.length > 0)
      throw new ScoutError('invalid_argument', `--${local[0]} applies to --model, not to --endpoint`);
    // Fails now, with the server's own message, rather than on the first client request.
    await remote.listModels(io.signal);
    return { backend: remote, dispose: async () => {} };
  }
  // Loaded only here, so `scout serve --endpoint` never loads the native addon.
  const { createNativeBackend } = await import('../../session/native-backend.js');
  const choice = engineChoice(values);
  const contextSize = intOption('context', values.context, 1, 1 << 24);
  let lastStage = '';
  const native = await createNativeBackend({
    ...choice,
    ...(contextSize !== undefined ? { contextSize } : {}),
    signal: io.signal,
    // One line per loading stage; the byte counts would flood a log.
    onProgress: (stage: string) => {
      if (stage !== lastStage) io.stderr.write(`scout serve: ${stage}\n`);
      lastStage = stage;
    },
  });
  return { backend: native, dispose: () => native.dispose() };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export const command: CliCommand = {
  name: 'serve',
  summary:
    'Serve the OpenAI API (/v1/models, /v1/chat/completions, /v1/completions) for a model or a remote endpoint.',
  usage:
    'scout serve (--model DIR [--weights f32|bf16] [--threads N] [--context N] | --endpoint URL [--endpoint-model NAME])\n' +
    '            [--host 127.0.0.1] ' +
    `[--port ${DEFAULT_PORT}] [--api-key KEY] [--max-body-mb N] [--max-images N]\n\n` +
    `  A host other than loopback requires an API key (--api-key or ${API_KEY_ENV}); clients send it as\n` +
    '  "Authorization: Bearer KEY". The remote endpoint\'s own key is read from SCOUT_ENDPOINT_API_KEY.',
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      ...engineOptions,
      context: { type: 'string' },
      ...endpointOptions,
      host: { type: 'string' },
      port: { type: 'string' },
      'api-key': { type: 'string' },
      'max-body-mb': { type: 'string' },
      'max-images': { type: 'string' },
    });
    const port = intOption('port', values.port, 0, 65535) ?? DEFAULT_PORT;
    const maxBodyMb = intOption('max-body-mb', values['max-body-mb'], 1, 1024);
    const maxImages = intOption('max-images', values['max-images'], 0, 256);
    const apiKey = values['api-key'] ?? (process.env[API_KEY_ENV] || undefined);

    const host = values.host ?? '127.0.0.1';
    // Checked before loading a model, which can take minutes (the server checks again).
    if (!isLoopbackHost(host) && apiKey === undefined)
      throw new ScoutError(
        'invalid_argument',
        `--host ${host} is not loopback: it requires --api-key or ${API_KEY_ENV}`,
      );

    const served = await openBackend(values, io);
    try {
      const server = await OpenAIServer.listen({
        backend: served.backend,
        host,
        port,
        ...(apiKey !== undefined ? { apiKey } : {}),
        ...(maxBodyMb !== undefined ? { maxBodyBytes: maxBodyMb * 1024 * 1024 } : {}),
        ...(maxImages !== undefined ? { limits: { maxImages } } : {}),
        log: (line) => io.stderr.write(`scout serve: ${line}\n`),
      });
      try {
        const models = (await served.backend.listModels(io.signal)).map((m) => m.id).join(', ');
        io.stderr.write(`scout serve: ${models} at ${server.url}${apiKey ? ' (API key required)' : ''}\n`);
        io.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
        await untilAborted(io.signal);
        io.stderr.write('scout serve: stopping\n');
      } finally {
        await server.close();
      }
    } finally {
      await served.dispose();
    }
    return 0;
  },
};
