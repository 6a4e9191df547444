// CLI benchmark, the shipped bundle (dist/, built minified as `npm run package` and `npm run setup` build it)
// in fresh processes, alternating with its reference in
// the same run, best and median of RUNS each:
//  - start-up (issue 12): `unmetered --version` and `unmetered --help` against Node's own start-up
//    (`node -e 0`); goal ≤ 80 ms, i.e. close to Node's own;
//  - `unmetered statusline` (issue 17) on a warm ledger of a year (500,000 interactions, snapshots
//    written by a first open), with a Claude Code payload on stdin; goal well under 100 ms warm
//    beyond Node's start-up.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';

const RUNS = Number(process.env.BENCH_RUNS) || 7;
const YEAR_N = Number(process.env.BENCH_YEAR_N) || 500_000;
const CLI = path.resolve('dist', 'cli.js');

function time(args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Runs each case once per round, in turn, so load on a shared machine falls on all of them alike. */
function alternate(cases: Record<string, () => number>): Record<string, number[]> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const [k, f] of Object.entries(cases)) out[k].push(f());
  return out;
}

const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function report(title: string, runs: Record<string, number[]>, reference: string): void {
  console.log(
    `\n${title} (${RUNS} alternating runs each; load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')})`,
  );
  const ref = runs[reference];
  for (const [k, xs] of Object.entries(runs)) {
    const ratio =
      k === reference
        ? ''
        : `   ${(best(xs) / best(ref)).toFixed(2)}× best, ${(median(xs) / median(ref)).toFixed(2)}× median of ${reference}; +` +
          `${(best(xs) - best(ref)).toFixed(0)} ms best`;
    console.log(`  ${k.padEnd(34)} best ${best(xs).toFixed(1).padStart(7)} ms  median ${median(xs).toFixed(1).padStart(7)} ms${ratio}`);
    console.log(`    every run: ${xs.map((x) => x.toFixed(0)).join(' ')}`);
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

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('esbuild.mjs failed');

  report(
    'start-up',
    alternate({
      'node -e 0': () => time(['-e', '0']),
      'unmetered --version': () => time([CLI, '--version']),
      'unmetered --help': () => time([CLI, '--help']),
    }),
    'node -e 0',
  );

  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-cli-bench-'));
  try {
    const records = yearOfRecords(YEAR_N);
    const ledger = await openLedger({ dir });
    for (let i = 0; i < records.length; i += 50_000) await ledger.append(records.slice(i, i + 50_000));
    await ledger.close();
    const last = records[records.length - 1].at;
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      UNMETERED_HOME: dir,
      UNMETERED_NOW: new Date(Date.parse(last) + 20 * 60_000).toISOString(),
      UNMETERED_TZ: 'UTC',
      NO_COLOR: '1',
    };
    const payload = JSON.stringify({
      session_id: 's',
      model: { id: 'claude-sonnet-4-5', display_name: 'Sonnet' },
      workspace: { current_dir: '/home/dev/proj-1', project_dir: '/home/dev/proj-1' },
      cost: { total_cost_usd: 1.25 },
    });
    time([CLI, 'statusline'], env, payload); // the first open writes the snapshots: "warm" from here on
    console.log(`\nledger: ${YEAR_N.toLocaleString('en-US')} interactions over a year; last at ${last}`);
    report(
      'statusline on a warm ledger of a year',
      alternate({ 'node -e 0': () => time(['-e', '0']), 'unmetered statusline': () => time([CLI, 'statusline'], env, payload) }),
      'node -e 0',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
