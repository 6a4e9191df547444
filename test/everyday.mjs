// The everyday suite (`npm test`): type-check and lint (one process), format check and the unit suites, started together.
// The unit suites spend part of their time waiting on child processes, sockets and files, and the checks
// fill those gaps on the same cores (on 2 cores the four in a row took about 3.6 min). The unit suites'
// output streams as it comes; each check's output is printed whole when it ends, and the run closes with
// a line per section and the unit suites' counts. Exits non-zero when any section failed.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs one section; `live` passes its output through as it comes, else it is kept until the end. */
function section(title, cmd, args, live) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    // The unit suites are the long pole: the checks take the cores only when the suites leave them idle.
    if (!live && child.pid) {
      try {
        os.setPriority(child.pid, 10);
      } catch {
        // not allowed here: the checks then share the cores evenly
      }
    }
    const kept = [];
    child.stdout.on('data', (b) => {
      if (live) process.stdout.write(b);
      kept.push(b);
    });
    child.stderr.on('data', (b) => (live ? process.stderr.write(b) : kept.push(b)));
    const done = (code, error) => {
      const s = { title, ok: code === 0, code, ms: Date.now() - t0, output: Buffer.concat(kept).toString() + (error ?? '') };
      if (!live && (s.output.trim() || !s.ok)) process.stdout.write(`\n======== ${title} ========\n${s.output}`);
      resolve(s);
    };
    child.on('error', (err) => done(127, `could not start ${cmd}: ${err.message}\n`));
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

const t0 = Date.now();
const sections = await Promise.all([
  section('unit suites', process.execPath, ['test/run.mjs', ...process.argv.slice(2)], true),
  // The lint takes the type-check's programs (src/tools/check.mjs): `npm run typecheck` then `npm run lint`, without
  // building every program twice after a change.
  section('type-check + lint', process.execPath, ['src/tools/check.mjs']),
  section('format', npm, ['run', '--silent', 'format:check']),
]);
console.log('\n======== npm test ========');
for (const s of sections) console.log(`${s.ok ? 'ok    ' : 'FAILED'}  ${s.title.padEnd(17)} ${(s.ms / 1000).toFixed(1).padStart(6)} s`);
console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
// node:test's closing counts last, as a reader of the last lines expects them.
const counts = sections[0].output.match(/^# (tests|suites|pass|fail|cancelled|skipped|todo) \d+$/gm) ?? [];
console.log(counts.slice(-7).join('\n'));
process.exit(sections.every((s) => s.ok) ? 0 : 1);
