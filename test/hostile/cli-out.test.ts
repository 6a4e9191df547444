/**
 * Hostile targets for `--out` (issue 11, item 13): the shipped CLI must write regular files only.
 * Links are refused (not written through), as are devices, FIFOs, folders and missing parent
 * folders, each with a message naming the path as the user typed it and never a temporary file;
 * `-` is standard output; replacing a regular file stays atomic and keeps its permissions.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import path from 'node:path';
import { cli, tmpRoot, VALID_TOTAL_USD, validShare } from './helpers';

let root: string;
before(() => {
  root = tmpRoot('out');
  validShare(root, 'share');
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs the CLI and checks it ended by itself (a blocking open of a FIFO would be killed at the limit). */
function run(args: string[]) {
  const r = cli(args, { cwd: root, timeoutMs: 20_000 });
  assert.equal(r.error, undefined, `the CLI did not finish: ${r.error?.message}`);
  assert.equal(r.signal, null, 'the CLI was killed (it hung past the time limit)');
  return r;
}

/** A refusal: exit 2, one message naming the user's path, nothing on stdout, no temp file named. */
function refused(args: string[], message: RegExp) {
  const r = run(args);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\.tmp\b/);
  assert.equal(r.stdout, '');
}

describe('--out refuses what is not a regular file', { timeout: 120_000 }, () => {
  test('a symbolic link is refused, and neither the link nor its target changes', () => {
    writeFileSync(path.join(root, 'target.md'), 'keep me');
    symlinkSync('target.md', path.join(root, 'link.md'));
    refused(['team', 'share', '--out', 'link.md'], /^unmetered team: --out link\.md: is a symbolic link; give the path of a regular file/);
    assert.ok(lstatSync(path.join(root, 'link.md')).isSymbolicLink());
    assert.equal(readFileSync(path.join(root, 'target.md'), 'utf8'), 'keep me');
  });

  test('a FIFO is refused at once (never opened), and stays a FIFO', () => {
    execFileSync('mkfifo', [path.join(root, 'pipe.md')]);
    refused(['team', 'share', '--out', 'pipe.md'], /--out pipe\.md: is a FIFO \(named pipe\), not a regular file; refusing to write there/);
    refused(['export', '--no-scan', '--week', '2026-W47', '--out', 'pipe.md'], /^unmetered export: --out pipe\.md: is a FIFO/);
    assert.ok(lstatSync(path.join(root, 'pipe.md')).isFIFO());
  });

  test('a device node is refused and never renamed over', () => {
    // As root (where a rename over /dev/null would succeed) the device is a copy made in the temp
    // folder, so a regression could only replace that copy; otherwise /dev/null itself.
    const isRoot = process.getuid?.() === 0;
    const dev = isRoot ? path.join(root, 'null-copy') : '/dev/null';
    if (isRoot) execFileSync('mknod', [dev, 'c', '1', '3']);
    const before = statSync(dev);
    refused(
      ['team', 'share', '--out', dev],
      new RegExp(`--out ${dev.replace(/[/.]/g, '\\$&')}: is a character device, not a regular file`),
    );
    const after = lstatSync(dev);
    assert.ok(after.isCharacterDevice());
    assert.equal(after.ino, before.ino, 'the same node, not a file renamed over it');
  });

  test('a folder, and a path under a missing folder, are refused; the folder is not created', () => {
    mkdirSync(path.join(root, 'adir'));
    refused(['team', 'share', '--out', 'adir'], /--out adir: is a folder, not a regular file/);
    refused(
      ['team', 'share', '--out', 'nowhere/deeper/team.md'],
      /^unmetered team: --out nowhere\/deeper\/team\.md: the folder nowhere\/deeper does not exist; create it first/,
    );
    refused(
      ['export', '--no-scan', '--out', 'missing-folder/'],
      /^unmetered export: --out missing-folder\/: the folder does not exist; create it first/,
    );
    assert.equal(existsSync(path.join(root, 'nowhere')), false);
    assert.equal(existsSync(path.join(root, 'missing-folder')), false);
  });

  test("a write that fails names the user's path, never the temporary file", () => {
    // 250 characters fit a file name (255), but not the temporary name beside it: the write fails.
    const long = `${'x'.repeat(245)}.json`;
    const r = run(['team', 'share', '--out', long]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').pop(), `unmetered team: ${long}: cannot be written (the name is too long)`);
    assert.deepEqual(
      readdirSync(root).filter((f) => f.includes('.tmp')),
      [],
    );
  });
});

describe('--out writes regular files and standard output', { timeout: 60_000 }, () => {
  test('- is standard output', () => {
    const r = run(['team', 'share', '--format', 'json', '--out', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).totals.costUSD, VALID_TOTAL_USD);
    assert.equal(existsSync(path.join(root, '-')), false);
    const e = run(['export', '--no-scan', '--week', '2026-W47', '--format', 'json', '--out', '-']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(JSON.parse(e.stdout).schema, 'unmetered.weekly/2');
  });

  test('an existing regular file is replaced atomically, keeps its permissions, and no temp file is left', () => {
    const file = path.join(root, 'report.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o640);
    const r = run(['team', 'share', '--out', 'report.json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote 2026-W47 for 3 developers to report\.json/);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).totals.costUSD, VALID_TOTAL_USD);
    assert.equal(statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(
      readdirSync(root).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });
});
