// The whole test suite (`npm run test:all`, run by .ci/run):
//   0. dependencies (fresh clone only)     npm ci
//   1. type-check + lint                   src/tools/check.mjs   ┐ what `npm test` runs, as sections so the
//   2. format                              npm run format:check  │ suites still run on a type or lint error
//   3. unit suites                         npm run test:unit     ┘ (check.mjs: npm run typecheck, then npm run
//                                                                  lint with the type-check's programs)
//      (CI only) fuzz, longer              UNMETERED_FUZZ_RUNS=20000 node test/run.mjs fuzz
//      CI-level tools, suites              bash test/ci/setup.sh, node test/run.mjs --ci  (a real Prometheus; team over 150k files)
//      real inference: server, suites      bash test/real/llama-server.sh (built once, cached outside the clone),
//                                          node test/run.mjs --real  (llama.cpp's llama-server behind the gateway)
//   4. end-to-end tools                    bash test/e2e/setup.sh   (cached under .e2e/)
//   5. the .vsix, once for all suites      npm run package
//   6. end-to-end suites                   node test/run.mjs --e2e  (code-server + headless Chromium)
// Every section runs even when an earlier one failed (except the e2e suites without their tools),
// and the output closes with node:test's summary lines summed over all suites, so a reader of the
// last lines sees every test counted. Exits non-zero when anything failed.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { needsInstall } from '../src/tools/deps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KEYS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];

/** Runs a command, passing its output through, and reads node:test's closing counts from it. */
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const counts = {};
    let tail = '';
    let last = '';
    const scan = (chunk) => {
      // Non-TTY output makes node:test use its TAP reporter: `# pass 12`; the spec reporter says `ℹ pass 12`.
      const text = tail + chunk;
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim()) last = line.trim();
        const m = /^(?:#|ℹ) (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)\s*$/.exec(line);
        if (m) counts[m[1]] = Number(m[2]); // the last block is the run's summary
      }
    };
    child.stdout.on('data', (b) => {
      process.stdout.write(b);
      scan(b.toString());
    });
    child.stderr.on('data', (b) => process.stderr.write(b));
    child.on('error', (err) => {
      console.error(`test/all.mjs: could not start ${cmd}: ${err.message}`);
      resolve({ code: 127, counts, last });
    });
    child.on('close', (code, signal) => {
      scan('\n');
      resolve({ code: code ?? (signal ? 128 : 1), counts, last });
    });
  });
}

const sections = [];
async function section(title, cmd, args, { skipIf } = {}) {
  console.log(`\n======== ${title} ========  (${cmd} ${args.join(' ')})`);
  const reason = skipIf?.();
  if (reason) {
    console.log(`skipped: ${reason}`);
    sections.push({ title, ok: false, skipped: reason, ms: 0, counts: {} });
    return;
  }
  const t0 = Date.now();
  const { code, counts, last } = await run(cmd, args);
  const ms = Date.now() - t0;
  const ok = code === 0;
  console.log(`======== ${title}: ${ok ? 'ok' : `FAILED (exit ${code})`} in ${(ms / 1000).toFixed(1)} s`);
  sections.push({ title, ok, ms, counts, last });
}

const t0 = Date.now();
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
if (needsInstall(root)) {
  await section('dependencies (npm ci)', npm, ['ci']);
  if (!sections.at(-1).ok) process.exit(1);
}
await section('type-check + lint', process.execPath, ['src/tools/check.mjs']);
await section('format', npm, ['run', '--silent', 'format:check']);
await section('unit suites', npm, ['run', '--silent', 'test:unit']);
// CI runs the seeded fuzz suites again with more inputs per target than the everyday suite's few thousand.
if (process.env.CI) {
  process.env.UNMETERED_FUZZ_RUNS = '20000';
  await section('fuzz, longer (UNMETERED_FUZZ_RUNS=20000)', process.execPath, ['test/run.mjs', 'fuzz']);
  delete process.env.UNMETERED_FUZZ_RUNS;
}
// A real Prometheus (Debian's package) scrapes Unmetered: too slow and too dependent on apt for `npm test`.
await section('CI-level tools (test/ci/setup.sh)', 'bash', ['test/ci/setup.sh']);
await section('CI-level suites (test/ci)', process.execPath, ['test/run.mjs', '--ci'], {
  skipIf: () => (sections.at(-1).ok ? undefined : 'the CI-level tools could not be installed'),
});
// llama.cpp's llama-server, built from node-llama-cpp's bundled source (minutes, once per machine: cached outside
// the clone), serves a tiny random-weight model behind the gateway's local route; its path is the script's last line.
await section('real-inference server (test/real/llama-server.sh)', 'bash', ['test/real/llama-server.sh']);
if (sections.at(-1).ok) process.env.UNMETERED_LLAMA_SERVER = sections.at(-1).last;
await section('real-inference suites (test/real)', process.execPath, ['test/run.mjs', '--real'], {
  skipIf: () => (sections.at(-1).ok ? undefined : 'llama-server could not be built'),
});
await section('end-to-end tools (test/e2e/setup.sh)', 'bash', ['test/e2e/setup.sh']);
await section('package the extension (dist/unmetered.vsix)', npm, ['run', '--silent', 'package']);
// Every end-to-end suite installs this one .vsix instead of packaging its own.
process.env.UNMETERED_E2E_VSIX = path.join(root, 'dist', 'unmetered.vsix');
await section('end-to-end suites', process.execPath, ['test/run.mjs', '--e2e'], {
  skipIf: () =>
    sections.find((s) => s.title.startsWith('end-to-end tools')).ok
      ? sections.at(-1).ok
        ? undefined
        : 'the extension could not be packaged'
      : 'the end-to-end tools could not be installed',
});

const total = Object.fromEntries(KEYS.map((k) => [k, sections.reduce((n, s) => n + (s.counts[k] ?? 0), 0)]));
const failed = sections.filter((s) => !s.ok);
console.log('\n======== summary ========');
for (const s of sections) {
  const counts = s.counts.tests !== undefined ? `  tests ${s.counts.tests}, pass ${s.counts.pass ?? 0}, fail ${s.counts.fail ?? 0}` : '';
  console.log(
    `${s.ok ? 'ok    ' : s.skipped ? 'SKIP  ' : 'FAILED'}  ${s.title.padEnd(44)} ${(s.ms / 1000).toFixed(1).padStart(7)} s${counts}`,
  );
}
console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s${failed.length ? `; failed: ${failed.map((s) => s.title).join(', ')}` : ''}`);
// node:test's closing lines, summed over the unit and end-to-end runs.
for (const k of KEYS) console.log(`# ${k} ${total[k]}`);
console.log(`# duration_ms ${Date.now() - t0}`);
process.exit(failed.length ? 1 : 0);
