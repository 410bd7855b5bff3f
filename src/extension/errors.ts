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
  return (e instanceof EngineError && e.code === 'cancelled') || (e instanceof Error && e.name === 'AbortError');
}

/** A short text for a notification; the logs get the whole error. */
export function describeError(e: unknown): string {
  if (e instanceof EngineError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
