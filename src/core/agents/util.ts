/** Small helpers the adapters share: reading untrusted numbers and times, building an unpriced record. */
import path from 'node:path';
import type { Agent, Interaction, Tokens } from '../interaction';
import { MalformedLine } from './types';
import { errorMessage } from '../errors';

/** A token count from a log: missing or null → 0; anything else must be a non-negative integer. */
export function count(o: Record<string, unknown> | undefined | null, key: string, where: string): number {
  const v = o?.[key];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new MalformedLine(`${where}.${key}: expected a non-negative integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

/** Counts added together (output and the thinking a log keeps apart): a MalformedLine when the sum is not exact. */
export function countSum(where: string, ...parts: number[]): number {
  const total = parts.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(total)) throw new MalformedLine(`${where}: token counts add up past ${Number.MAX_SAFE_INTEGER}`);
  return total;
}

/** A timestamp (ISO-8601 string with any offset, or epoch ms) → UTC ISO, or a MalformedLine. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MIN_MS = -62_167_219_200_000; // Date.parse('0000-01-01T00:00:00.000Z')
const MAX_MS = 253_402_300_799_999; // Date.parse('9999-12-31T23:59:59.999Z')

export function utcIso(v: unknown, where: string): string {
  // Most logs already write what toISOString() would: keep the string, only check it is a real instant.
  if (typeof v === 'string' && CANONICAL.test(v) && Number.isFinite(Date.parse(v))) return v;
  let ms = NaN;
  if (typeof v === 'string') ms = Date.parse(v);
  else if (typeof v === 'number' && Number.isFinite(v)) ms = v < 1e11 ? v * 1000 : v; // seconds or ms
  // Years 0000-9999 only: beyond them toISOString throws (past ±8.64e15 ms) or writes a six-digit year.
  if (!(ms >= MIN_MS && ms <= MAX_MS))
    throw new MalformedLine(`${where}: expected an ISO-8601 timestamp in years 0000-9999, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return new Date(ms).toISOString();
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseObject(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new MalformedLine(`not JSON (${errorMessage(err).slice(0, 60)})`);
  }
  if (!isObject(v)) throw new MalformedLine(`expected a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v;
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** The last segment of a cwd, from either separator style (logs written on Windows read anywhere). */
const projects = new Map<string, string | null>();

export function projectOf(cwd: unknown): string | null {
  if (typeof cwd !== 'string' || cwd.trim() === '') return null;
  let p = projects.get(cwd);
  if (p === undefined) {
    const parts = cwd.replace(/[\\/]+$/, '').split(/[\\/]/);
    p = parts[parts.length - 1] || null;
    if (projects.size > 10_000) projects.clear(); // a handful of projects in practice; never unbounded
    projects.set(cwd, p);
  }
  return p;
}

export function unpriced(p: {
  id: string;
  at: string;
  agent: Agent;
  project: string | null;
  model: string;
  tokens: Tokens;
  fast?: boolean;
}): Interaction {
  const i: Interaction = {
    id: p.id,
    at: p.at,
    agent: p.agent,
    source: 'log',
    project: p.project,
    model: p.model,
    route: 'cloud',
    replaces: null,
    tokens: p.tokens,
    costNanos: null,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
  };
  if (p.fast) i.fast = true;
  return i;
}

/** `~` and `~/x` → home; other paths resolved as given. */
export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

/** Splits on either separator so rules hold for Windows paths read on any machine. */
export function segments(file: string): string[] {
  return file.split(/[\\/]/);
}
