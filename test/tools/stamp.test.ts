// esbuild.mjs --if-changed (what test/run.mjs calls before the suites) must rebuild whenever a bundle could differ
// (a stale bundle would have every suite that runs it test old code), and typecheck.mjs must check again whenever a
// file it read changed. Both keep a stamp (src/tools/stamp.mjs); here it is kept as esbuild.mjs keeps it.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropStamp, keepStamp, unchanged } from '../../src/tools/stamp.mjs';

const DEV = { mode: 'development' };

/** A build's files in a temp folder, every one dated a minute before the build started. */
function built(t: TestContext) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-build-stamp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const at = (f: string) => path.join(dir, f);
  mkdirSync(at('src/cli'), { recursive: true });
  mkdirSync(at('dist'));
  mkdirSync(at('.cache')); // as in a checkout that has built before
  const read = ['src/cli/main.ts', 'src/cli/views.ts', 'package.json'].map(at);
  const wrote = ['dist/cli.js', 'dist/cli-views.js'].map(at);
  const started = Date.now();
  const before = new Date(started - 60_000);
  for (const f of [...read, ...wrote]) {
    writeFileSync(f, `// ${path.basename(f)}\n`);
    utimesSync(f, before, before);
  }
  for (const d of [at('src/cli'), dir]) utimesSync(d, before, before);
  const stamp = at('.cache/build-stamp.json');
  return {
    at,
    read,
    wrote,
    started,
    stamp,
    keep: () => keepStamp(stamp, DEV, [...read, ...read.map((f) => path.dirname(f))], started, wrote),
  };
}

describe('the build stamp: a build is skipped only while nothing it read or wrote has changed', { timeout: 10_000 }, () => {
  test('an untouched build is skipped; a build of the other mode is not', (t) => {
    const b = built(t);
    assert.equal(b.keep(), true);
    assert.equal(unchanged(b.stamp, DEV), true);
    assert.equal(unchanged(b.stamp, { mode: 'production' }), false);
  });

  test('an input edited to the same size, a file added beside an input, an output removed: each rebuilds', (t) => {
    const edited = built(t);
    edited.keep();
    writeFileSync(edited.read[1], '// VIEWS.ts\n'); // the same length as before, a new time
    assert.equal(unchanged(edited.stamp, DEV), false);

    const added = built(t);
    added.keep();
    writeFileSync(added.at('src/cli/views.js'), 'export {};\n');
    assert.equal(unchanged(added.stamp, DEV), false, 'a new file beside an input can change what an import resolves to');

    const removed = built(t);
    removed.keep();
    rmSync(removed.wrote[0]);
    assert.equal(unchanged(removed.stamp, DEV), false);
  });

  test('an input changed within a second of the build starting is not stamped, so the next run builds', (t) => {
    const b = built(t);
    const now = new Date(b.started - 500);
    utimesSync(b.read[0], now, now);
    assert.equal(b.keep(), false);
    assert.equal(unchanged(b.stamp, DEV), false);
  });

  test('a build that starts drops the stamp; a missing or damaged stamp rebuilds', (t) => {
    const b = built(t);
    b.keep();
    dropStamp(b.stamp);
    assert.equal(unchanged(b.stamp, DEV), false);
    for (const text of ['', '{"mode":"development"', '{"mode":"development","files":{}}', 'null']) {
      writeFileSync(b.stamp, text);
      assert.equal(unchanged(b.stamp, DEV), false, JSON.stringify(text));
    }
  });
});
