/**
 * Reading a weekly summary someone submitted: a file from a team share can be anything, so every
 * refusal names the file and says what was expected and what arrived.
 */
import { UnmeteredError, errorMessage } from '../../errors';
import { plainText } from '../../sanitize';
import { isDay } from '../../time';
import { show, validateById } from './jsonschema';
import type { WeeklySummary } from './summary';
import { isWeekId, weekById } from '../week';
import { unrecordedAttribution } from './attribution';

const PREFIX = 'unmetered.weekly/';

/**
 * The versions this build reads, each with its schema's `$id` (weekly-<n>.schema.json) and the step that brings it to the current
 * shape. A new version adds an entry here (the old schema stays, with an upgrade function), so
 * files written by older installations keep working.
 */
const KNOWN: Record<number, { schemaId: string; upgrade: (doc: unknown) => WeeklySummary }> = {
  // Version 1 knew no branches or repositories: its week is all "not recorded", so team sums still add up.
  1: { schemaId: 'urn:unmetered:weekly:1', upgrade: (doc) => upgradeV1(doc as Omit<WeeklySummary, 'schema' | 'attribution'>) },
  2: { schemaId: 'urn:unmetered:weekly:2', upgrade: (doc) => doc as WeeklySummary },
};
const CURRENT_VERSION = 2;

function upgradeV1(doc: Omit<WeeklySummary, 'schema' | 'attribution'>): WeeklySummary {
  return { ...doc, schema: 'unmetered.weekly/2', attribution: unrecordedAttribution(doc.totals) };
}

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
    return reject(file, `not valid JSON (${errorMessage(err)}); the file may be truncated or not a weekly summary`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return reject(file, `expected a JSON object (an Unmetered weekly summary), got ${Array.isArray(doc) ? 'an array' : show(doc)}`);
  const tag = (doc as Record<string, unknown>).schema;
  if (tag === undefined) return reject(file, `not an Unmetered weekly summary: no "schema" field (expected "${PREFIX}${CURRENT_VERSION}")`);
  if (typeof tag !== 'string' || !tag.startsWith(PREFIX))
    return reject(file, `not an Unmetered weekly summary: "schema" is ${show(tag)}, expected "${PREFIX}${CURRENT_VERSION}"`);
  const version = /^\d+$/.test(tag.slice(PREFIX.length)) ? Number(tag.slice(PREFIX.length)) : NaN;
  const known = KNOWN[version];
  if (!known) {
    const newer = version > CURRENT_VERSION;
    return reject(
      file,
      `${newer ? 'written by a newer Unmetered' : 'unknown version'} (schema "${tag}"); this version reads ${knownVersions()
        .map((v) => `"${PREFIX}${v}"`)
        .join(', ')}${newer ? ' — update Unmetered to read it' : ''}`,
    );
  }
  const [problem] = validateById(known.schemaId, doc);
  if (problem) reject(file, `does not match ${tag}: ${problem}`);
  const summary = known.upgrade(doc);
  const wrong = meaningProblem(summary);
  if (wrong) reject(file, wrong);
  return summary;
}

/**
 * What a schema pattern cannot say: that the week exists (2026-W53 does not), that its days are
 * the ones its id and start day give, that dates are real and that the developer's name is more
 * than control characters. A file failing these would put a wrong week or a blank name in a report.
 */
function meaningProblem(s: WeeklySummary): string | undefined {
  const w = s.week;
  if (!isWeekId(w.id)) return `/week/id: expected an ISO week that exists (weeks 01 to 52, or 53 in a long year), got ${show(w.id)}`;
  const ref = weekById(w.id, w.weekStart);
  if (w.start !== ref.start || w.end !== ref.end)
    return `/week: ${w.id} starting on ${w.weekStart} is ${ref.start} to ${ref.end}, got ${show(w.start)} to ${show(w.end)}`;
  if (!isDay(s.generatedAt.slice(0, 10)) || Number.isNaN(Date.parse(s.generatedAt)))
    return `/generatedAt: expected a real UTC instant, got ${show(s.generatedAt)}`;
  if (!isDay(s.budget.asOf)) return `/budget/asOf: expected a real date, got ${show(s.budget.asOf)}`;
  if (!isDay(`${s.budget.month}-01`)) return `/budget/month: expected a real month as YYYY-MM, got ${show(s.budget.month)}`;
  if (plainText(s.developer).trim() === '') return `/developer: expected a name, got only control characters or spaces`;
  return undefined;
}
