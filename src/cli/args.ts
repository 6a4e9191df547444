import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkOutFile, OutFileError } from '../core/report/files';
import { isDay, isValidTimeZone } from '../core/time';
import { UsageError, type CliContext } from './context';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util's parseArgs, with its errors turned into one-line usage errors. */
export function parse<O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    const m = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\s+/g, ' ');
    throw new UsageError(m);
  }
}

export function dayArg(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!isDay(v)) throw new UsageError(`--${name}: expected a date as YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return v;
}

export function zoneArg(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!isValidTimeZone(v)) throw new UsageError(`--tz: expected an IANA time zone such as Europe/Berlin, got ${JSON.stringify(v)}`);
  return v;
}

export function numberArg(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name}: expected a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
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
