/**
 * The ledger's on-disk format, version 1: human-readable JSON Lines.
 *
 * Layout under the data directory:
 *   ledger/YYYY-MM.jsonl    one segment per UTC month of `at` (records with a year outside 1000–9999
 *                           go to 0000-00.jsonl). Append-only; never rewritten by Unmetered.
 *   cache/ledger/YYYY-MM.bin  a derived snapshot of a segment (see cache.ts); safe to delete.
 *
 * Every segment starts with a header line naming the format and its version, so a future change can
 * recognise old segments and migrate or keep reading them:
 *   {"unmetered":"ledger","version":1,"keys":"…legend…"}
 *
 * Every other non-blank line is one Interaction with short keys (a year of history is ~500,000 lines:
 * full key names would double the file and the time to parse it):
 *   {"id":"anthropic:msg_01…","at":"2026-11-23T12:00:00.000Z","a":"claude-code","s":"log","p":"acme-api",
 *    "m":"claude-sonnet-4-5-20250929","r":"cloud","t":[4,312,48211,1532,0,0],"c":24900300,"ps":"litellm@00035b69"}
 *
 *   id  id                       m   model                  c   costNanos     (absent: null = unpriced)
 *   at  at (as given)            r   route                  v   avoidedNanos  (absent: null)
 *   a   agent                    x   replaces (absent: null) ps  priceSource  (absent: null)
 *   s   source                   t   tokens as [input, output, cacheRead, cacheWrite5m, cacheWrite1h, reasoning]
 *   p   project (absent: null)   e   estimated (absent: false)   pi priceInferred, f fast (absent: not set)
 *   b   branch (absent: not recorded)   rp  repo (absent: not recorded)   ba  budgetAction (absent: not set)
 *
 * Fields an Interaction carries beyond these (a newer build's additions) are written under their own
 * names and read back onto the record, so nothing is silently dropped. Unknown keys on a line are
 * tolerated. Blank lines are ignored: a writer may start its batch with a newline to terminate a torn
 * line left by a crashed process (see index.ts).
 */
import { UnmeteredError, errorMessage } from '../errors';
import { INTERACTION_FIELDS, validateInteraction, type Interaction } from '../interaction';

export const LEDGER_FORMAT_VERSION = 1;

const LEGEND =
  'id at a=agent s=source p=project m=model r=route x=replaces t=tokens[input,output,cacheRead,cacheWrite5m,cacheWrite1h,reasoning] ' +
  'c=costNanos v=avoidedNanos ps=priceSource pi=priceInferred e=estimated f=fast b=branch rp=repo ba=budgetAction; ' +
  'absent = null/false/not recorded; money in nano-dollars';

export const HEADER_LINE = JSON.stringify({ unmetered: 'ledger', version: LEDGER_FORMAT_VERSION, keys: LEGEND }) + '\n';

/** Keys with a meaning on a line; anything else is an extra passed through to the record. */
const LINE_KEYS = new Set(['id', 'at', 'a', 's', 'p', 'm', 'r', 'x', 't', 'c', 'v', 'ps', 'pi', 'e', 'f', 'b', 'rp', 'ba']);

export const SEGMENT_FILE = /^(\d{4}-\d{2})\.jsonl$/;

/** The segment (UTC month) a record belongs to. */
export function segmentOf(at: string): string {
  const d = new Date(Date.parse(at));
  const y = d.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999)) return '0000-00';
  const m = d.getUTCMonth() + 1;
  return `${y}-${m < 10 ? '0' : ''}${m}`;
}

/** One record as one line (with its newline). */
export function encodeLine(r: Interaction): string {
  const t = r.tokens;
  const o: Record<string, unknown> = {
    id: r.id,
    at: r.at,
    a: r.agent,
    s: r.source,
    p: r.project ?? undefined,
    m: r.model,
    r: r.route,
    x: r.replaces ?? undefined,
    t: [t.input, t.output, t.cacheRead, t.cacheWrite5m, t.cacheWrite1h, t.reasoning],
    c: r.costNanos ?? undefined,
    v: r.avoidedNanos ?? undefined,
    ps: r.priceSource ?? undefined,
    pi: r.priceInferred,
    e: r.estimated || undefined,
    f: r.fast,
    b: r.branch,
    rp: r.repo,
    ba: r.budgetAction,
  };
  for (const k of Object.keys(r)) {
    if (!INTERACTION_FIELDS.has(k) && !LINE_KEYS.has(k)) o[k] = (r as unknown as Record<string, unknown>)[k];
  }
  return JSON.stringify(o) + '\n';
}

export type Line = { kind: 'record'; record: Interaction } | { kind: 'header'; version: number } | { kind: 'blank' };

/**
 * Parses one line (without its newline). Throws an UnmeteredError saying what was expected and
 * what arrived; the caller adds file and line number.
 */
export function decodeLine(text: string): Line {
  if (text.length === 0 || text.trim().length === 0) return { kind: 'blank' };
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    // A crash can glue a torn fragment to the next writer's first line. Our lines start with
    // `{"id":`, which cannot occur inside a JSON string (its quotes would be escaped), so the
    // record after the fragment can be recovered.
    const rescued = rescueGlued(text);
    if (rescued) return rescued;
    throw new UnmeteredError('E_LEDGER_LINE', `expected one JSON object, got invalid JSON (${errorMessage(e)}): ${excerpt(text)}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new UnmeteredError('E_LEDGER_LINE', `expected one JSON object, got ${excerpt(text)}`);
  }
  const l = o as Record<string, unknown>;
  if (l.unmetered === 'ledger') {
    if (!Number.isSafeInteger(l.version))
      throw new UnmeteredError('E_LEDGER_LINE', `expected a header with an integer version, got ${excerpt(text)}`);
    return { kind: 'header', version: l.version as number };
  }
  return { kind: 'record', record: fromLine(l) };
}

/** A glued line holds one fragment, so its record starts at the first candidate or so; trying every one would be quadratic. */
const RESCUE_TRIES = 4;

function rescueGlued(text: string): Line | null {
  let tries = 0;
  for (let i = text.indexOf('{"id":', 1); i > 0 && tries++ < RESCUE_TRIES; i = text.indexOf('{"id":', i + 1)) {
    try {
      const l = JSON.parse(text.slice(i)) as unknown;
      if (typeof l === 'object' && l !== null && !Array.isArray(l))
        return { kind: 'record', record: fromLine(l as Record<string, unknown>) };
    } catch {
      // try the next candidate
    }
  }
  return null;
}

function fromLine(l: Record<string, unknown>): Interaction {
  const t = l.t as unknown[];
  if (!Array.isArray(t) || t.length !== 6) {
    throw new UnmeteredError(
      'E_LEDGER_LINE',
      `"t": expected [input, output, cacheRead, cacheWrite5m, cacheWrite1h, reasoning], got ${excerpt(JSON.stringify(t) ?? 'nothing')}`,
    );
  }
  const r: Record<string, unknown> = {
    id: l.id,
    at: l.at,
    agent: l.a,
    source: l.s,
    project: l.p ?? null,
    model: l.m,
    route: l.r,
    replaces: l.x ?? null,
    tokens: { input: t[0], output: t[1], cacheRead: t[2], cacheWrite5m: t[3], cacheWrite1h: t[4], reasoning: t[5] },
    costNanos: l.c ?? null,
    avoidedNanos: l.v ?? null,
    priceSource: l.ps ?? null,
    estimated: l.e ?? false,
  };
  if (l.pi !== undefined) r.priceInferred = l.pi;
  if (l.f !== undefined) r.fast = l.f;
  if (l.ba !== undefined) r.budgetAction = l.ba;
  // Lines written before attribution have neither key: the record simply has none.
  if (l.b !== undefined) r.branch = l.b;
  if (l.rp !== undefined) r.repo = l.rp;
  for (const k in l) if (!LINE_KEYS.has(k) && !INTERACTION_FIELDS.has(k)) r[k] = l[k];
  return validateRecord(r);
}

/** validateInteraction, plus the optional flags it leaves alone, so that what is written reads back. */
export function validateRecord(v: unknown): Interaction {
  const rec = validateInteraction(v);
  for (const k of ['priceInferred', 'fast'] as const) {
    if (rec[k] !== undefined && typeof rec[k] !== 'boolean') {
      throw new UnmeteredError(
        'E_INTERACTION',
        `interaction.${k}: expected a boolean or nothing, got ${JSON.stringify(rec[k])?.slice(0, 80)}`,
      );
    }
  }
  return rec;
}

function excerpt(s: string): string {
  return s.length > 80 ? `${JSON.stringify(s.slice(0, 80))}…` : JSON.stringify(s);
}
