/** Small things the OpenAI transport tests share. */
import { ScoutError } from '../../src/engine/errors.js';

/** A complete 1×1 RGB PNG (one orange pixel), small enough to read in a test. */
export const PNG_BYTES = new Uint8Array(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP438AAAAQBAYDFKhhdAAAAAElFTkSuQmCC',
    'base64',
  ),
);

/** The ScoutError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function scoutFailure(p: Promise<unknown>): Promise<ScoutError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ScoutError) return e;
    throw e;
  }
  throw new Error('expected a ScoutError');
}
