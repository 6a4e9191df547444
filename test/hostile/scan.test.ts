// Issue 11, agent-log scanner cases: links out of an agent's folder, FIFOs, huge lines and
// documents, out-of-range timestamps and bad usage numbers. Where the case is about the process
// surviving, the CLI bundle scans as a child process with a bounded timeout, and its totals are
// compared with a control run over the same valid logs without the hostile additions.
// The logs are the project's fixtures (test/sources/fixtures; their sources are cited in
// test/sources/*.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  cpSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memoryLogger } from '../../src/core/ports';
import { ADAPTERS } from '../../src/core/agents/registry';
import { LineSplitter } from '../../src/core/import/lines';
import { readFileUpdate } from '../../src/core/import/tailer';
import { MalformedLine } from '../../src/core/agents/types';
import { utcIso } from '../../src/core/agents/util';
import { walkRoot } from '../../src/core/import/walk';
import { builtFile } from '../helpers/dist';
import { FIXTURES } from '../sources/helpers';

const MB = 1024 * 1024;
const cli = builtFile('cli.js');
const adapter = (id: string) => ADAPTERS.find((a) => a.id === id)!;

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-hostile-scan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A machine with the fixture logs of Claude Code, Codex and Gemini CLI under `home`. */
function machine(base: string): { home: string; data: string; claudeProject: string } {
  const home = path.join(base, 'home');
  cpSync(path.join(FIXTURES, 'claude'), path.join(home, '.claude'), { recursive: true });
  cpSync(path.join(FIXTURES, 'codex'), path.join(home, '.codex'), { recursive: true });
  cpSync(path.join(FIXTURES, 'gemini'), path.join(home, '.gemini'), { recursive: true });
  return { home, data: path.join(base, 'data'), claudeProject: path.join(home, '.claude', 'projects', '-home-dev-acme-api') };
}

function report(m: { home: string; data: string }, timeout = 90_000) {
  const r = spawnSync(process.execPath, [cli, 'report', '--json', '--since', '2025-01-01', '--until', '2026-12-31'], {
    encoding: 'utf8',
    timeout,
    env: {
      PATH: process.env.PATH,
      HOME: m.home,
      UNMETERED_HOME: m.data,
      CLAUDE_CONFIG_DIR: path.join(m.home, '.claude'),
      CODEX_HOME: path.join(m.home, '.codex'),
      UNMETERED_TZ: 'UTC',
    },
  });
  assert.equal(r.error, undefined, `the scan ended within ${timeout} ms`);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  return { totals: j.totals, models: j.models, stderr: r.stderr };
}

/** Totals of the same valid logs on a machine without anything hostile. */
let control: ReturnType<typeof report> | null = null;
function controlReport(t: { after(fn: () => void): void }) {
  if (!control) control = report(machine(tmp(t)));
  assert.ok(control.totals.interactions > 0, 'the fixtures hold records');
  return control;
}

function appendHole(file: string, bytes: number): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, statSync(file).size + bytes);
  } finally {
    closeSync(fd);
  }
}

describe('hostile scan: the file system around the logs', { timeout: 300_000 }, () => {
  test("a link to / inside an agent's folder is not followed: the scan ends, says so, and the totals are unchanged", (t) => {
    const ctl = controlReport(t);
    const m = machine(tmp(t));
    symlinkSync('/', path.join(m.claudeProject, 'disk'));
    const r = report(m);
    assert.deepEqual([r.totals, r.models], [ctl.totals, ctl.models]);
    assert.ok(r.stderr.includes(`not following the link ${path.join(m.claudeProject, 'disk')} -> /: it leads outside`), r.stderr);
  });

  test('a link to a file outside is skipped and named; links inside lead where the walk goes: each file is found once', async (t) => {
    const base = tmp(t);
    const root = path.join(base, 'projects');
    mkdirSync(path.join(root, 'p', 'real'), { recursive: true });
    writeFileSync(path.join(root, 'p', 'real', 's.jsonl'), '');
    const outside = path.join(base, 'secret.jsonl');
    writeFileSync(outside, 'not a log');
    symlinkSync(outside, path.join(root, 'p', 'leak.jsonl'));
    symlinkSync(path.join(root, 'p', 'real'), path.join(root, 'alias'));
    symlinkSync(path.join(root, 'p', 'real', 's.jsonl'), path.join(root, 'p', 'twin.jsonl'));
    symlinkSync(root, path.join(root, 'p', 'loop')); // a cycle back to the root
    const found: string[] = [];
    const r = await walkRoot(root, (f) => found.push(path.relative(root, f)));
    // the real folder and file are found once, where they are
    assert.deepEqual(found, [path.join('p', 'real', 's.jsonl')]);
    assert.deepEqual(
      r.skippedLinks.map((l) => [path.relative(root, l.path), l.target]),
      [['p/leak.jsonl', outside]],
    );
    assert.equal(r.limit, null);
  });

  test('the walk stops at its depth and entry bounds and says so', async (t) => {
    const root = path.join(tmp(t), 'r');
    mkdirSync(path.join(root, 'a', 'b', 'c', 'd'), { recursive: true });
    for (let i = 0; i < 10; i++) writeFileSync(path.join(root, `f${i}`), '');
    const deep = await walkRoot(root, () => {}, { maxDepth: 2 });
    assert.match(deep.limit ?? '', /deeper than 2 levels/);
    let files = 0;
    const wide = await walkRoot(root, () => files++, { maxEntries: 5 });
    assert.match(wide.limit ?? '', /stopped after 5 entries/);
    assert.ok(files <= 5);
  });

  test('a FIFO named like a log is never opened: the scan ends and the totals are unchanged', (t) => {
    const ctl = controlReport(t);
    const m = machine(tmp(t));
    execFileSync('mkfifo', [path.join(m.claudeProject, 'fifo.jsonl')]);
    const r = report(m, 60_000);
    assert.deepEqual([r.totals, r.models], [ctl.totals, ctl.models]);
  });

  test('a FIFO or a folder swapped in for a log never read before is passed over at once, nothing read', async (t) => {
    // A first read opens without a stat first: the open must not wait for a writer, and what it opened is checked.
    const dir = tmp(t);
    const fifo = path.join(dir, 'swapped.jsonl');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(path.join(dir, 'folder.jsonl'));
    // Should the open wait for a writer, this one comes after 10 s, and says so first: then the wait ends, and
    // the marker shows that it happened (a blocked open stops this thread, and with it any timeout of the test's).
    const marker = path.join(dir, 'writer-came');
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `setTimeout(() => { require('fs').writeFileSync(${JSON.stringify(marker)}, ''); require('fs').openSync(${JSON.stringify(fifo)}, 'w'); }, 10000)`,
      ],
      { stdio: 'ignore' },
    );
    t.after(() => writer.kill());
    for (const p of [fifo, path.join(dir, 'folder.jsonl')]) {
      const upd = await readFileUpdate(p, adapter('claude-code'), undefined, {
        logger: memoryLogger(),
        onRecords: async () => assert.fail('no records'),
      });
      assert.equal(upd, null, p);
    }
    assert.equal(existsSync(marker), false, 'the open of the FIFO waited for a writer');
  });

  test('a 100 MB line in a Claude Code log is one malformed line named by file and number; the totals are unchanged', (t) => {
    const ctl = controlReport(t);
    const m = machine(tmp(t));
    const file = path.join(m.claudeProject, '7b2e0c44-1d3a-4e8f-b5c6-0a1b2c3d4e5f.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    appendHole(file, 100 * MB); // zero bytes, no newline: over the 64 MiB line limit
    appendFileSync(file, '\n');
    const r = report(m);
    assert.deepEqual([r.totals, r.models], [ctl.totals, ctl.models]);
    assert.ok(r.stderr.includes(`${file}:${lines + 1}: skipped a malformed line: a line of ${100 * MB} bytes is longer than`), r.stderr);
  });

  test('a Gemini CLI chat document over 256 MiB is skipped whole and counted, never read into memory', async (t) => {
    const dir = path.join(tmp(t), 'chats');
    mkdirSync(dir);
    const file = path.join(dir, 'session-2025-10-30T10-00-huge.json');
    const start = '{"sessionId":"x","messages":[';
    writeFileSync(file, start);
    appendHole(file, 300 * MB);
    const log = memoryLogger();
    const before = process.memoryUsage().arrayBuffers;
    const upd = await readFileUpdate(file, adapter('gemini-cli'), undefined, {
      logger: log,
      onRecords: async () => assert.fail('no records'),
    });
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * MB, 'the document was not loaded');
    assert.equal(upd?.malformed, 1);
    assert.ok(
      log.lines.includes(
        `warn: ${file}: skipped the whole file: a document of ${300 * MB + start.length} bytes is over the ${256 * MB}-byte limit (never read into memory)`,
      ),
      log.lines.join('\n'),
    );
    // unchanged since: not looked at again
    assert.equal(await readFileUpdate(file, adapter('gemini-cli'), upd.state, { logger: log, onRecords: async () => {} }), null);
  });
});

describe('hostile scan: line bounds', { timeout: 30_000 }, () => {
  test('an over-long line inside one chunk or across chunks is reported with its number and never handed over', () => {
    const got: string[] = [];
    const long: [number, number][] = [];
    const s = new LineSplitter({
      maxLineBytes: 10,
      onLine: (l) => got.push(`${l.lineNo}:${l.text}`),
      onTooLong: (n, bytes) => long.push([n, bytes]),
    });
    s.push(Buffer.from(`short\n${'x'.repeat(50)}\nok\n${'y'.repeat(7)}`));
    s.push(Buffer.from(`${'y'.repeat(7)}\nend\n`)); // line 4: 7 + 7 = 14 bytes across two chunks
    assert.deepEqual(got, ['1:short', '3:ok', '5:end']);
    assert.deepEqual(long, [
      [2, 50],
      [4, 14],
    ]);
    assert.equal(s.consumed, 6 + 51 + 3 + 15 + 4); // every byte through the last newline
  });
});

describe('hostile scan: numbers from the logs', { timeout: 60_000 }, () => {
  test('a timestamp outside years 0000-9999 is a MalformedLine, never a RangeError', () => {
    for (const v of [
      1e20,
      -1e20,
      8.64e15 + 1,
      '+275760-09-14T00:00:00.000Z',
      '+010000-01-01T00:00:00.000Z',
      '-000001-01-01T00:00:00.000Z',
    ]) {
      assert.throws(
        () => utcIso(v, 'ts'),
        (e: unknown) => e instanceof MalformedLine && /years 0000-9999/.test((e as Error).message),
        String(v),
      );
    }
    // the edges are kept: 253402300799999 ms = 9999-12-31T23:59:59.999Z
    assert.equal(utcIso(253_402_300_799_999, 'ts'), '9999-12-31T23:59:59.999Z');
    assert.equal(utcIso('0000-01-01T00:00:00.000Z', 'ts'), '0000-01-01T00:00:00.000Z');
    assert.equal(utcIso(1_761_832_930, 'ts'), '2025-10-30T14:02:10.000Z'); // seconds: 1761832930 s
  });

  test('negative, fractional or textual usage in a Claude Code or Codex line is a malformed line, never a record of 0', async (t) => {
    const dir = tmp(t);
    const claudeLine = readFileSync(
      path.join(FIXTURES, 'claude', 'projects', '-home-dev-acme-api', '7b2e0c44-1d3a-4e8f-b5c6-0a1b2c3d4e5f.jsonl'),
      'utf8',
    ).split('\n')[0];
    const codexFile = path.join(
      FIXTURES,
      'codex',
      'sessions',
      '2025',
      '10',
      '29',
      'rollout-2025-10-29T01-59-38-019a2d7a-41c4-78b1-b7cc-a45d62a89cd5.jsonl',
    );
    const codexLines = readFileSync(codexFile, 'utf8').split('\n').filter(Boolean);
    // the last usage line: an earlier one would have its usage absorbed by the next cumulative total
    let tokenLine = -1;
    codexLines.forEach((l, i) => l.includes('"token_count"') && l.includes('"input_tokens"') && (tokenLine = i));
    assert.ok(tokenLine >= 0);
    const codexIds: string[] = [];
    const original = await readFileUpdate(codexFile, adapter('codex'), undefined, {
      logger: memoryLogger(),
      onRecords: async (r) => void codexIds.push(...r.map((p) => p.interaction.id)),
    });
    assert.ok(codexIds.length >= 2);
    for (const bad of ['-5', '1.5', '"12"', '1e400', '{}']) {
      const c = path.join(dir, `c${bad.length}${bad.charCodeAt(0)}.jsonl`);
      writeFileSync(c, claudeLine.replace('"output_tokens":1,', `"output_tokens":${bad},`) + '\n');
      const got: unknown[] = [];
      const upd = await readFileUpdate(c, adapter('claude-code'), undefined, {
        logger: memoryLogger(),
        onRecords: async (r) => void got.push(...r),
      });
      assert.deepEqual([upd?.malformed, got.length], [1, 0], `claude output_tokens ${bad}`);

      const x = path.join(dir, `x${bad.length}${bad.charCodeAt(0)}.jsonl`);
      const mutated = codexLines.map((l, i) => (i === tokenLine ? l.replace(/"input_tokens":\d+/, `"input_tokens":${bad}`) : l));
      assert.notDeepEqual(mutated, codexLines);
      writeFileSync(x, mutated.join('\n') + '\n');
      const ids: string[] = [];
      const u2 = await readFileUpdate(x, adapter('codex'), undefined, {
        logger: memoryLogger(),
        onRecords: async (r) => void ids.push(...r.map((p) => p.interaction.id)),
      });
      assert.equal(u2?.malformed, original!.malformed + 1, `codex input_tokens ${bad}`);
      // the bad line's record is missing, nothing stands in for it
      assert.equal(ids.length, codexIds.length - 1, `codex input_tokens ${bad}`);
      for (const id of ids) assert.ok(codexIds.includes(id), id);
    }
  });
});

describe('hostile scan: what the scan stores', { timeout: 120_000 }, () => {
  test('the read offsets (they name projects and log paths) are readable by their owner only', (t) => {
    const m = machine(tmp(t));
    report(m);
    assert.equal(statSync(path.join(m.data, 'sources-state.json')).mode & 0o777, 0o600);
  });
});
