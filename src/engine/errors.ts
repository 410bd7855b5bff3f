/**
 * Typed errors shared by everything under src/engine.
 *
 * Every failure caused by outside input (model files, configs, tokenizers, images, repository files,
 * requests) is a ScoutError with a stable `code`. The CLI prints `code: message` and exits non-zero; the
 * sidecar turns the code into a JSON-RPC error. Native engine errors arrive with the same codes
 * (see native/engine/error.hpp), prefixed by the addon.
 */
export type ScoutErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'io'
  | 'safetensors'
  | 'shard_index'
  | 'config'
  | 'model_mismatch'
  | 'out_of_memory'
  | 'cancelled'
  | 'internal'
  | 'tokenizer'
  | 'template'
  | 'image'
  | 'pack'
  | 'network'
  /** A server refused us: a gated model whose license was not accepted, a wrong token. */
  | 'access_denied'
  | 'protocol';

export class ScoutError extends Error {
  constructor(
    readonly code: ScoutErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ScoutError';
  }
}

/** A cancellation is an answer, not a failure: callers usually stop quietly on it. */
export class CancelledError extends ScoutError {
  constructor(message = 'cancelled') {
    super('cancelled', message);
    this.name = 'CancelledError';
  }
}

export function isScoutError(e: unknown): e is ScoutError {
  return e instanceof ScoutError;
}
