// Re-run benchmark (issue 12), the shipped bundle (dist/, built minified as `npm run package` and `npm run
// setup` build it) in fresh processes, on two shapes of
// Claude Code history (kept under .bench/rerun/ and reused): "short" (many shorter lines, the shape
// of sources.bench.ts) and "long" (fewer, longer lines: ~860 MB in ~2,800 files, ~30k interactions).
// After a cold import and one run that writes the rollup, alternating runs of:
//  - `unmetered daily --json` with nothing new (goal ≤ 150 ms: stat the logs, read no ledger record);
//  - `unmetered monthly --json` with nothing new (another view the rollup answers);
//  - `unmetered status` with nothing new, run twice and timed the second time (the meter, kept as the views are);
//  - `unmetered daily --json` after one appended assistant line (goal ≤ 150 ms);
//  - `unmetered statusline` as Claude Code runs it (its payload names the transcript), after one appended line and
//    with nothing new, each against `ccusage statusline` given the same payload (which keeps a cache of its own);
//  - ccusage@20.0.24 `daily --json --offline` on the same files (a full re-scan: it keeps no cache);
//  - `unmetered --version` (goal ≤ 80 ms) against `ccusage --version` and `node -e 0`, Node's own start-up;
//  - the floor of an exact check with nothing new: Node walking the folder and stat-ing every file (WALK_STAT);
// best and median of RUNS, each as a ratio against its ccusage row in the same run. Then the memory a year of
// history (500,000 interactions) takes held as records (the ledger's view) and as the rollup, and the
// extension host's heap once its meter is ready, the way it held the ledger before and holds it now.
//   BENCH_RUNS=5 SHAPES=long SCALE=0.1 BENCH_YEAR_N=50000 npm run bench -- rerun    a smaller, quicker run
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { readRollup, RollupIndex } from '../../src/core/ledger/rollup';
import { entriesOf } from '../../src/core/aggregate/entries';
import { meterOf } from '../../src/core/aggregate/meter';
import { computeMeter } from '../../src/core/meter';
import { latestLimits } from '../../src/core/plans/view';
import { currentlyPriced, loadPriceTable } from '../../src/core/pricing';
import { generateClaudeCorpus } from '../sources/corpus';

const RUNS = Math.max(3, Number(process.env.BENCH_RUNS) || 5);
const SHAPES = (process.env.SHAPES ?? 'short,long').split(',');
/** Sessions × SCALE (e.g. 0.05 for a quick run). */
const SCALE = Number(process.env.SCALE) || 1;
const YEAR_N = Number(process.env.BENCH_YEAR_N) || 500_000;
// A copy of dist/: a build running meanwhile (the unit suites rebuild dist/) cannot change it under a run.
const CLI = path.resolve('.bench/rerun/dist', 'cli.js');
const CCUSAGE = path.resolve('node_modules/.bin/ccusage');
const BENCH = path.resolve('.bench/rerun');
const SHAPE_OPTIONS = {
  short: { sessions: 1750, turns: [35, 85] as [number, number], toolResultBytes: [500, 12_000] as [number, number] },
  long: { sessions: 2400, turns: [7, 17] as [number, number], toolResultBytes: [12_000, 40_000] as [number, number] },
};

// The floor of a re-run with nothing new, in a fresh Node process: what any exact check must do, walk the agent's
// folder and stat every file (a line appended to any of them changes nothing else on disk), and no more. On the
// 2-core VMs here a stat from Node costs ~12 µs in a fresh process (Python's os.stat ~4.5 µs): the gap is Node's
// JavaScript around it (the path's checks, a Stats object and its four Dates), which warms up only after thousands.
const WALK_STAT =
  "const fs=require('node:fs');let n=0;const w=(d)=>{for(const e of fs.readdirSync(d,{withFileTypes:true})){" +
  "const p=d+'/'+e.name;if(e.isDirectory())w(p);else if(e.isFile())n+=fs.statSync(p).size>0}};w(process.argv[1])";

interface Run {
  ms: number;
  cpuMs: number;
  /** Minor page faults: each a fresh page of memory, ~16 µs apiece on the 2-core VMs here (NaN without /usr/bin/time). */
  faults: number;
}

/**
 * Wall time, and from /usr/bin/time when there is one CPU time (user + system), steadier on a busy machine, and the
 * minor page faults, steadier still: the memory a run touches, which on a VM can be much of its time.
 */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Run & { stdout: string } {
  const useTime = existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(useTime ? '/usr/bin/time' : cmd, useTime ? ['-f', 'CPU=%U+%S FLT=%R', cmd, ...args] : args, {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    input,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const cpu = /CPU=([\d.]+)\+([\d.]+) FLT=(\d+)/.exec(r.stderr);
  return { ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, faults: cpu ? Number(cpu[3]) : NaN, stdout: r.stdout };
}

const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f0 = (x: number) => x.toFixed(0);

async function ensureCorpus(shape: 'short' | 'long'): Promise<{ root: string; files: string[]; bytes: number }> {
  const root = path.join(BENCH, SCALE === 1 ? shape : `${shape}-x${SCALE}`);
  const meta = path.join(root, 'meta.json');
  if (existsSync(meta)) {
    // Kept with absolute paths, possibly of the checkout that generated it: taken as relative to where it is now.
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { root: string; files: string[]; bytes: number };
    return { ...m, root, files: m.files.map((f) => path.join(root, path.relative(m.root, f))) };
  }
  rmSync(root, { recursive: true, force: true });
  const c = await generateClaudeCorpus({
    root: path.join(root, 'claude'),
    days: 30,
    startDay: '2025-10-01',
    seed: 11,
    ...SHAPE_OPTIONS[shape],
    sessions: Math.max(20, Math.round(SHAPE_OPTIONS[shape].sessions * SCALE)),
  });
  const m = { root, files: c.files, bytes: c.bytes };
  writeFileSync(meta, JSON.stringify(m));
  return m;
}

function assistantLine(n: number): string {
  const id = `msg_rerun_${process.pid}_${n}`;
  return JSON.stringify({
    parentUuid: 'x',
    isSidechain: false,
    cwd: '/home/dev/proj-0',
    sessionId: 'rerun',
    version: '2.0.31',
    message: {
      model: 'claude-sonnet-4-5-20250929',
      id,
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'ok' }],
      usage: { input_tokens: 3, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 0, output_tokens: 42 },
    },
    requestId: `req_${id}`,
    type: 'assistant',
    uuid: id,
    timestamp: '2025-10-15T12:00:00.000Z',
  });
}

async function shapeRows(shape: 'short' | 'long'): Promise<string[]> {
  const corpus = await ensureCorpus(shape);
  const data = mkdtempSync(path.join(os.tmpdir(), 'unmetered-bench-rerun-'));
  const home = path.join(data, 'home');
  mkdirSync(home);
  const env = { HOME: home, UNMETERED_HOME: data, CLAUDE_CONFIG_DIR: path.join(corpus.root, 'claude'), PATH: process.env.PATH, TZ: 'UTC' };
  try {
    const ours = () => timed(process.execPath, [CLI, 'daily', '--json'], env);
    const cold = ours(); // the cold import (h12cold's rows measure it); then the rollup is written
    ours();
    const count = (out: string) => (JSON.parse(out) as { totals: { interactions: number } }).totals.interactions;
    const before = count(ours().stdout);
    const target = corpus.files[0];
    // As Claude Code runs its status line, naming the session's transcript: the file the lines are appended to.
    const payload = JSON.stringify({
      session_id: 'rerun',
      transcript_path: target,
      cwd: '/home/dev/proj-0',
      model: { id: 'claude-sonnet-4-5', display_name: 'Sonnet 4.5' },
      workspace: { current_dir: '/home/dev/proj-0', project_dir: '/home/dev/proj-0' },
      version: '2.0.31',
      cost: { total_cost_usd: 0.5, total_duration_ms: 60_000, total_api_duration_ms: 20_000, total_lines_added: 0, total_lines_removed: 0 },
    });
    const statusline = () => timed(process.execPath, [CLI, 'statusline'], env, payload);
    let stored = before;
    const runs: Record<string, Run[]> = {
      'nothing new': [],
      'monthly, nothing new': [],
      'status, nothing new': [],
      'one appended line': [],
      'statusline, nothing new': [],
      'statusline, one appended line': [],
      ccusage: [],
      'ccusage statusline, nothing new': [],
      'ccusage statusline, one appended line': [],
      '--version': [],
      'ccusage --version': [],
      'node -e 0': [],
      'node walk + stat': [],
    };
    for (let i = 0; i < RUNS; i++) {
      runs['nothing new'].push(ours());
      runs['monthly, nothing new'].push(timed(process.execPath, [CLI, 'monthly', '--json'], env));
      // Its run before, after the line the last round appended, found the ledger changed: the second is a prompt's.
      timed(process.execPath, [CLI, 'status'], env);
      runs['status, nothing new'].push(timed(process.execPath, [CLI, 'status'], env));
      appendFileSync(target, assistantLine(2 * i) + '\n');
      const after = ours();
      if (count(after.stdout) !== ++stored) throw new Error(`the appended line ${2 * i} is not in the report`);
      runs['one appended line'].push(after);
      // The status line after an agent's turn, and at the next message with nothing new (its run before read the
      // line the view above had stored).
      appendFileSync(target, assistantLine(2 * i + 1) + '\n');
      runs['statusline, one appended line'].push(statusline());
      // ccusage's, given the same payload: its cache holds while the transcript is as it was (--offline: no price fetch).
      runs['ccusage statusline, one appended line'].push(timed(CCUSAGE, ['statusline', '--offline'], env, payload));
      const seen = count(timed(process.execPath, [CLI, 'daily', '--json', '--no-scan'], env).stdout);
      if (seen !== ++stored) throw new Error(`the status line did not store the appended line ${2 * i + 1}`);
      runs['statusline, nothing new'].push(statusline());
      runs['ccusage statusline, nothing new'].push(timed(CCUSAGE, ['statusline', '--offline'], env, payload));
      ours(); // the view keeps its answer again (the status line stored a line): the next round's "nothing new" is a prompt's
      runs.ccusage.push(timed(CCUSAGE, ['daily', '--json', '--offline'], env));
      runs['--version'].push(timed(process.execPath, [CLI, '--version'], env));
      runs['ccusage --version'].push(timed(CCUSAGE, ['--version'], env));
      runs['node -e 0'].push(timed(process.execPath, ['-e', '0'], env));
      runs['node walk + stat'].push(timed(process.execPath, ['-e', WALK_STAT, env.CLAUDE_CONFIG_DIR], env));
    }
    const mb = corpus.bytes / (1 << 20);
    const out = [
      `\n${shape} lines: ${mb.toFixed(0)} MB in ${corpus.files.length} files, ${before} interactions;` +
        ` cold import ${f0(cold.ms)} ms; ${RUNS} alternating runs; load average ${os
          .loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')}`,
    ];
    const ratio = (xs: Run[], ref: string) => {
      const [ms, rs] = [xs.map((x) => x.ms), runs[ref].map((x) => x.ms)];
      const cpu = (best(xs.map((x) => x.cpuMs)) / best(runs[ref].map((x) => x.cpuMs))).toFixed(3);
      return `${(best(ms) / best(rs)).toFixed(3)}× best, ${(median(ms) / median(rs)).toFixed(3)}× median of ${ref}; CPU ${cpu}×`;
    };
    for (const [k, xs] of Object.entries(runs)) {
      const ms = xs.map((x) => x.ms);
      const cpu = xs.map((x) => x.cpuMs);
      const vs =
        k === 'ccusage'
          ? '  (full re-scan)'
          : k === 'ccusage --version' || k === 'node -e 0' || k.startsWith('ccusage statusline')
            ? ''
            : k === 'node walk + stat'
              ? "  (the floor of an exact check: Node's start-up, the folder walked, every file stat'ed)"
              : k === '--version'
                ? `  ${ratio(xs, 'ccusage --version')}; ${ratio(xs, 'node -e 0')}`
                : k.startsWith('statusline')
                  ? `  ${ratio(xs, `ccusage ${k}`)}`
                  : `  ${ratio(xs, 'ccusage')}`;
      const faults = median(xs.map((x) => x.faults));
      out.push(
        `  ${k.padEnd(37)} best ${f0(best(ms)).padStart(6)} ms  median ${f0(median(ms)).padStart(6)} ms  CPU best ${f0(best(cpu)).padStart(5)} ms  ` +
          `page faults ${Number.isNaN(faults) ? '?' : f0(faults).padStart(6)}${vs}`,
      );
      out.push(`    every run (ms): ${ms.map(f0).join(' ')}`);
    }
    const goal = (k: string, ms: number) => `${k}: best ${f0(best(runs[k].map((x) => x.ms)))} ms (goal ≤ ${ms} ms)`;
    out.push(`  ${goal('nothing new', 150)}; ${goal('one appended line', 150)}; ${goal('--version', 80)}`);
    out.push(`  ${goal('statusline, nothing new', 150)}; ${goal('statusline, one appended line', 150)}`);
    const above = (k: string) => f0(best(runs[k].map((x) => x.ms)) - best(runs['node walk + stat'].map((x) => x.ms)));
    out.push(
      `  above the floor (best against best): nothing new +${above('nothing new')} ms, one appended line +${above('one appended line')} ms;` +
        ` statusline +${above('statusline, nothing new')} and +${above('statusline, one appended line')} ms`,
    );
    return out;
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

function yearOfRecords(n: number): Interaction[] {
  const start = Date.parse('2025-11-01T00:00:00Z');
  const span = 365 * 86_400_000;
  const models = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'gpt-5-codex'];
  return Array.from({ length: n }, (_, i) => ({
    id: `anthropic:msg_bench_${i.toString(36)}`,
    at: new Date(start + Math.floor((i / n) * span)).toISOString(),
    agent: i % 5 === 0 ? 'codex' : 'claude-code',
    source: 'log',
    project: `proj-${i % 9}`,
    model: models[i % 3],
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 10 + (i % 300), output: 200 + (i % 900), cacheRead: 20_000 + (i % 7000), cacheWrite5m: i % 1500 }),
    costNanos: 1_000_000 + (i % 97) * 10_000,
    avoidedNanos: null,
    priceSource: 'litellm@bench',
    estimated: false,
  }));
}

/** One measurement in a fresh process (--expose-gc): the heap a year of history holds, one way or the other. */
async function memoryChild(way: string, dir: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const m0 = process.memoryUsage();
  let held: unknown;
  const now = Date.parse('2026-10-31T12:00:00Z');
  const meterOpts = { now, timeZone: 'UTC', budgetNanos: null };
  if (way === 'records') {
    const ledger = await openLedger({ dir });
    held = ledger;
  } else if (way === 'rollup') {
    held = await readRollup({ dir, timeZone: 'UTC' });
  } else if (way === 'host-records') {
    // The extension host before: its ledger held every record, and the meter was computed from them.
    const ledger = await openLedger({ dir });
    const records = currentlyPriced(ledger.records(), loadPriceTable({}));
    held = [ledger, computeMeter(records, meterOpts), latestLimits(records, now)];
  } else {
    // The extension host now (src/extension/ledgerAccess.ts): a lazy ledger with the rollup as its index,
    // the meter from the rollup's cells, plan limits from the few recent records read back.
    const index = new RollupIndex({ dir, timeZone: 'UTC', save: false });
    const ledger = await openLedger({ dir, lazy: true, index: () => index });
    await ledger.refresh();
    const rollup = index.rollup();
    const entries = entriesOf(rollup, currentlyPriced(rollup.loose, loadPriceTable({})), 'UTC')!;
    const recent = await index.recentRecords(new Date(now - 5 * 3_600_000).toISOString());
    held = [ledger, index, meterOf(entries, meterOpts), latestLimits(recent, now)];
  }
  gc();
  const m1 = process.memoryUsage();
  // Typed arrays (the rollup's id index, snapshots' columns) live outside the heap: counted apart.
  process.stdout.write(
    JSON.stringify({
      heapMB: (m1.heapUsed - m0.heapUsed) / (1 << 20),
      buffersMB: (m1.arrayBuffers - m0.arrayBuffers) / (1 << 20),
      rssMB: m1.rss / (1 << 20),
      kept: !!held,
    }) + '\n',
  );
}

async function memoryRows(): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-bench-year-'));
  try {
    const ledger = await openLedger({ dir });
    await ledger.append(yearOfRecords(YEAR_N));
    await ledger.close();
    const self = path.join(BENCH, 'memory-child.js');
    const { build } = await import('esbuild');
    await build({
      entryPoints: [__filename],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: self,
      external: ['esbuild'],
      logLevel: 'error',
    });
    const measure = (way: string) => {
      spawnSync(process.execPath, ['--expose-gc', self, 'memory', way, dir], { encoding: 'utf8' }); // snapshots and rollup written
      const r = spawnSync(process.execPath, ['--expose-gc', self, 'memory', way, dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { heapMB: number; buffersMB: number; rssMB: number };
    };
    const rec = measure('records');
    const agg = measure('rollup');
    const hostBefore = measure('host-records');
    const hostAfter = measure('host-rollup');
    return [
      `\nmemory for a year of history (${YEAR_N.toLocaleString('en-US')} interactions), heap after GC:`,
      `  as records (the ledger's view, what the extension host holds today): ${rec.heapMB.toFixed(1)} MB (process RSS ${rec.rssMB.toFixed(0)} MB)`,
      `  as the rollup (aggregates):` +
        `                                           ${agg.heapMB.toFixed(1)}` +
        ` MB (process RSS ${agg.rssMB.toFixed(0)} MB)  ${(agg.heapMB / rec.heapMB).toFixed(3)}× of records`,
      `extension host, heap after GC once the meter is ready (ledger, meter and plan limits held as the host holds them):`,
      `  before (every record in the ledger's view, computeMeter):       ${hostLine(hostBefore)}`,
      `  now (lazy ledger + rollup index, meterOf, recent records only): ${hostLine(hostAfter)}  ` +
        `${((hostAfter.heapMB + hostAfter.buffersMB) / (hostBefore.heapMB + hostBefore.buffersMB)).toFixed(3)}× of before`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const b = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { stdio: 'inherit' });
  if (b.status !== 0) throw new Error('esbuild.mjs failed');
  mkdirSync(BENCH, { recursive: true });
  cpSync('dist', path.dirname(CLI), { recursive: true });
  const lines: string[] = [];
  for (const shape of SHAPES) lines.push(...(await shapeRows(shape as 'short' | 'long')));
  lines.push(...(await memoryRows()));
  console.log(lines.join('\n'));
}

if (process.argv[2] === 'memory') {
  memoryChild(process.argv[3], process.argv[4]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

function hostLine(m: { heapMB: number; buffersMB: number; rssMB: number }): string {
  return `heap ${m.heapMB.toFixed(1)} MB + array buffers ${m.buffersMB.toFixed(1)} MB (process RSS ${m.rssMB.toFixed(0)} MB)`;
}
