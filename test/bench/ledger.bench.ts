// Ledger benchmark: a year of history (~500,000 interactions) in a temp dir, then
//  - open + one full pass over records(), in fresh processes: first open (parses the JSONL and
//    writes snapshots) and later opens (snapshots), against a naive peer measured in the same run
//    (readFileSync + split + JSON.parse of the same files + the same pass);
//  - append latency (single records, each fsync'ed), p50 / p99;
//  - time until another process's append reaches a watchLedger callback.
// Target (issue 2): open + pass well under 1 s.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLedger, watchLedger } from '../../src/core/ledger/index';
import type { Interaction } from '../../src/core/interaction';
import { computeMeter } from '../../src/core/meter';

const N = 500_000;
const YEAR_START = Date.parse('2025-11-01T00:00:00.000Z');
const DAY = 86_400_000;

// Deterministic pseudo-random numbers, so every run measures the same ledger.
let seed = 42;
function rnd(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function b62(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += B62[Math.floor(rnd() * 62)];
  return s;
}
function uuid(): string {
  const h = () =>
    Math.floor(rnd() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return `${h()}${h()}-${h()}-${h()}-${h()}-${h()}${h()}${h()}`;
}

// model, agent, share, $/M input, output, cache read, cache write
const MIX: [string, string, number, number, number, number, number][] = [
  ['claude-sonnet-4-5-20250929', 'claude-code', 0.5, 3, 15, 0.3, 3.75],
  ['claude-opus-4-1-20250805', 'claude-code', 0.08, 15, 75, 1.5, 18.75],
  ['claude-haiku-4-5-20251001', 'claude-code', 0.1, 1, 5, 0.1, 1.25],
  ['gpt-5-codex', 'codex', 0.15, 1.25, 10, 0.125, 0],
  ['gpt-5', 'codex', 0.05, 1.25, 10, 0.125, 0],
  ['gemini-2.5-pro', 'gemini-cli', 0.05, 1.25, 10, 0.31, 0],
  ['qwen3-coder:30b', 'gateway', 0.05, 0, 0, 0, 0],
  ['some-new-model', 'cline', 0.02, 0, 0, 0, 0],
];
const PROJECTS = ['acme-api', 'web-frontend', 'infra', 'billing-service', 'docs', 'ml-pipeline', 'mobile-app', 'unmetered'];

function pick(): (typeof MIX)[number] {
  let x = rnd();
  for (const m of MIX) if ((x -= m[2]) < 0) return m;
  return MIX[0];
}

function generate(): Interaction[][] {
  const batches: Interaction[][] = [];
  let batch: Interaction[] = [];
  let later: Interaction[] = [];
  let session = uuid();
  for (let k = 0; k < N; k++) {
    // Spread over the year, denser in working hours.
    const day = Math.floor((k / N) * 365);
    const hour = 8 + Math.floor(rnd() * 11);
    const at = new Date(YEAR_START + day * DAY + hour * 3_600_000 + Math.floor(rnd() * 3_600_000)).toISOString();
    if (k % 200 === 0) session = uuid();
    const [model, agent, , pin, pout, pread, pwrite] = pick();
    const local = model.startsWith('qwen');
    const tokens = {
      input: Math.floor(rnd() * 4000),
      output: Math.floor(rnd() * 2500),
      cacheRead: Math.floor(rnd() * 150_000),
      cacheWrite5m: Math.floor(rnd() * 4000),
      cacheWrite1h: rnd() < 0.05 ? Math.floor(rnd() * 20_000) : 0,
      reasoning: 0,
    };
    if (agent === 'codex') tokens.reasoning = Math.floor(tokens.output * rnd());
    const nanos =
      Math.round(
        tokens.input * pin + tokens.output * pout + tokens.cacheRead * pread + (tokens.cacheWrite5m + tokens.cacheWrite1h) * pwrite,
      ) * 1000;
    const id =
      agent === 'claude-code'
        ? `anthropic:msg_01${b62(22)}`
        : agent === 'gateway'
          ? `openai:chatcmpl-${b62(29)}`
          : `${agent}:${session}:${k}`;
    const r: Interaction = {
      id,
      at,
      agent,
      source: agent === 'gateway' ? 'gateway' : 'log',
      project: PROJECTS[Math.floor(rnd() * PROJECTS.length)],
      model,
      route: local ? 'local' : 'cloud',
      replaces: local ? 'claude-sonnet-4-5-20250929' : null,
      tokens,
      costNanos: local ? 0 : model === 'some-new-model' ? null : nanos,
      avoidedNanos: local ? Math.round(tokens.input * 3 + tokens.output * 15) * 1000 : null,
      priceSource: model === 'some-new-model' ? null : 'litellm@00035b69',
      estimated: local && rnd() < 0.3,
    };
    // 2% are first seen with partial output (a streaming copy), completed in the next batch.
    if (rnd() < 0.02) {
      batch.push({ ...r, tokens: { ...tokens, output: Math.min(tokens.output, 1) } });
      later.push(r);
    } else batch.push(r);
    if (batch.length >= 10_000) {
      batches.push(batch);
      batch = later;
      later = [];
    }
  }
  batch.push(...later);
  if (batch.length) batches.push(batch);
  return batches;
}

function pass(records: readonly Interaction[]): { cost: number; tokens: number } {
  // What the meter does: touch every record's money and tokens.
  let cost = 0;
  let tokens = 0;
  for (const r of records) {
    cost += r.costNanos ?? 0;
    tokens += r.tokens.input + r.tokens.output + r.tokens.cacheRead + r.tokens.cacheWrite5m + r.tokens.cacheWrite1h;
  }
  return { cost, tokens };
}

const maxRssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);

// ——— child modes ———

// CPU time (user + system) is printed beside wall time: on a shared machine it is the steadier figure.
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

async function childOpen(dir: string): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ledger = await openLedger({ dir });
  const t1 = performance.now();
  const sums = pass(ledger.records());
  const t2 = performance.now();
  // What the status bar computes on every change: the meter on the last day of the generated year.
  const meter = computeMeter(ledger.records(), {
    now: YEAR_START + 364 * DAY + 15 * 3_600_000,
    timeZone: 'Europe/Berlin',
    budgetNanos: 500_000_000_000,
  });
  const t3 = performance.now();
  if (meter.monthToDateNanos <= 0) throw new Error('the meter saw no spend this month');
  const s = ledger.stats;
  console.log(
    JSON.stringify({
      openMs: t1 - t0,
      passMs: t2 - t1,
      meterMs: t3 - t2,
      cpuMs: cpuMs(c0),
      records: ledger.records().length,
      ...sums,
      snapshots: s.snapshotsUsed,
      duplicates: s.duplicateLines,
      maxRssMB: maxRssMB(),
    }),
  );
}

function childNaive(dir: string): void {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const segDir = path.join(dir, 'ledger');
  const byId = new Map<string, Interaction>();
  for (const f of readdirSync(segDir).sort()) {
    for (const line of readFileSync(path.join(segDir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const o = JSON.parse(line);
      if (o.unmetered) continue;
      const t = o.t;
      const r = {
        id: o.id,
        at: o.at,
        agent: o.a,
        source: o.s,
        project: o.p ?? null,
        model: o.m,
        route: o.r,
        replaces: o.x ?? null,
        tokens: { input: t[0], output: t[1], cacheRead: t[2], cacheWrite5m: t[3], cacheWrite1h: t[4], reasoning: t[5] },
        costNanos: o.c ?? null,
        avoidedNanos: o.v ?? null,
        priceSource: o.ps ?? null,
        estimated: o.e ?? false,
      } as Interaction;
      const cur = byId.get(r.id);
      const total = (x: Interaction) =>
        x.tokens.input + x.tokens.output + x.tokens.cacheRead + x.tokens.cacheWrite5m + x.tokens.cacheWrite1h;
      if (!cur || total(r) > total(cur)) byId.set(r.id, r);
    }
  }
  const records = [...byId.values()];
  const t1 = performance.now();
  const sums = pass(records);
  const t2 = performance.now();
  console.log(
    JSON.stringify({ openMs: t1 - t0, passMs: t2 - t1, cpuMs: cpuMs(c0), records: records.length, ...sums, maxRssMB: maxRssMB() }),
  );
}

async function childAppender(dir: string, count: number, gapMs: number): Promise<void> {
  const ledger = await openLedger({ dir });
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setTimeout(r, gapMs));
    const r = record(`bench-watch:${process.pid}:${i}`, new Date().toISOString());
    process.stdout.write(`${JSON.stringify({ i, t: Date.now() })}\n`);
    await ledger.append([r]);
  }
  await ledger.close();
}

function record(id: string, at: string): Interaction {
  return {
    id,
    at,
    agent: 'claude-code',
    source: 'log',
    project: 'acme-api',
    model: 'claude-sonnet-4-5-20250929',
    route: 'cloud',
    replaces: null,
    tokens: { input: 3, output: 120, cacheRead: 20_000, cacheWrite5m: 500, cacheWrite1h: 0, reasoning: 0 },
    costNanos: 9_876_000,
    avoidedNanos: null,
    priceSource: 'litellm@00035b69',
    estimated: false,
  };
}

// ——— the benchmark ———

function runChild(args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function best(runs: Record<string, number>[]): Record<string, number> {
  return [...runs].sort((a, b) => a.openMs + a.passMs - (b.openMs + b.passMs))[0];
}
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-ledger-bench-'));
  try {
    let t = performance.now();
    const batches = generate();
    const lines = batches.reduce((n, b) => n + b.length, 0);
    const gen = performance.now() - t;
    t = performance.now();
    {
      const ledger = await openLedger({ dir });
      for (const b of batches) await ledger.append(b);
      await ledger.close();
    }
    const write = performance.now() - t;
    const segDir = path.join(dir, 'ledger');
    const files = readdirSync(segDir);
    const bytes = files.reduce((n, f) => n + statSync(path.join(segDir, f)).size, 0);
    console.log(
      `generated ${lines} lines (${N} interactions, 2% first seen partial) in ${ms(gen)}; appended in batches` +
        ` of 10,000 in ${ms(write)} (${Math.round(lines / (write / 1000))} records/s)`,
    );
    console.log(`ledger: ${files.length} monthly segments, ${(bytes / 1e6).toFixed(1)} MB (${Math.round(bytes / lines)} bytes/line)`);

    const first = runChild(['child-open', dir]);
    if (first.snapshots !== 0) throw new Error('the first open found snapshots');
    const cacheDir = path.join(dir, 'cache', 'ledger');
    const snapBytes = readdirSync(cacheDir).reduce((n, f) => n + statSync(path.join(cacheDir, f)).size, 0);
    // Alternated and best of five each: on a shared machine the fastest run is the least disturbed.
    const opens: Record<string, number>[] = [];
    const naives: Record<string, number>[] = [];
    for (let i = 0; i < 5; i++) {
      opens.push(runChild(['child-open', dir]));
      naives.push(runChild(['child-naive', dir]));
    }
    const open = best(opens);
    const naive = best(naives);
    if (open.records !== N || naive.records !== N || first.records !== N)
      throw new Error(`expected ${N} records, got ${first.records}/${open.records}/${naive.records}`);
    if (open.cost !== naive.cost || open.tokens !== naive.tokens || first.cost !== open.cost)
      throw new Error('ledger and naive peer disagree on the totals');
    console.log(`snapshots: ${(snapBytes / 1e6).toFixed(1)} MB`);
    if (open.duplicates !== first.duplicates) throw new Error('snapshot and text disagree on duplicate lines');
    const line = (label: string, o: Record<string, number>) =>
      console.log(
        `${label}: open ${ms(o.openMs)} + pass ${ms(o.passMs)} = ${ms(o.openMs + o.passMs)} wall (` +
          `${ms(o.cpuMs)} CPU)` +
          `${o.meterMs !== undefined ? `; computeMeter ${ms(o.meterMs)} → open + meter ${ms(o.openMs + o.meterMs)}` : ''}, peak RSS ${o.maxRssMB} MB`,
      );
    line('first open (parses the JSONL, writes snapshots)', first);
    line('open (from snapshots, best of 5)               ', open);
    line('peer: readFileSync + split + JSON.parse (best 5)', naive);
    console.log(`  [target: open + pass, and open + computeMeter, well under 1000 ms]  ${open.duplicates} superseded copies skipped`);
    console.log(
      `ratio peer / ledger` +
        ` open+pass: ${((naive.openMs + naive.passMs) / (open.openMs + open.passMs)).toFixed(2)}x wall, ${(naive.cpuMs / open.cpuMs).toFixed(2)}x CPU; ` +
        `peer / first open: ${((naive.openMs + naive.passMs) / (first.openMs + first.passMs)).toFixed(2)}x wall`,
    );

    // Append latency on the year-sized ledger: one record per append, each fsync'ed.
    const ledger = await openLedger({ dir });
    const lat: number[] = [];
    const base = Date.parse('2026-10-31T12:00:00.000Z');
    for (let i = 0; i < 1000; i++) {
      const r = record(`bench-append:${i}`, new Date(base + i * 1000).toISOString());
      const s = performance.now();
      await ledger.append([r]);
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    const dupStart = performance.now();
    for (let i = 0; i < 1000; i++) await ledger.append([record(`bench-append:${i}`, new Date(base + i * 1000).toISOString())]);
    const dupMs = (performance.now() - dupStart) / 1000;
    console.log(
      `append 1 record` +
        ` (fsync): p50 ${ms(pct(lat, 50))}, p99 ${ms(pct(lat, 99))}, max ${ms(lat[lat.length - 1])}; re-append of a stored id (no write): ${ms(dupMs)} each`,
    );

    // Another process appends; how long until our watchLedger callback runs?
    const seen: number[] = [];
    const watch = watchLedger(ledger, () => seen.push(Date.now()));
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, 'child-appender', dir, '20', '250'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const sent: number[] = [];
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        sent.push(JSON.parse(buf.slice(0, nl)).t);
        buf = buf.slice(nl + 1);
      }
    });
    await new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 1200));
    watch.dispose();
    const visible = sent.map((s) => (seen.find((x) => x >= s) ?? NaN) - s).sort((a, b) => a - b);
    console.log(
      `another process's append seen by watchLedger: p50 ${ms(pct(visible, 50))}, max ${ms(visible[visible.length - 1])} over ${visible.length} appends ` +
        `(includes the writer's fsync; polling fallback every 500 ms)`,
    );
    if (visible.some((v) => !(v < 1000))) throw new Error('an append was not seen within a second');
    await ledger.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, ...rest] = process.argv.slice(2);
const job =
  mode === 'child-open'
    ? childOpen(rest[0])
    : mode === 'child-naive'
      ? Promise.resolve(childNaive(rest[0]))
      : mode === 'child-appender'
        ? childAppender(rest[0], Number(rest[1]), Number(rest[2]))
        : main();
job.catch((e) => {
  console.error(e);
  process.exit(1);
});
