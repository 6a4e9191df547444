// Runs the node:test suites, their TypeScript loaded by test/ts-hook.cjs. Node 20's `--test` does not expand globs,
// so list files here.
//   node test/run.mjs            every suite except end-to-end (test/e2e), CI-level (test/ci) and real-inference
//                                (test/real) ones
//   node test/run.mjs --e2e      only the end-to-end suites (need code-server + Chromium: see test/e2e/setup.sh)
//   node test/run.mjs --ci       only the CI-level suites (need Debian's prometheus: see test/ci/setup.sh)
//   node test/run.mjs --real     only the real-inference suites (need UNMETERED_LLAMA_SERVER: see test/real/README.md)
//   node test/run.mjs --all      all four
//   node test/run.mjs FILTER     only files whose path contains FILTER
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const args = process.argv.slice(2);
const mode = args.includes('--all')
  ? 'all'
  : args.includes('--e2e')
    ? 'e2e'
    : args.includes('--ci')
      ? 'ci'
      : args.includes('--real')
        ? 'real'
        : 'unit';
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

const files = walk('test')
  .filter((f) => {
    const e2e = f.startsWith(path.join('test', 'e2e') + path.sep);
    const ci = f.startsWith(path.join('test', 'ci') + path.sep);
    const real = f.startsWith(path.join('test', 'real') + path.sep);
    return mode === 'all' || (mode === 'e2e' ? e2e : mode === 'ci' ? ci : mode === 'real' ? real : !e2e && !ci && !real);
  })
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`test/run.mjs: no test files matched (${mode} ${filters.join(' ')})`);
  process.exit(1);
}
// Build the shipped bundles once: several suites run them, and must not rebuild them in parallel. Skipped when
// nothing the last build read or wrote has changed since (esbuild.mjs --if-changed).
const build = spawnSync(process.execPath, ['esbuild.mjs', '--if-changed'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// Three unit shards at a time on any machine: a shard waiting on a child process, a socket or a timer leaves a
// core idle, and a third fills it. On 2 cores, npm test alternating 2 and 3 (4 runs each): 77.9 s mean with 2,
// 74.9 s with 3; 4 was slower again (78-81 s), the shards then only contending for the cores.
const LANES = 3;
const concurrency = mode === 'unit' ? [`--test-concurrency=${LANES}`] : ['--test-concurrency=1'];
// A ceiling on every suite file, so a regression that hangs fails in minutes instead of holding CI for its
// whole 90 (node:test on Node 20 applies --test-timeout to each file it runs). Suites that know their bound set
// a tighter one on their describe(). The longer fuzz runs of test:all (UNMETERED_FUZZ_RUNS) are long on
// purpose: they get the CI-level ceiling.
const long = mode !== 'unit' || Number(process.env.UNMETERED_FUZZ_RUNS) > 0;
const ceiling = long ? 600_000 : 120_000;

// A node process per suite file costs about 0.4 s of CPU before its first test (Node, the hook, the shared
// modules), and the unit suites are over a hundred files: they share a process per lane instead, a shard that
// requires its files one after another, each file inside a describe() named by its path. That describe keeps
// the file's ceiling, and scopes the file's top-level before/after/beforeEach hooks to its own tests.
// A file that says `// test/run.mjs: own process` gets a shard of its own; UNMETERED_TEST_ISOLATE=1 gives
// every file its own, to rule out one file disturbing another.
//
// The run is planned as as many lanes as shards run at once, of equal expected time (lanes()). Before, the
// files were dealt into 8 equal shards, three at a time: two lanes ran three shards and the third two, and the
// run ended with one or two shards alone on the cores (on 2 cores the shards' walls summed to 161 s, 54 s a
// lane, and the run took 61 s).
// Each unit file's duration in the previous runs, kept by test/durations-reporter.mjs: the lanes are balanced by
// them. A file with no recorded duration counts as the median one; with none recorded at all, every file costs
// the same and the lanes are dealt round-robin.
const DURATIONS = path.join('.cache', 'test-durations.json');

function recordedDurations() {
  try {
    const d = JSON.parse(readFileSync(DURATIONS, 'utf8'));
    return d && typeof d === 'object' && !Array.isArray(d) ? d : {};
  } catch {
    return {};
  }
}

/**
 * The unit run's processes (each a list of files), longest first. The files that need a process of their own
 * are placed first, each in the lightest lane, then the others, longest first, each in the lightest lane; a
 * lane's shared files make one process. node:test starts the processes in the order given, each as a lane
 * comes free, so a lane that began with a short process of its own goes on with the shared one planned for it.
 */
function lanes(own, shared, n) {
  const known = recordedDurations();
  const costs = [...own, ...shared].map((f) => known[f]).filter((ms) => Number.isFinite(ms) && ms >= 0);
  const median = costs.length > 0 ? costs.sort((a, b) => a - b)[Math.floor(costs.length / 2)] : 1;
  const cost = (f) => (Number.isFinite(known[f]) && known[f] >= 0 ? known[f] : median);
  const sum = (list) => list.reduce((ms, f) => ms + cost(f), 0);
  // A lane's load counts its own-process files; `shared` are the files of its one shared process.
  const plan = Array.from({ length: n }, () => ({ load: 0, shared: [] }));
  const lightest = () => plan.reduce((min, x) => (x.load < min.load ? x : min));
  // A stable sort: equal costs keep path order, and the lightest lane is the first of equals.
  const longestFirst = (list) => [...list].sort((a, b) => cost(b) - cost(a));
  for (const f of longestFirst(own)) lightest().load += cost(f);
  for (const f of longestFirst(shared)) {
    const lane = lightest();
    lane.load += cost(f);
    lane.shared.push(f);
  }
  const processes = [...own.map((f) => [f]), ...plan.map((l) => l.shared).filter((files) => files.length > 0)];
  return processes.sort((a, b) => sum(b) - sum(a));
}

/** Keeps this run's durations (a filtered run updates only its own files). */
function keepDurations(file) {
  let ran;
  try {
    ran = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return; // the run ended before its reporter did: keep the old figures
  }
  mkdirSync(path.dirname(DURATIONS), { recursive: true });
  // Written whole and renamed: two runs in one checkout never leave half a file.
  const tmp = `${DURATIONS}.${process.pid}`;
  // Only this run's suite files: a shard that failed to load is reported under its own (temporary) name.
  const mine = Object.fromEntries(Object.entries(ran).filter(([f, ms]) => files.includes(f) && Number.isFinite(ms)));
  writeFileSync(tmp, JSON.stringify({ ...recordedDurations(), ...mine }, null, 1) + '\n');
  renameSync(tmp, DURATIONS);
}

let runFiles = files;
let fileCeiling = ceiling;
let shardDir = null;
if (mode === 'unit') {
  const isolate = Boolean(process.env.UNMETERED_TEST_ISOLATE);
  const own = files.filter((f) => isolate || readFileSync(f, 'utf8').includes('// test/run.mjs: own process'));
  const shared = files.filter((f) => !own.includes(f));
  const groups = lanes(own, shared, LANES);
  shardDir = path.join('.cache', 'test-shards', String(process.pid));
  mkdirSync(shardDir, { recursive: true });
  runFiles = groups.map((group, i) => {
    const shard = path.join(shardDir, `shard-${i}.test.cjs`);
    const lines = group.map(
      (f) => `describe(${JSON.stringify(f)}, { timeout: ${ceiling} }, () => require(${JSON.stringify(path.resolve(f))}));`,
    );
    writeFileSync(shard, [`const { describe } = require('node:test');`, ...lines, ''].join('\n'));
    return shard;
  });
  // The shard's own ceiling only backs up its files' ceilings: it ends a shard that hangs between or after its
  // files (a handle left open). A lane holds dozens of files, so it is capped at eight files' ceilings (17 min
  // for the unit suites, whose lanes take about a minute), not one per file, which would outlast CI's 90.
  fileCeiling = ceiling * Math.min(8, Math.max(...groups.map((g) => g.length))) + 60_000;
}

// node:test's own choice of reporter (spec on a terminal, else TAP), and beside it the durations of the shards' files.
const reporters = shardDir
  ? [
      `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
      '--test-reporter-destination=stdout',
      '--test-reporter=./test/durations-reporter.mjs',
      `--test-reporter-destination=${path.join(shardDir, 'durations.json')}`,
    ]
  : [];
// NODE_EXTRA_CA_CERTS (set on these machines) has every Node process read and parse its certificates as it starts,
// about 40 ms of CPU, and the unit suites start some 200 (shards, the CLI, ledger writers). No unit suite makes a TLS
// connection: every server a test talks to is plain HTTP on 127.0.0.1.
if (mode === 'unit') delete process.env.NODE_EXTRA_CA_CERTS;
// One V8 background thread per unit process instead of four (node:test passes the flag on to each shard): the
// lanes are the parallelism, and three processes' twelve helper threads on two cores only contended for them. On
// 2 cores, 4 runs each alternating: the unit suites 67.9 s mean against 70.3 s, about 5 CPU-s less.
// A young generation of 64 MB semi-spaces instead of 16: a shard runs dozens of suites in one heap, and fewer
// scavenges promote less of what they allocate. 4 runs each alternating: 59.9 s mean against 63.7 s, user CPU
// 83.3 s against 88.5 s.
const v8Pool = mode === 'unit' ? ['--v8-pool-size=1', '--max-semi-space-size=64'] : [];
const r = spawnSync(
  process.execPath,
  [...v8Pool, '--require', './test/ts-hook.cjs', '--test', ...concurrency, `--test-timeout=${fileCeiling}`, ...reporters, ...runFiles],
  { stdio: 'inherit' },
);
if (shardDir) {
  if (!long) keepDurations(path.join(shardDir, 'durations.json')); // the longer fuzz runs would skew them
  rmSync(shardDir, { recursive: true, force: true });
}
process.exit(r.status ?? 1);
