/**
 * Fuzzing the edge where teammates' files come in: weekly-summary JSON mutated from a valid one
 * (wrong types, huge and fractional numbers, control characters, missing and extra fields, deep
 * nesting, truncation), from a fixed seed so a failure reproduces. 3,000 runs in the unit suite;
 * UNMETERED_FUZZ_RUNS=200000 (and UNMETERED_FUZZ_SEED) for a longer job.
 * Asserts: reading never throws anything but a diagnosed E_SUMMARY rejection; what is accepted
 * merges and renders in every format with finite figures and no raw control character; the valid
 * team's own rows and the files read from disk come out unchanged.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UnmeteredError } from '../../src/core/errors';
import { renderJson } from '../../src/core/report/render/json';
import { parseWeeklySummary } from '../../src/core/report/summary/read';
import { entryOf, mergeTeam, type Entry } from '../../src/core/report/team/team';
import { readEntries } from '../../src/core/report/team/teamFiles';
import { renderTeamCsv, renderTeamHtml, renderTeamJson, renderTeamMarkdown } from '../../src/core/report/team/teamRender';
import { NOW, RAW_CONTROLS, tmpRoot, VALID_INTERACTIONS, VALID_TOTAL_USD, validSummaries } from './helpers';

const RUNS = Number(process.env.UNMETERED_FUZZ_RUNS) || 3_000;
const SEED = Number(process.env.UNMETERED_FUZZ_SEED) || 0x5eed_2611;

/** mulberry32: a small seeded PRNG, so every run of the suite sees the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const NASTY_STRINGS = [
  '',
  ' ',
  '\u001b]52;c;cHduZWQ=\u0007',
  '\u001b[2J\u001bc',
  'a\bb',
  '\u009b31m',
  '\u202eevil',
  'x'.repeat(5000),
  '2026-W53',
  '9999-W52',
  '0000-W01',
  '2025-W53',
  '2026-02-30',
  'null',
  '__proto__',
  '💸',
];
const NASTY_NUMBERS = [
  0,
  -1,
  -0.000000001,
  0.5,
  1e308,
  -1e308,
  1_000_000,
  1_000_000.000000001,
  9_000_001,
  2 ** 53,
  2 ** 53 + 2,
  1e-320,
  1e12,
  1e12 + 1,
  123.4567890123,
];

/** Nesting is written as text: JSON.stringify itself would overflow the stack building it. */
const DEEP = 'DEEP-NESTING-HERE';
function deepText(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 ? '[' : '{"k":';
    close = (i % 2 ? ']' : '}') + close;
  }
  return `${open}1${close}`;
}

/** Every path to a value in the document. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

function randomValue(rnd: () => number): Json {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  switch (Math.floor(rnd() * 8)) {
    case 0:
      return pick(NASTY_STRINGS);
    case 1:
      return pick(NASTY_NUMBERS);
    case 2:
      return rnd() < 0.5;
    case 3:
      return null;
    case 4:
      return [pick(NASTY_NUMBERS), pick(NASTY_STRINGS)];
    case 5:
      return { extra: pick(NASTY_STRINGS) };
    case 6:
      return DEEP;
    default:
      return Math.floor(rnd() * 2 ** 40) / 1000;
  }
}

/** One to three mutations of the document, then sometimes a mutation of its text. */
function mutate(base: Json, rnd: () => number): string {
  const doc = JSON.parse(JSON.stringify(base)) as Json;
  const all = paths(doc).filter((p) => p.length > 0);
  for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
    const p = all[Math.floor(rnd() * all.length)];
    let parent = doc as Record<string | number, Json>;
    for (const k of p.slice(0, -1)) parent = (parent?.[k] ?? null) as Record<string | number, Json>;
    if (parent === null || typeof parent !== 'object') continue;
    const key = p[p.length - 1];
    const r = rnd();
    if (r < 0.15 && !Array.isArray(parent)) delete parent[key];
    else if (r < 0.25 && !Array.isArray(parent)) parent[`${String(key)}\u001b[2J`] = 1;
    else if (r < 0.4 && typeof parent[key] === 'string')
      parent[key] = `${parent[key]}${NASTY_STRINGS[Math.floor(rnd() * NASTY_STRINGS.length)]}`;
    else parent[key] = randomValue(rnd);
  }
  let text = JSON.stringify(doc).replaceAll(`"${DEEP}"`, () => deepText(1 + Math.floor(rnd() * 20_000)));
  const t = rnd();
  if (t < 0.05) text = text.slice(0, Math.floor(rnd() * text.length));
  else if (t < 0.08) text = text.replace(/"costUSD":[0-9.]+/, '"costUSD":1e400');
  // Arrays nested 100,000 deep (DEEPEST) have a test of their own: as 2% of these runs they were the same text
  // parsed 60 times over, ~3 s of the suite.
  return text;
}

const rowsOf = (r: { members: { developer: string; totals: unknown; previous: unknown }[] }, names: string[]) =>
  r.members.filter((m) => names.includes(m.developer)).map((m) => [m.developer, m.totals, m.previous]);

/** Arrays nested 100,000 deep: deeper than any recursive parser or validator could follow. */
const DEEPEST = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;

describe('fuzz: submitted weekly summaries', { timeout: 600_000 }, () => {
  const valid = validSummaries();
  const base = JSON.parse(renderJson(valid[0])) as Json;
  const validEntries = valid.map((s) => entryOf(s, `${s.developer}.json`));
  const names = valid.map((s) => s.developer);
  const alone = mergeTeam(validEntries, [], { now: NOW })!;
  const root = tmpRoot('fuzz');
  after(() => rmSync(root, { recursive: true, force: true }));

  test('arrays nested 100,000 deep are refused with a diagnosis, and the team beside them is read whole', async () => {
    assert.throws(
      () => parseWeeklySummary(DEEPEST, 'deep.json'),
      (err: unknown) =>
        err instanceof UnmeteredError && err.code === 'E_SUMMARY' && /^deep\.json: expected a JSON object/.test(err.message),
    );
    const share = path.join(root, 'deep');
    mkdirSync(share);
    writeFileSync(path.join(share, 'deep.json'), DEEPEST);
    for (const s of valid) writeFileSync(path.join(share, `${s.developer}.json`), renderJson(s));
    const read = await readEntries(['deep.json', ...valid.map((s) => `${s.developer}.json`)], { cwd: share });
    assert.deepEqual(
      read.entries.map((e) => e.developer),
      names,
    );
    assert.deepEqual(
      read.rejected.map((r) => r.file),
      ['deep.json'],
    );
    assert.match(read.rejected[0].problem, /^expected a JSON object \(an Unmetered weekly summary\), got an array$/);
  });

  test(`${RUNS} mutated files from seed ${SEED}: only diagnosed rejections, and the valid team unchanged`, async () => {
    const rnd = prng(SEED);
    const accepted: Entry[] = [];
    let rejected = 0;
    const onDisk = path.join(root, 'share');
    mkdirSync(onDisk);
    for (let i = 0; i < RUNS; i++) {
      // Mutants are their own developers (unless the mutation hits the name), so they never replace a valid row.
      const text = mutate({ ...(base as object), developer: `fuzz-${i}` }, rnd);
      if (i % 10 === 0) writeFileSync(path.join(onDisk, `f${i}.json`), text);
      try {
        accepted.push(entryOf(parseWeeklySummary(text, `f${i}.json`), `f${i}.json`));
      } catch (err) {
        assert.ok(err instanceof UnmeteredError && err.code === 'E_SUMMARY', `run ${i}: ${(err as Error).stack}\n${text.slice(0, 300)}`);
        assert.match(err.message, new RegExp(`^f${i}\\.json: `));
        rejected++;
      }
    }
    assert.ok(rejected > RUNS / 4 && accepted.length > 0, `a useful mix: ${rejected} rejected, ${accepted.length} accepted`);
    const r = mergeTeam(validEntries.concat(accepted.filter((e) => !names.includes(e.developer))), [], { now: NOW })!;
    assert.deepEqual(rowsOf(r, names), rowsOf(alone, names), "the valid developers' rows are unchanged");
    for (const render of [renderTeamMarkdown, renderTeamCsv, renderTeamHtml]) assert.doesNotMatch(render(r), RAW_CONTROLS);
    const json = renderTeamJson(r);
    assert.doesNotMatch(json, RAW_CONTROLS);
    assert.ok(!/\bnull\b/.test(JSON.stringify(JSON.parse(json).totals.costUSD)), 'the team cost is a number');
    JSON.parse(json, (_k, v) => {
      assert.ok(typeof v !== 'number' || Number.isFinite(v));
      return v;
    });

    // The same files through the reader of `team` (a tenth of them), next to the valid ones.
    for (const s of valid) writeFileSync(path.join(onDisk, `${s.developer}.json`), renderJson(s));
    const files = [
      ...valid.map((s) => `${s.developer}.json`),
      ...Array.from({ length: Math.ceil(RUNS / 10) }, (_, k) => `f${k * 10}.json`),
    ];
    const read = await readEntries(files, { cwd: onDisk });
    const fromDisk = mergeTeam(read.entries, read.rejected, { now: NOW, week: '2026-W47' })!;
    const own = fromDisk.members.filter((m) => names.includes(m.developer) && ['ada.json', 'grace.json', 'linus.json'].includes(m.file));
    assert.equal(own.length, 3);
    const sum = own.reduce((n, m) => n + Math.round(m.totals.costUSD! * 1e9), 0);
    assert.equal(sum, Math.round(VALID_TOTAL_USD * 1e9));
    assert.equal(
      own.reduce((n, m) => n + m.totals.interactions, 0),
      VALID_INTERACTIONS,
    );
  });
});
