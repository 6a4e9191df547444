/**
 * A record's ledger line, byte for byte: the documented short keys (fileFormat.ts's legend) with absent values
 * left out, serialised as JSON.stringify serialises them, whatever the names hold (quotes, backslashes, control
 * characters, emoji, lone surrogates, U+2028), and a newer build's extra fields under their own names.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLine, encodeLine } from '../../src/core/ledger/fileFormat';
import type { Interaction } from '../../src/core/interaction';
import { record } from './fixtures/records';
import { prng } from '../sources/corpus';

// Interaction's fields (interaction.ts): any other is an extra.
const FIELDS = 'id at agent source project model route replaces tokens costNanos avoidedNanos priceSource'.split(' ');
FIELDS.push('priceInferred', 'estimated', 'fast', 'budgetAction', 'branch', 'repo');

/** The legend's mapping, written out here: absent (null, undefined, false for `e`) keys are not on the line. */
function reference(r: Interaction): string {
  const x = r as unknown as Record<string, unknown>;
  const t = r.tokens;
  const o: Record<string, unknown> = { id: r.id, at: r.at, a: r.agent, s: r.source };
  if (r.project !== null) o.p = r.project;
  o.m = r.model;
  o.r = r.route;
  if (r.replaces !== null) o.x = r.replaces;
  o.t = [t.input, t.output, t.cacheRead, t.cacheWrite5m, t.cacheWrite1h, t.reasoning];
  if (r.costNanos !== null) o.c = r.costNanos;
  if (r.avoidedNanos !== null) o.v = r.avoidedNanos;
  if (r.priceSource !== null) o.ps = r.priceSource;
  if (r.priceInferred !== undefined) o.pi = r.priceInferred;
  if (r.estimated) o.e = true;
  if (r.fast !== undefined) o.f = r.fast;
  if (r.branch !== undefined) o.b = r.branch;
  if (r.repo !== undefined) o.rp = r.repo;
  if (r.budgetAction !== undefined) o.ba = r.budgetAction;
  for (const k of Object.keys(x)) if (!FIELDS.includes(k)) o[k] = x[k];
  return JSON.stringify(o) + '\n';
}

// Names as agents' logs may give them: plain, and each kind of character JSON escapes or passes through.
const NAMES = [
  'acme-api',
  'say "hi"',
  'C:\\work\\api',
  'tab\there',
  'new\nline',
  '\u0000\u001f',
  'caf\u00e9 \u{1F680}',
  'lone \ud800 high',
  'lone \udc00 low',
  'line\u2028separator',
  'del\u007f',
  '',
];

function randomRecord(rnd: () => number, i: number): Interaction {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const maybe = <T>(v: T): T | undefined => (rnd() < 0.5 ? v : undefined);
  const r: Interaction = record(`id-${i}-${pick(NAMES)}`, {
    at: pick(['2026-11-23T12:00:00.000Z', '2026-11-23T12:00:00Z', '2026-11-23T12:00:00+05:30']),
    agent: pick(['claude-code', 'codex', 'x"y']),
    source: pick(['log', 'gateway', 'chat', 'otel'] as const),
    project: rnd() < 0.3 ? null : pick(NAMES),
    model: pick(['claude-sonnet-4-5-20250929', 'gpt-5-codex', 'm\\odel']),
    route: pick(['cloud', 'local'] as const),
    replaces: rnd() < 0.7 ? null : pick(NAMES),
    tokens: {
      input: Math.floor(rnd() * 1e6),
      output: pick([0, 7, 2 ** 53 - 1]),
      cacheRead: Math.floor(rnd() * 1e9),
      cacheWrite5m: 0,
      cacheWrite1h: pick([0, 3]),
      reasoning: pick([0, 12]),
    },
    costNanos: rnd() < 0.2 ? null : pick([0, 24_900_300, 9_007_199_254_740_991]),
    avoidedNanos: rnd() < 0.6 ? null : Math.floor(rnd() * 1e9),
    priceSource: rnd() < 0.2 ? null : pick(['litellm@00035b69', 'settings "x"']),
    estimated: rnd() < 0.3,
  });
  const inferred = maybe(rnd() < 0.5);
  if (inferred !== undefined) r.priceInferred = inferred;
  const fast = maybe(rnd() < 0.5);
  if (fast !== undefined) r.fast = fast;
  const branch = maybe(pick(NAMES.filter((n) => n.length > 0)));
  if (branch !== undefined) r.branch = branch;
  const repo = maybe('github.com/acme/api');
  if (repo !== undefined) r.repo = repo;
  if (rnd() < 0.2) r.budgetAction = { action: pick(['fallback', 'refused', 'failed-open'] as const), budget: pick([null, 'daily']) };
  return r;
}

describe('ledger line format', { timeout: 30_000 }, () => {
  it('a record is written as the legend says, byte for byte, and reads back as it was', () => {
    const rnd = prng(12);
    for (let i = 0; i < 3000; i++) {
      const r = randomRecord(rnd, i);
      const line = encodeLine(r);
      assert.equal(line, reference(r), `record ${i}`);
      const back = decodeLine(line.slice(0, -1));
      assert.equal(back.kind, 'record');
      assert.deepEqual((back as { record: Interaction }).record, r, `record ${i} read back`);
    }
  });

  it('a line written before holds exactly the fields given, in the legend order', () => {
    const r = record('anthropic:msg_01', { project: 'acme-api', model: 'claude-sonnet-4-5', output: 312 });
    assert.equal(
      encodeLine(r),
      '{"id":"anthropic:msg_01","at":"2026-11-23T12:00:00.000Z","a":"claude-code","s":"log","p":"acme-api",' +
        '"m":"claude-sonnet-4-5","r":"cloud","t":[4,312,48211,1532,0,0],"c":24900300,"ps":"litellm@00035b69"}\n',
    );
  });

  it("a newer build's extra fields are written under their own names, after the known ones", () => {
    const rnd = prng(99);
    for (let i = 0; i < 200; i++) {
      const r = randomRecord(rnd, i) as Interaction & { note?: unknown; agentCostNanos?: unknown };
      r.agentCostNanos = 1234;
      if (i % 2) r.note = { said: NAMES[i % NAMES.length] };
      assert.equal(encodeLine(r), reference(r), `record ${i}`);
    }
  });
});
