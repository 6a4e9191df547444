/**
 * Reading a weekly summary someone submitted: a file from a team share can be anything, so every
 * refusal names the file and says what was expected and what arrived.
 */
import { UnmeteredError } from '../errors';
import { validate, type Schema } from './jsonschema';
import type { WeeklySummary } from './summary';
import weekly1 from './weekly-1.schema.json';

const PREFIX = 'unmetered.weekly/';

/**
 * The versions this build reads, each with its schema and the step that brings it to the current
 * shape. A new version adds an entry here (the old schema stays, with an upgrade function), so
 * files written by older installations keep working.
 */
const KNOWN: Record<number, { schema: Schema; upgrade: (doc: unknown) => WeeklySummary }> = {
  1: { schema: weekly1 as Schema, upgrade: (doc) => doc as WeeklySummary },
};
export const CURRENT_VERSION = 1;

export function knownVersions(): number[] {
  return Object.keys(KNOWN).map(Number);
}

const reject = (file: string, problem: string): never => {
  throw new UnmeteredError('E_SUMMARY', `${file}: ${problem}`);
};

/** Parses and checks one submitted file's text; throws an UnmeteredError "<file>: <problem>". */
export function parseWeeklySummary(text: string, file: string): WeeklySummary {
  if (text.trim() === '') reject(file, 'empty file, expected an Unmetered weekly summary (JSON)');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return reject(file, `not valid JSON (${(err as Error).message}); the file may be truncated or not a weekly summary`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return reject(file, `expected a JSON object (an Unmetered weekly summary), got ${Array.isArray(doc) ? 'an array' : JSON.stringify(doc)?.slice(0, 40)}`);
  const tag = (doc as Record<string, unknown>).schema;
  if (tag === undefined) return reject(file, `not an Unmetered weekly summary: no "schema" field (expected "${PREFIX}${CURRENT_VERSION}")`);
  if (typeof tag !== 'string' || !tag.startsWith(PREFIX)) return reject(file, `not an Unmetered weekly summary: "schema" is ${JSON.stringify(tag)?.slice(0, 60)}, expected "${PREFIX}${CURRENT_VERSION}"`);
  const version = /^\d+$/.test(tag.slice(PREFIX.length)) ? Number(tag.slice(PREFIX.length)) : NaN;
  const known = KNOWN[version];
  if (!known) {
    const newer = version > CURRENT_VERSION;
    return reject(file, `${newer ? 'written by a newer Unmetered' : 'unknown version'} (schema "${tag}"); this version reads ${knownVersions().map((v) => `"${PREFIX}${v}"`).join(', ')}${newer ? ' — update Unmetered to read it' : ''}`);
  }
  const problems = validate(known.schema, doc, 4);
  if (problems.length) reject(file, `does not match ${tag}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}`);
  return known.upgrade(doc);
}
