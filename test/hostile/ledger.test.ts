// Issue 11, ledger cases: a damaged or hostile ledger, a full disk, a data directory that cannot
// hold a ledger, and file modes. Where the case is about the process surviving, the CLI bundle is
// run as a child process with a bounded timeout; totals of everything valid must not change.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  cpSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLedger } from '../../src/core/ledger/index';
import { encodeLine, HEADER_LINE } from '../../src/core/ledger/fileFormat';
import { memoryLogger } from '../../src/core/ports';
import { builtFile } from '../helpers/dist';
import { record } from '../ledger/fixtures/records';
import { tempDir } from '../ledger/helpers';
import { FIXTURES } from '../sources/helpers';

const MB = 1024 * 1024;
const cli = builtFile('cli.js');

function runCli(home: string, args: string[], timeout = 60_000, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout,
    env: { PATH: process.env.PATH, UNMETERED_HOME: home, HOME: path.join(home, 'no-home'), UNMETERED_TZ: 'UTC', ...env },
  });
  return { code: r.status, signal: r.signal, error: r.error, stdout: r.stdout, stderr: r.stderr };
}

const mode = (p: string) => statSync(p).mode & 0o777;

/** A segment written by hand: header, then the given pieces verbatim. */
function segment(dir: string, name: string, ...pieces: string[]): string {
  const segDir = path.join(dir, 'ledger');
  mkdirSync(segDir, { recursive: true });
  const file = path.join(segDir, `${name}.jsonl`);
  writeFileSync(file, HEADER_LINE + pieces.join(''));
  return file;
}

/** Appends `bytes` zero bytes without writing them (a sparse hole): a huge line costs no disk. */
function appendHole(file: string, bytes: number): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, statSync(file).size + bytes);
  } finally {
    closeSync(fd);
  }
}

// record() costs 24,900,300 nano-dollars each: two of them are 49,800,600 n$ = $0.0498006.
const a = record('a', { at: '2026-11-02T10:00:00.000Z' });
const b = record('b', { at: '2026-11-03T10:00:00.000Z' });
const c = record('c', { at: '2026-11-04T10:00:00.000Z' });

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function reportTotals(stdout: string): { costUSD: number; interactions: number } {
  return JSON.parse(stdout).totals;
}

describe('hostile ledger: huge lines', { timeout: 180_000 }, () => {
  test('one 600 MB line: every command still runs, the line is one named malformed line, every other record is read', (t) => {
    const home = tempDir(t);
    // line 1 header, line 2 record a, line 3 the 600 MB line (zero bytes), line 4 record b
    const file = segment(home, '2026-11', encodeLine(a));
    appendHole(file, 600 * MB);
    appendFileSync(file, '\n' + encodeLine(b));
    for (const cmd of [
      ['report', '--json', '--no-scan', '--since', '2026-11-01', '--until', '2026-11-30'],
      ['status', '--json', '--no-scan'],
      ['daily', '--json', '--no-scan', '--since', '2026-11-01', '--until', '2026-11-30'],
    ]) {
      const r = runCli(home, cmd);
      assert.equal(r.error, undefined, `${cmd[0]} finished within the timeout`);
      assert.equal(r.code, 0, `${cmd[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${file.replace(/[/\\.]/g, '\\$&')}:3: a line of ${600 * MB} bytes is longer than`));
      if (cmd[0] !== 'status') assert.deepEqual([reportTotals(r.stdout).interactions, reportTotals(r.stdout).costUSD], [2, 0.0498006]);
    }
  });

  test('a torn 600 MB tail is passed over once, left on disk, and terminated by the next append', async (t) => {
    const home = tempDir(t);
    const file = segment(home, '2026-11', encodeLine(a));
    appendHole(file, 600 * MB); // a writer died inside a huge write(): no newline
    const size = statSync(file).size;
    const log = memoryLogger();
    const l = await openLedger({ dir: home, logger: log });
    assert.deepEqual(
      l.records().map((r) => r.id),
      ['a'],
    );
    assert.equal(l.stats.malformedLines, 0, 'an unterminated tail may be a write in flight: not judged yet');
    assert.equal(statSync(file).size, size, 'opening writes nothing');
    assert.deepEqual(await l.refresh(), [], 'a refresh does not read the tail again');
    assert.deepEqual(await l.append([c]), [c]);
    assert.equal(l.stats.tornLinesRepaired, 1);
    await l.close();
    const again = await openLedger({ dir: home, logger: log });
    assert.deepEqual(
      again.records().map((r) => r.id),
      ['a', 'c'],
    );
    assert.equal(again.stats.malformedLines, 1);
    assert.ok(
      log.lines.some((x) => x.includes(`${file}:3: a line of ${600 * MB} bytes`)),
      log.lines.join('\n'),
    );
    await again.close();
  });

  test('over-long lines across reads and inside one read are each one malformed line; the lines around them are read', async (t) => {
    const home = tempDir(t);
    // default limit 4 MiB: a 20 MiB line spans three 8 MiB reads, a 5 MiB one fits inside a read
    const file = segment(
      home,
      '2026-11',
      encodeLine(a),
      'x'.repeat(20 * MB) + '\n',
      encodeLine(b),
      '{"id":"' + 'y'.repeat(5 * MB) + '"}\n',
      encodeLine(c),
    );
    const log = memoryLogger();
    const l = await openLedger({ dir: home, logger: log });
    assert.deepEqual(
      l.records().map((r) => r.id),
      ['a', 'b', 'c'],
    );
    assert.equal(l.stats.malformedLines, 2);
    const warned = log.lines.filter((x) => x.includes('longer than'));
    assert.equal(warned.length, 2);
    assert.ok(warned[0].includes(`${file}:3: a line of ${20 * MB} bytes`), warned[0]);
    assert.ok(warned[1].includes(`${file}:5: a line of ${5 * MB + 9} bytes`), warned[1]); // {"id":" (7) + 5 MiB + "} (2)
    await l.close();
  });

  test('a line made of many record starts is rejected in linear time (no rescue attempt per candidate)', async (t) => {
    const home = tempDir(t);
    segment(home, '2026-11', encodeLine(a), '{"id":'.repeat(500_000) + '\n', encodeLine(b));
    const l = await openLedger({ dir: home });
    assert.deepEqual(
      l.records().map((r) => r.id),
      ['a', 'b'],
    );
    assert.equal(l.stats.malformedLines, 1);
    await l.close();
  });
});

/** A 256 KiB tmpfs mounted on `dir`, or null where this process may not mount one. */
function smallTmpfs(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Fills the file system holding `dir` until a write fails with ENOSPC. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = openSync(filler, 'w');
  try {
    const block = Buffer.alloc(4096, 1);
    for (;;) {
      try {
        writeFileSync(fd, block);
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        break;
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}

/**
 * Where no tmpfs can be mounted (not root), ENOSPC is simulated at the ledger's file-system port,
 * node:fs: every write through a FileHandle or fs.promises.writeFile fails while `full` is true.
 */
async function simulatedFullDisk(probe: string): Promise<{ set(full: boolean): void; restore(): void }> {
  const fh = await fsp.open(probe, 'r');
  const proto = Object.getPrototypeOf(fh) as { write: (...a: unknown[]) => Promise<unknown> };
  await fh.close();
  const origWrite = proto.write;
  const origWriteFile = fsp.writeFile;
  let full = false;
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  proto.write = function (this: unknown, ...args: unknown[]) {
    return full ? Promise.reject(enospc()) : origWrite.apply(this, args);
  };
  (fsp as { writeFile: unknown }).writeFile = (...args: Parameters<typeof fsp.writeFile>) =>
    full ? Promise.reject(enospc()) : origWriteFile(...args);
  return {
    set: (f) => (full = f),
    restore: () => {
      proto.write = origWrite;
      (fsp as { writeFile: unknown }).writeFile = origWriteFile;
    },
  };
}

describe('hostile ledger: disk full with a torn tail', { timeout: 120_000 }, () => {
  test('opening and reporting need no free space; an append fails cleanly; once space is back the next append terminates the tail', async (t) => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-full-disk-'));
    const real = smallTmpfs(home);
    t.after(() => {
      if (real) execFileSync('umount', [home], { stdio: 'ignore' });
      rmSync(home, { recursive: true, force: true });
    });
    t.diagnostic(real ? 'a real full file system: a 256 KiB tmpfs' : 'ENOSPC simulated at node:fs (no permission to mount a tmpfs)');
    const first = await openLedger({ dir: home });
    await first.append([a, b]);
    await first.close();
    const [file] = readdirSync(path.join(home, 'ledger')).map((f) => path.join(home, 'ledger', f));
    const torn = encodeLine(c).slice(0, 40); // a writer stopped mid-write by the full disk
    appendFileSync(file, torn);
    const before = readFileSync(file, 'utf8');

    let disk: { set(full: boolean): void; restore(): void } | null = null;
    let filler: string | null = null;
    if (real) filler = fill(home);
    else {
      disk = await simulatedFullDisk(file);
      disk.set(true);
      t.after(() => disk!.restore());
    }

    if (real) {
      // The process that matters is the CLI: it must open, read and report on a full disk.
      const r = runCli(home, ['report', '--json', '--no-scan', '--since', '2026-11-01', '--until', '2026-11-30']);
      assert.equal(r.error, undefined);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([reportTotals(r.stdout).interactions, reportTotals(r.stdout).costUSD], [2, 0.0498006]);
      // with agent logs to import: what cannot be stored is named, what is stored is still reported
      const logs = path.join(tempDir(t), 'claude');
      cpSync(path.join(FIXTURES, 'claude'), logs, { recursive: true });
      const s = runCli(home, ['report', '--json', '--since', '2026-11-01', '--until', '2026-11-30'], 60_000, { CLAUDE_CONFIG_DIR: logs });
      assert.equal(s.error, undefined);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /could not store what the agents' logs gained \(.*ENOSPC.*\); showing what the ledger already holds/);
      assert.deepEqual([reportTotals(s.stdout).interactions, reportTotals(s.stdout).costUSD], [2, 0.0498006]);
    }
    const log = memoryLogger();
    const l = await openLedger({ dir: home, logger: log });
    assert.deepEqual(
      l.records().map((r) => r.id),
      ['a', 'b'],
    );
    assert.equal(l.stats.tornLinesRepaired, 0);
    // more than the free rest of the segment's last page (~3 KiB), so the file must grow
    const batch = Array.from({ length: 40 }, (_, i) => record(`c${i}`, { at: '2026-11-04T10:00:00.000Z' }));
    await assert.rejects(
      l.append(batch),
      (e: Error & { code?: string }) => e.code === 'E_LEDGER_WRITE' && /ENOSPC|disk full/.test(e.message),
    );
    assert.equal(l.stats.tornLinesRepaired, 0, 'a repair that was not written is not counted');

    if (filler) rmSync(filler);
    disk?.set(false);
    // A real full disk may have taken part of the batch (a short write): those records are stored
    // and the cut-off one is a new torn tail; the retry stores the rest behind a newline.
    await l.append(batch);
    assert.ok(l.stats.tornLinesRepaired >= 1);
    await l.close();
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith(before + '\n'), 'the torn fragment is kept and terminated, never truncated');
    assert.ok(text.endsWith('\n'));
    const fragments = text.split('\n').filter((x) => x.length > 0 && !isJson(x)).length;
    const again = await openLedger({ dir: home });
    assert.deepEqual(
      again.records().map((r) => r.id),
      ['a', 'b', ...batch.map((r) => r.id)],
    );
    assert.equal(again.stats.malformedLines, fragments, 'each fragment is one malformed line, nothing else');
    assert.ok(fragments >= 1);
    await again.close();
  });
});

describe('hostile ledger: private files and unusable data directories', { timeout: 60_000 }, () => {
  test('a new ledger is readable by its owner only: folders 0700, segment and snapshot 0600', async (t) => {
    const home = path.join(tempDir(t), 'data');
    const l = await openLedger({ dir: home });
    // 2,000 lines in one open make the snapshot (index.ts SNAPSHOT_MIN_LINES)
    await l.append(Array.from({ length: 2000 }, (_, i) => record(`r${i}`)));
    await l.close();
    await (await openLedger({ dir: home })).close();
    const snap = path.join(home, 'cache', 'ledger', '2026-11.bin');
    assert.deepEqual(
      [
        home,
        path.join(home, 'ledger'),
        path.join(home, 'cache'),
        path.join(home, 'cache', 'ledger'),
        path.join(home, 'ledger', '2026-11.jsonl'),
        snap,
      ].map(mode),
      [0o700, 0o700, 0o700, 0o700, 0o600, 0o600],
    );
  });

  test('an old world-readable ledger is tightened on open; a data directory the user chose keeps its mode', async (t) => {
    const home = tempDir(t); // exists already, as UNMETERED_HOME=/some/folder would
    chmodSync(home, 0o755);
    const file = segment(home, '2026-11', encodeLine(a));
    chmodSync(path.join(home, 'ledger'), 0o755);
    chmodSync(file, 0o644);
    const l = await openLedger({ dir: home });
    assert.deepEqual(
      l.records().map((r) => r.id),
      ['a'],
    );
    await l.close();
    assert.deepEqual([mode(path.join(home, 'ledger')), mode(file), mode(home)], [0o700, 0o600, 0o755]);
  });

  test('the default data directory left open by an older version is tightened by the CLI', (t) => {
    const home = tempDir(t);
    const data = path.join(home, '.local', 'share', 'unmetered'); // paths.ts: the Linux default
    mkdirSync(data, { recursive: true, mode: 0o755 });
    chmodSync(data, 0o755);
    const r = spawnSync(process.execPath, [cli, 'report', '--json', '--no-scan'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: home, UNMETERED_TZ: 'UTC' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([mode(data), mode(path.join(data, 'ledger'))], [0o700, 0o700]);
  });

  test('UNMETERED_HOME that cannot hold a ledger (/proc/1, a file, /dev/null) fails at once with a clear message', (t) => {
    const file = path.join(tempDir(t), 'a-file');
    writeFileSync(file, 'x');
    const homes = [file, '/dev/null', ...(process.platform === 'linux' ? ['/proc/1'] : [])];
    for (const home of homes) {
      for (const cmd of ['status', 'report']) {
        const r = runCli(home, [cmd, '--no-scan'], 20_000);
        assert.equal(r.error, undefined, `${cmd} with UNMETERED_HOME=${home} ended by itself (no spin)`);
        assert.equal(r.code, 1, r.stderr);
        assert.ok(
          r.stderr.includes(`cannot use ${home} as the data directory (set UNMETERED_HOME to a folder you can write to)`),
          r.stderr,
        );
      }
    }
  });
});
