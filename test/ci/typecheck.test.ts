/**
 * `npm run typecheck` (src/tools/typecheck.mjs) skips the check when the stamp of the last clean one still
 * describes every file it would read. A wrong skip would hide type errors from `npm test`, so this suite runs the
 * script on a small tree laid out as ours (tsconfig.json, and src/core/tsconfig.json with noUncheckedIndexedAccess)
 * and checks that each kind of change is seen. A CI-level suite (`node test/run.mjs --ci`): each run loads
 * TypeScript, ~0.5 s of CPU. The tree declares its own few global types (noLib), so no lib file is parsed.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve('src/tools/typecheck.mjs');
// The global types TypeScript needs when no lib is loaded.
const LIB = `interface Array<T> { length: number; [n: number]: T; }
interface Boolean {}
interface CallableFunction {}
interface Function {}
interface IArguments {}
interface NewableFunction {}
interface Number {}
interface Object {}
interface RegExp {}
interface String {}
`;

const TSCONFIG = { compilerOptions: { strict: true, noLib: true, types: [], noEmit: true }, include: ['src/**/*.ts', 'test/**/*.ts'] };

describe('the type-check skips only what has not changed', { timeout: 120_000 }, () => {
  let root = '';
  const stamp = () => path.join(root, '.cache', 'tsc', 'clean.json');
  const run = () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout + r.stderr };
  };
  // Written with a time two minutes back: a file changed within a second of a check's start is not stamped.
  const write = (rel: string, text: string) => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    const past = new Date(Date.now() - 120_000);
    utimesSync(file, past, past);
  };

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-typecheck-'));
    write('tsconfig.json', JSON.stringify(TSCONFIG));
    write(
      'src/core/tsconfig.json',
      JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noUncheckedIndexedAccess: true }, include: ['**/*.ts'] }),
    );
    write('src/core/lib.d.ts', LIB); // in both projects
    write('src/core/first.ts', 'export const first = (a: number[]): number | undefined => a[0];\n');
    write('test/first.test.ts', "import { first } from '../src/core/first';\nexport const one: number | undefined = first([1]);\n");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a clean tree is checked and stamped; run again with nothing changed, it is not checked', () => {
    const clean = run();
    assert.equal(clean.code, 0, clean.out);
    // What the stamp compares is each file's modification time and size, as tsc -b compares times. A file given
    // an error but the same size and time as stamped shows whether the check ran: run, it would report the error.
    const file = path.join(root, 'test', 'first.test.ts');
    const was = statSync(file);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('number | undefined = first([1])', 'string | undefined = first([1])'));
    try {
      assert.equal(statSync(file).size, was.size);
      utimesSync(file, was.atime, was.mtime);
      const again = run();
      assert.equal(again.code, 0, `the check ran: ${again.out}`);
    } finally {
      writeFileSync(file, text);
      utimesSync(file, was.atime, was.mtime);
    }
  });

  test("a changed file is checked with its project's options: an unchecked index in src/core is an error", () => {
    write('src/core/first.ts', 'export const first = (a: number[]): number => a[0];\n');
    const r = run();
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /src\/core\/first\.ts\(1,47\): error TS2322: Type 'number \| undefined' is not assignable to type 'number'/);
    // The stamp of the clean tree is kept, and still does not match: the error is reported again.
    assert.equal(run().code, 2);
    write('src/core/first.ts', 'export const first = (a: number[]): number | undefined => a[0];\n');
    assert.equal(run().code, 0);
  });

  test('a new file in a new folder is a new root: its error is found', () => {
    write('test/deeper/second.test.ts', 'export const two: number = "two";\n');
    const r = run();
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /test\/deeper\/second\.test\.ts\(1,14\): error TS2322: Type 'string' is not assignable to type 'number'/);
    assert.doesNotMatch(r.out, /first\.ts/);
  });

  test('a config change is seen: an unused local the old options allowed is an error under the new ones', () => {
    rmSync(path.join(root, 'test', 'deeper'), { recursive: true });
    write('test/unused.test.ts', 'export function f(): number {\n  const unused = 1;\n  return 2;\n}\n');
    assert.equal(run().code, 0, 'noUnusedLocals is off');
    const clean = statSync(stamp()).ino;
    write('tsconfig.json', JSON.stringify({ ...TSCONFIG, compilerOptions: { ...TSCONFIG.compilerOptions, noUnusedLocals: true } }));
    const r = run();
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /test\/unused\.test\.ts\(2,9\): error TS6133: 'unused' is declared but its value is never read/);
    write('tsconfig.json', JSON.stringify(TSCONFIG));
    assert.equal(run().code, 0);
    assert.notEqual(statSync(stamp()).ino, clean, 'the restored tree was checked and stamped anew');
  });
});
