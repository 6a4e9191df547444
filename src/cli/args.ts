import path from 'node:path';
import { grouped } from '../core/money';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkOutFile, OutFileError } from '../core/report/render/files';
import { isDay, isValidTimeZone } from '../core/time';
import { UsageError, type CliContext } from './context';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util's parseArgs, with its errors turned into one-line usage errors. */
export function parse<O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(friendlyParseError(err as Error & { code?: string }));
  }
}

/**
 * Node's own wording ("argument is ambiguous", "argument missing") points at its parser, not at
 * the user's mistake: a string option with no value, or followed by another option.
 */
function friendlyParseError(err: Error & { code?: string }): string {
  const m = err.message;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(?:-\w, )?(--[\w-]+)/.exec(m)?.[1];
    if (flag && /ambiguous|missing/.test(m))
      return `${flag} needs a value, got ${/ambiguous/.test(m) ? 'another option' : 'nothing'} (write ${flag}=VALUE for a value that starts with a dash)`;
  }
  return m.replace(/\. To specify a positional argument.*$/s, '').replace(/\s+/g, ' ');
}

/** A local day as YYYY-MM-DD or YYYYMMDD (ccusage's form), returned as YYYY-MM-DD. */
export function dayArg(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const d = /^\d{8}$/.test(v) ? `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6)}` : v;
  if (!isDay(d))
    throw new UsageError(`--${name}: expected a date as YYYY-MM-DD or YYYYMMDD (e.g. 2026-11-01 or 20261101), got ${JSON.stringify(v)}`);
  return d;
}

export function zoneArg(v: string | undefined, name = 'tz'): string | undefined {
  if (v === undefined) return undefined;
  if (!isValidTimeZone(v)) throw new UsageError(`--${name}: expected an IANA time zone such as Europe/Berlin, got ${JSON.stringify(v)}`);
  return v;
}

export function numberArg(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name}: expected a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

export function intArg(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`--${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** Singular or plural: "1 call", "2 calls", "1,234 calls". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${grouped(n)} ${n === 1 ? one : many}`;
}

/** `--out` as given: undefined or '-' means standard output. */
export async function outArg(value: string | undefined, ctx: CliContext): Promise<string | undefined> {
  if (value === undefined || value === '-') return undefined;
  if (value === '') throw new UsageError('--out: expected a file name, or - for standard output');
  const file = path.resolve(ctx.cwd, value);
  try {
    await checkOutFile(file, value);
  } catch (err) {
    if (err instanceof OutFileError) throw new UsageError(`--out ${err.message}`);
    throw err;
  }
  return file;
}
