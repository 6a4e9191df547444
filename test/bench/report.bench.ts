// Report benchmark.
//  1. A team of 200 developers × 52 weeks of weekly summaries (10,400 JSON files) merged by
//     `unmetered team` (collect, read, validate against the schema, merge, render), in a fresh
//     process so peak memory is its own; the peer, in the same run and also in a fresh process, only
//     reads and JSON.parses the same files: the floor any merge pays.
//  2. One weekly summary built from a year-long ledger (500,000 interactions) and rendered in every
//     format, against computeMeter over the same records (the status bar's pass).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tokens, type Interaction } from '../../src/core/interaction';
import { computeMeter } from '../../src/core/meter';
import {
  buildWeeklySummary,
  collectFiles,
  mergeTeam,
  readEntries,
  renderTeam,
  renderWeekly,
  REPORT_FORMATS,
  shiftWeek,
  weekById,
  weeklyFileName,
} from '../../src/core/report';

const DEVELOPERS = 200;
const WEEKS = 52;
const LAST_WEEK = '2026-W47';
const TZ = 'Europe/Berlin';

let seed = 7;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const MODELS: [string, string, number][] = [
  ['claude-sonnet-4-5', 'claude-code', 9],
  ['claude-opus-4-5', 'claude-code', 25],
  ['claude-haiku-4-5', 'claude-code', 3],
  ['gpt-5-codex', 'codex', 6],
  ['gpt-5-mini', 'codex', 1],
  ['gemini-2.5-pro', 'gemini-cli', 6],
  ['qwen3-coder:30b', 'cline', 0],
  ['unknown-model-x', 'roo-code', -1],
];
const PROJECTS = [
  'acme-api',
  'web-frontend',
  'infra',
  'billing-service',
  'docs',
  'ml-pipeline',
  'mobile-app',
  'data-platform',
  'auth',
  'search',
  'payments',
  'design-system',
];

function records(from: number, to: number, n: number, idPrefix: string): Interaction[] {
  const out: Interaction[] = [];
  for (let i = 0; i < n; i++) {
    const [model, agent, rate] = MODELS[Math.floor(rnd() * MODELS.length)];
    const local = rate === 0;
    const t = {
      input: Math.floor(rnd() * 4000),
      output: Math.floor(rnd() * 2500),
      cacheRead: Math.floor(rnd() * 150_000),
      cacheWrite5m: Math.floor(rnd() * 4000),
    };
    const cost = rate < 0 ? null : Math.round((t.input + t.output * 5 + t.cacheRead / 10 + t.cacheWrite5m) * rate);
    out.push({
      id: `${idPrefix}:${i}`,
      at: new Date(from + Math.floor(rnd() * (to - from))).toISOString(),
      agent,
      source: 'log',
      project: PROJECTS[Math.floor(rnd() * PROJECTS.length)],
      model,
      route: local ? 'local' : 'cloud',
      replaces: local ? 'claude-sonnet-4-5' : null,
      tokens: tokens(t),
      costNanos: local ? 0 : cost,
      avoidedNanos: local ? Math.round((t.input + t.output * 5) * 9) : null,
      priceSource: cost === null ? null : 'litellm@00035b69',
      estimated: rnd() < 0.02,
    });
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : 1));
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** Runs this file again in a fresh process in one of the measured modes, and returns what it printed (JSON). */
function child(mode: string, dir: string): { ms: number; maxRssKB: number; developers?: number; files?: number; bytes?: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, mode, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function measured(mode: string, dir: string): Promise<void> {
  const t0 = performance.now();
  const result: Record<string, number> = {};
  if (mode === 'merge') {
    const { files } = await collectFiles([dir]);
    const { entries, rejected } = await readEntries(files);
    const report = mergeTeam(entries, rejected, { now: Date.parse('2026-11-23T09:00:00Z') })!;
    for (const f of REPORT_FORMATS) renderTeam(report, f);
    result.developers = report.developers;
    result.files = files.length;
    if (rejected.length) throw new Error(`rejected ${rejected.length}: ${rejected[0].problem}`);
  } else {
    let bytes = 0;
    const names = readdirSync(dir);
    for (const n of names) {
      const text = readFileSync(path.join(dir, n), 'utf8');
      bytes += text.length;
      JSON.parse(text);
    }
    result.files = names.length;
    result.bytes = bytes;
  }
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, maxRssKB: process.resourceUsage().maxRSS, ...result }) + '\n');
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-report-bench-'));
  try {
    // 1. the team
    const dir = path.join(root, 'share');
    mkdirSync(dir);
    const last = weekById(LAST_WEEK);
    const first = shiftWeek(last, -(WEEKS - 1));
    const t0 = performance.now();
    let bytes = 0;
    for (let d = 0; d < DEVELOPERS; d++) {
      // ~120 interactions a week, two weeks at a time so each summary has its previous week
      const from = Date.parse(`${shiftWeek(first, -1).start}T00:00:00Z`);
      const to = Date.parse(`${last.end}T23:00:00Z`);
      const ledger = records(from, to, 120 * (WEEKS + 1), `dev${d}`);
      let lo = 0;
      for (let w = 0; w < WEEKS; w++) {
        const week = shiftWeek(first, w);
        const start = `${shiftWeek(week, -1).start}T00:00:00.000Z`;
        const end = `${week.end}T23:59:59.999Z`;
        while (lo < ledger.length && ledger[lo].at < start) lo++;
        let hi = lo;
        while (hi < ledger.length && ledger[hi].at <= end) hi++;
        const s = buildWeeklySummary(ledger.slice(lo, hi), {
          week,
          timeZone: TZ,
          budgetNanos: (50 + (d % 10) * 25) * 1e9,
          now: Date.parse('2026-11-23T09:00:00Z'),
          developer: `dev-${String(d).padStart(3, '0')}`,
          priceTableVersion: 'litellm@00035b69',
        });
        const text = renderWeekly(s, 'json');
        bytes += text.length;
        writeFileSync(path.join(dir, weeklyFileName(s, 'json')), text);
      }
    }
    console.log(
      `generated ${DEVELOPERS * WEEKS} weekly summaries (` +
        `${mb(bytes)} of JSON, ${Math.round(bytes / (DEVELOPERS * WEEKS) / 1000)} kB each) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const peer = child('parse', dir);
    const merge = child('merge', dir);
    console.log(
      `team merge (${merge.files} files → ${merge.developers} developers, read + schema check + merge +` +
        ` md/html/csv/json): ${(merge.ms / 1000).toFixed(2)} s, peak RSS ${mb(merge.maxRssKB * 1024)}`,
    );
    console.log(
      `peer: read + JSON.parse only:                        ${(peer.ms / 1000).toFixed(2)} s, peak RSS ${mb(peer.maxRssKB * 1024)}`,
    );
    console.log(
      `ratio merge /` +
        ` parse-only: ${(merge.ms / peer.ms).toFixed(2)}× time, ${(merge.maxRssKB / peer.maxRssKB).toFixed(2)}×` +
        ` memory; ${Math.round(merge.files! / (merge.ms / 1000))} summaries/s`,
    );

    // 2. one developer's year
    const yearFrom = Date.parse('2025-11-24T00:00:00Z');
    const year = records(yearFrom, Date.parse('2026-11-23T08:00:00Z'), 500_000, 'year');
    const now = Date.parse('2026-11-23T09:00:00Z');
    const runs = 5;
    let weekly = Infinity;
    let meter = Infinity;
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      const s = buildWeeklySummary(year, {
        week: LAST_WEEK,
        timeZone: TZ,
        budgetNanos: 100e9,
        now,
        developer: 'me',
        priceTableVersion: 'litellm@00035b69',
      });
      for (const f of REPORT_FORMATS) renderWeekly(s, f);
      weekly = Math.min(weekly, performance.now() - t);
      t = performance.now();
      computeMeter(year, { now, timeZone: TZ, budgetNanos: 100e9 });
      meter = Math.min(meter, performance.now() - t);
    }
    console.log(`weekly summary from 500,000 interactions + 4 renderings: ${weekly.toFixed(1)} ms (best of ${runs})`);
    console.log(`peer: computeMeter over the same records:              ${meter.toFixed(1)} ms (best of ${runs})`);
    console.log(`ratio summary / meter: ${(weekly / meter).toFixed(2)}×`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const [mode, dir] = process.argv.slice(2);
if (mode) void measured(mode, dir);
else void main();
