// Runs every test/bench/*.bench.ts in turn, each in its own Node process (through tsx), so that
// peak memory and JIT state are per benchmark. Each benchmark prints its own figures and its ratios
// against a peer measured in the same run.
//   npm run bench               all benchmarks
//   npm run bench -- ledger     only those whose file name contains "ledger"
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const dir = path.join('test', 'bench');
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`test/bench/run.ts: no benchmark matched ${filters.join(' ') || '*.bench.ts'}`);
  process.exit(1);
}

const failed: string[] = [];
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, f)], { stdio: 'inherit' });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(f);
    console.log(`=== ${f}: FAILED (exit ${r.status ?? r.signal}) after ${secs} s ===`);
  } else {
    console.log(`=== ${f}: done in ${secs} s ===`);
  }
}
if (failed.length) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
