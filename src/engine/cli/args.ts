/** Strict option parsing for CLI commands: unknown flags and bad values are typed errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ScoutError } from '../errors.js';

export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new ScoutError('invalid_argument', e instanceof Error ? e.message : String(e));
  }
}

/** Parses an integer option, rejecting fractions, junk and values outside [min, max]. */
export function intOption(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim()))
    throw new ScoutError('invalid_argument', `--${name} must be an integer, got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new ScoutError('invalid_argument', `--${name} must be between ${min} and ${max}, got ${value}`);
  return n;
}

/** Parses a finite number option within [min, max]. */
export function numberOption(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new ScoutError(
      'invalid_argument',
      `--${name} must be a number between ${min} and ${max}, got '${value}'`,
    );
  return n;
}

/** Parses "1,2,3" into token ids (non-negative integers). */
export function tokenList(name: string, value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p)))
    throw new ScoutError(
      'invalid_argument',
      `--${name} must be comma-separated token ids, got '${value.slice(0, 80)}'`,
    );
  return parts.map(Number);
}
