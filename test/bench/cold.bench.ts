// Cold-terminal benchmark (issue 12): the shipped CLI (dist/, built minified by `npm run bench`, as `npm run
// package` and `npm run setup` build it) in fresh processes, each case alternating
// with its references in the same run, best and median of RUNS (default 3) each:
//  - start-up: `unmetered --version`, `--help` and `status --no-scan` (empty data dir) against Node's own
//    start-up (`node -e 0`); goal ≤ 80 ms, i.e. close to Node's own;
//  - cold import + report, the whole process: `unmetered daily --json` on a fresh data dir against
//    ccusage@20.0.24 `daily --json --offline` and `cat` over the same files; goal ≤ 0.8× ccusage and
//    within 2× of cat; beside them, the floor of reading those files from Node (READ_LOOP), and of reading and
//    parsing their usage lines on one thread (MIN_READER);
//  - peak memory (max RSS) of that cold import against ccusage's; goal ≤ ccusage.
// On both corpus shapes of coldCorpora.ts: long lines (few interactions, big tool results) and short
// lines (many interactions). The load average is printed: other jobs on a shared machine inflate
// wall times, which is why only ratios measured in the same run mean much.
//   npm run bench -- cold               both shapes at 862 MB (generated once under .bench/cold/)
//   SIZE=100 npm run bench -- cold      a quick run on ~100 MB corpora
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureShape, SHAPES, type ShapeCorpus } from './coldCorpora';

const RUNS = Math.max(3, Number(process.env.BENCH_RUNS) || 3);
const SIZE_MB = Number(process.env.SIZE ?? 862);
const CLI = path.resolve('dist', 'cli.js');
const CCUSAGE = path.resolve('node_modules/.bin/ccusage');
const TIME = '/usr/bin/time';
// The floor of reading these bytes from Node: every file through one reused 1 MiB buffer. `cat` is the issue's
// reference, but no floor on every machine: coreutils 9.1 allocates its 128 kB buffer per file (an mmap and a
// munmap each, strace), and on a VM where fresh pages and unmaps are dear that costs more than the reads (on the
// 2-core Firecracker VMs here: 1.35 s of kernel time for the 862 MB long-lines corpus, this loop 0.17 s).
const READ_LOOP =
  "const fs=require('node:fs');const b=Buffer.allocUnsafe(1<<20);" +
  "for(const f of process.argv.slice(1)){const fd=fs.openSync(f,'r');while(fs.readSync(fd,b,0,b.length,null)>0);fs.closeSync(fd)}";

// The least a Node reader of these logs does, on one thread: each file read whole into one reused buffer, the lines
// holding `"usage"` found with indexOf, each of those parsed with JSON.parse, the responses told apart by message id
// (no pricing, no ledger, no offsets, no checks). Where its time sits against ccusage's shows how much of the
// cold-import goal (≤ 0.8× ccusage) a Node process can reach before it does anything else the import must do.
const MIN_READER =
  "const fs=require('node:fs');let b=Buffer.allocUnsafe(1<<20);const nd=Buffer.from('\"usage\"');const ids=new Set();" +
  "for(const f of process.argv.slice(1)){const fd=fs.openSync(f,'r');const n=fs.fstatSync(fd).size;if(n>b.length)b=Buffer.allocUnsafe(n);" +
  'let g=0;while(g<n){const k=fs.readSync(fd,b,g,n-g,null);if(k<=0)break;g+=k}fs.closeSync(fd);const v=b.subarray(0,g);' +
  'for(let a=v.indexOf(nd);a>=0;){const s=v.lastIndexOf(10,a)+1;let e=v.indexOf(10,a);if(e<0)e=g;' +
  "const m=JSON.parse(v.toString('utf8',s,e)).message;if(m&&m.usage)ids.add(m.id);a=v.indexOf(nd,e)}}" +
  "process.stdout.write(ids.size+'\\n')";

interface Run {
  ms: number;
  /** Max RSS in MB, when /usr/bin/time is there to say. */
  rssMB: number | null;
  /** Minor page faults (fresh pages of memory: ~16 µs apiece on the 2-core VMs here), when /usr/bin/time says. */
  faults: number | null;
}

/** Runs a command in a fresh process; wall time from spawn to exit, max RSS from /usr/bin/time. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, check?: (stdout: string, stderr: string) => void): Run {
  const timed = existsSync(TIME);
  const t0 = performance.now();
  const r = spawnSync(timed ? TIME : cmd, timed ? ['-f', 'MAXRSS=%M FLT=%R', cmd, ...args] : args, {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    // cat's output (the whole corpus) goes to /dev/null, as it would in `cat … > /dev/null`.
    stdio: ['ignore', cmd === 'cat' ? 'ignore' : 'pipe', 'pipe'],
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}: exit ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
  check?.(r.stdout, r.stderr);
  const rss = /MAXRSS=(\d+) FLT=(\d+)/.exec(r.stderr);
  return { ms, rssMB: rss ? Number(rss[1]) / 1024 : null, faults: rss ? Number(rss[2]) : null };
}

/** Runs each case once per round, in turn, so load on a shared machine falls on all of them alike. */
function alternate(cases: Record<string, () => Run>): Record<string, Run[]> {
  const out: Record<string, Run[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const [k, f] of Object.entries(cases)) out[k].push(f());
  return out;
}

const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

function timeRows(runs: Record<string, Run[]>, refs: string[]): void {
  for (const [k, rs] of Object.entries(runs)) {
    const xs = rs.map((r) => r.ms);
    console.log(`  ${k.padEnd(40)} best ${best(xs).toFixed(0).padStart(6)} ms  median ${median(xs).toFixed(0).padStart(6)} ms`);
    console.log(`    every run: ${xs.map((x) => x.toFixed(0)).join(' ')}`);
  }
  const [ours] = Object.keys(runs);
  for (const ref of refs) {
    const a = runs[ours].map((r) => r.ms);
    const b = runs[ref].map((r) => r.ms);
    console.log(
      `  ratio ${ours} / ${ref}: ${(best(a) / best(b)).toFixed(2)}× best, ${(median(a) / median(b)).toFixed(2)}× median; +` +
        `${(best(a) - best(b)).toFixed(0)} ms best`,
    );
  }
}

function startup(): void {
  const home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-cold-bench-'));
  try {
    const env = { PATH: process.env.PATH, HOME: home, UNMETERED_HOME: home, UNMETERED_TZ: 'UTC', NO_COLOR: '1' };
    const node = process.execPath;
    console.log(`\nstart-up (${RUNS} alternating runs each; load average ${load()}); goal ≤ 80 ms`);
    const runs = alternate({
      'unmetered --version': () => run(node, [CLI, '--version'], env),
      'node -e 0': () => run(node, ['-e', '0'], env),
    });
    timeRows(runs, ['node -e 0']);
    const more = alternate({
      'unmetered status --no-scan (empty ledger)': () => run(node, [CLI, 'status', '--no-scan'], env),
      'node -e 0': () => run(node, ['-e', '0'], env),
      'unmetered --help': () => run(node, [CLI, '--help'], env),
    });
    timeRows(more, ['node -e 0']);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function jsonlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.jsonl'))
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

function coldImport(c: ShapeCorpus): void {
  const files = jsonlFiles(c.root);
  const node = process.execPath;
  const fresh = (): NodeJS.ProcessEnv => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-cold-bench-'));
    homes.push(home);
    return { PATH: process.env.PATH, HOME: home, UNMETERED_HOME: home, CLAUDE_CONFIG_DIR: c.root, TZ: 'UTC', NO_COLOR: '1' };
  };
  const homes: string[] = [];
  // Every interaction of the corpus must reach the ledger, or the run measured less than the work.
  const imported = (_: string, stderr: string) => {
    const m = /imported ([\d,]+) interactions?/.exec(stderr);
    if (!m || Number(m[1].replace(/,/g, '')) !== c.interactions)
      throw new Error(`expected ${c.interactions} interactions imported, stderr: ${stderr.slice(-500)}`);
  };
  try {
    // Everyone reads from the page cache: one untimed run of each first.
    run('cat', files, {});
    run(node, ['-e', READ_LOOP, ...files], {});
    run(node, ['-e', MIN_READER, ...files], {});
    run(CCUSAGE, ['daily', '--json', '--offline'], fresh());
    run(node, [CLI, 'daily', '--json'], fresh(), imported);
    console.log(
      `\n${c.shape}: ${(c.bytes / 1e6).toFixed(0)} MB in ${c.files.toLocaleString('en-US')} files, ${c.interactions.toLocaleString('en-US')} interactions`,
    );
    console.log(`cold import + report, whole process (${RUNS} alternating runs each; load average ${load()})`);
    const runs = alternate({
      'unmetered daily --json (fresh data dir)': () => run(node, [CLI, 'daily', '--json'], fresh(), imported),
      'ccusage daily --json --offline': () => run(CCUSAGE, ['daily', '--json', '--offline'], fresh()),
      'cat (same files)': () => run('cat', files, {}),
      'node read loop (same files, one buffer)': () => run(node, ['-e', READ_LOOP, ...files], {}),
      'node minimal reader (one thread)': () => run(node, ['-e', MIN_READER, ...files], {}),
    });
    timeRows(runs, [
      'ccusage daily --json --offline',
      'cat (same files)',
      'node read loop (same files, one buffer)',
      'node minimal reader (one thread)',
    ]);
    const ms = (k: string) => runs[k].map((r) => r.ms);
    const [peer, reader] = [ms('ccusage daily --json --offline'), ms('node minimal reader (one thread)')];
    console.log(
      `  the minimal Node reader against ccusage: ${(best(reader) / best(peer)).toFixed(2)}× best, ` +
        `${(median(reader) / median(peer)).toFixed(2)}× median ` +
        `(the goal asks 0.8× of the whole import)`,
    );
    const ours = runs['unmetered daily --json (fresh data dir)'].map((r) => r.rssMB);
    const theirs = runs['ccusage daily --json --offline'].map((r) => r.rssMB);
    const faults = (k: string) => median(runs[k].map((r) => r.faults ?? NaN)).toLocaleString('en-US');
    if (ours.every((x) => x !== null) && theirs.every((x) => x !== null)) {
      const [a, b] = [ours, theirs];
      console.log(`peak memory (max RSS) of the cold import; goal ≤ ccusage`);
      console.log(
        `  unmetered best ${best(a).toFixed(0)} MB, median ${median(a).toFixed(0)} MB; every run: ${a.map((x) => x.toFixed(0)).join(' ')}; ` +
          `page faults median ${faults('unmetered daily --json (fresh data dir)')}`,
      );
      console.log(
        `  ccusage   best ${best(b).toFixed(0)} MB, median ${median(b).toFixed(0)} MB; every run: ${b.map((x) => x.toFixed(0)).join(' ')}; ` +
          `page faults median ${faults('ccusage daily --json --offline')}`,
      );
      console.log(`  ratio unmetered / ccusage: ${(best(a) / best(b)).toFixed(2)}× best, ${(median(a) / median(b)).toFixed(2)}× median`);
    } else {
      console.log('peak memory: /usr/bin/time is missing, so max RSS was not measured');
    }
  } finally {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run through npm run bench (it builds first)`);
  const corpora: ShapeCorpus[] = [];
  for (const s of SHAPES) corpora.push(await ensureShape(s, SIZE_MB));
  startup();
  for (const c of corpora) coldImport(c);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
