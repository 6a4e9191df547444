// Runs the node:test suites, their TypeScript loaded by test/ts-hook.cjs. Node 20's `--test` does not expand globs,
// so list files here.
//   node test/run.mjs            every suite except end-to-end (test/e2e), CI-level (test/ci) and real-inference
//                                (test/real) ones
//   node test/run.mjs --e2e      only the end-to-end suites (need code-server + Chromium: see test/e2e/setup.sh)
//   node test/run.mjs --ci       only the CI-level suites (need Debian's prometheus: see test/ci/setup.sh)
//   node test/run.mjs --real     only the real-inference suites (need UNMETERED_LLAMA_SERVER: see test/real/README.md)
//   node test/run.mjs --all      all four
//   node test/run.mjs FILTER     only files whose path contains FILTER
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
// Build the shipped bundles once: several suites run them, and must not rebuild them in parallel.
const build = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// A node process per suite file costs about 0.4 s of CPU before its first test (Node, the hook, the shared
// modules), and the unit suites are over a hundred files: most of them share a process instead, a few
// shards of files required one after another (the same tests, run in the same order within the file). A
// file keeps its own process when it registers hooks at its top level (node:test would run a top-level
// beforeEach around every other file's tests in the shard too) or says `// test/run.mjs: own process`.
// UNMETERED_TEST_ISOLATE=1 gives every file its own process, to rule out one file disturbing another.
const SHARDS = 8;
function ownProcess(file) {
  const text = readFileSync(file, 'utf8');
  return /^(before|after|beforeEach|afterEach)\(/m.test(text) || text.includes('// test/run.mjs: own process');
}
let runFiles = files;
let shardDir = null;
if (mode === 'unit' && !process.env.UNMETERED_TEST_ISOLATE) {
  const own = files.filter(ownProcess);
  const shared = files.filter((f) => !own.includes(f));
  const dir = (shardDir = path.join('.cache', 'test-shards', String(process.pid)));
  mkdirSync(dir, { recursive: true });
  const shards = Array.from({ length: Math.min(SHARDS, shared.length) }, () => []);
  shared.forEach((f, i) => shards[i % shards.length].push(f));
  runFiles = [
    ...shards.map((group, i) => {
      const shard = path.join(dir, `shard-${i}.test.cjs`);
      writeFileSync(shard, group.map((f) => `require(${JSON.stringify(path.resolve(f))});\n`).join(''));
      return shard;
    }),
    ...own,
  ];
}

const concurrency = mode === 'unit' ? ['--test-concurrency=2'] : ['--test-concurrency=1'];
// A ceiling on every test that sets none of its own, so a regression that hangs fails in minutes instead of
// holding CI for its whole 90. Suites that know their bound set a tighter one on their describe().
// The longer fuzz runs of test:all (UNMETERED_FUZZ_RUNS) are long on purpose: they get the CI-level ceiling.
const long = mode !== 'unit' || Number(process.env.UNMETERED_FUZZ_RUNS) > 0;
const timeout = [`--test-timeout=${long ? 600_000 : 120_000}`];
const r = spawnSync(process.execPath, ['--require', './test/ts-hook.cjs', '--test', ...concurrency, ...timeout, ...runFiles], {
  stdio: 'inherit',
});
if (shardDir) rmSync(shardDir, { recursive: true, force: true });
process.exit(r.status ?? 1);
