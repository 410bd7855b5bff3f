/**
 * The extension's typed failure: what the sidecar reported (its `ScoutErrorCode`), or what went wrong
 * around it (the process could not start, crashed, or stopped answering).
 *
 * The extension may not import the engine's ScoutError class (it would pull engine code into the
 * extension host), so failures carry the same codes through this class of their own.
 */
import type { ScoutErrorCode } from '../engine/errors.js';

export class EngineError extends Error {
  constructor(
    readonly code: ScoutErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

export function isCancellation(e: unknown): boolean {
  return (
    (e instanceof EngineError && e.code === 'cancelled') || (e instanceof Error && e.name === 'AbortError')
  );
}

/** A short text for a notification; the logs get the whole error. */
export function describeError(e: unknown): string {
  if (e instanceof EngineError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Failures grouped by what the user can do about them. */
export type Remedy = 'choose-model' | 'check-server' | 'free-memory' | 'fix-image' | 'none' | 'restart';

export function remedyFor(e: unknown): Remedy {
  if (!(e instanceof EngineError)) return 'restart';
  switch (e.code) {
    case 'not_found':
    case 'config':
    case 'safetensors':
    case 'shard_index':
    case 'model_mismatch':
      return 'choose-model';
    case 'network':
      return 'check-server';
    case 'out_of_memory':
      return 'free-memory';
    case 'image':
      return 'fix-image';
    case 'invalid_argument':
    case 'cancelled':
      return 'none';
    default:
      return 'restart';
  }
}

const NEXT_STEP: Record<Remedy, string> = {
  'choose-model':
    'Run "Scout: Select Model Folder" to choose a Llama 4 model, or "Scout: Use an OpenAI-compatible Server".',
  'check-server':
    'Check that the server is running, or change it with "Scout: Use an OpenAI-compatible Server".',
  'free-memory': 'Lower "scout.contextSize" or close other GPU programs, then run "Scout: Load Model".',
  'fix-image': 'Attach a PNG, JPEG, WebP or GIF screenshot.',
  none: '',
  restart: 'Run "Scout: Restart Engine"; "Scout: Open Logs" has the details.',
};

/** What the user can do next about a failure, in one sentence (shown inline in the chat). */
export function nextStep(e: unknown): string {
  return NEXT_STEP[remedyFor(e)];
}
