/**
 * `unmetered import [--rebuild]`, as shipped (the bundle in a child process): the recovery for a
 * ledger restored from a backup. The transcript lines have the shape of the Claude Code fixtures in
 * test/sources/fixtures/claude (assistant lines with message.id, model and usage).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runShipped } from '../helpers/cli';

let dir: string;

const line = (id: string, at: string, input: number, output: number) =>
  JSON.stringify({
    cwd: '/home/dev/webapp',
    sessionId: 's1',
    version: '2.0.31',
    type: 'assistant',
    uuid: `u-${id}`,
    timestamp: at,
    requestId: `r-${id}`,
    message: {
      id,
      model: 'claude-sonnet-4-5-20250929',
      role: 'assistant',
      type: 'message',
      content: [],
      usage: { input_tokens: input, output_tokens: output },
    },
  });

// The shipped bundle, run in this process (test/helpers/cli.ts).
function run(args: string[]) {
  return runShipped(args, {
    env: {
      PATH: process.env.PATH,
      HOME: path.join(dir, 'home'),
      UNMETERED_HOME: path.join(dir, 'data'),
      CLAUDE_CONFIG_DIR: path.join(dir, 'claude'),
      CODEX_HOME: path.join(dir, 'codex'),
      UNMETERED_TZ: 'UTC',
    },
  });
}

const json = async (args: string[]) => {
  const r = await run([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

describe('unmetered import --rebuild', { timeout: 90_000 }, () => {
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-import-'));
    mkdirSync(path.join(dir, 'home'));
    mkdirSync(path.join(dir, 'claude', 'projects', '-home-dev-webapp'), { recursive: true });
    writeFileSync(
      path.join(dir, 'claude', 'projects', '-home-dev-webapp', 's1.jsonl'),
      [line('msg_1', '2026-11-20T10:00:00.000Z', 100, 10), line('msg_2', '2026-11-21T10:00:00.000Z', 200, 20)].join('\n') + '\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports once, then reads nothing new', async () => {
    const first = await json(['import']);
    assert.deepEqual([first.filesRead, first.written, first.ledgerInteractions], [1, 2, 2]);
    const again = await json(['import']);
    assert.deepEqual([again.written, again.ledgerInteractions], [0, 2]);
  });

  it(
    'a ledger restored from an older backup: a plain import misses what the offsets passed' +
      '; --rebuild restores it, and a second --rebuild adds nothing',
    async () => {
      // The restored backup predates both lines: its segment files are gone, the offsets file says "read".
      rmSync(path.join(dir, 'data', 'ledger'), { recursive: true });
      const plain = await json(['import']);
      assert.deepEqual([plain.written, plain.ledgerInteractions], [0, 0]);
      const rebuilt = await json(['import', '--rebuild']);
      assert.deepEqual([rebuilt.rebuild, rebuilt.filesRead, rebuilt.written, rebuilt.ledgerInteractions], [true, 1, 2, 2]);
      const twice = await json(['import', '--rebuild']);
      assert.deepEqual([twice.written, twice.ledgerInteractions], [0, 2]);
      // The report sees each response once: 100 + 200 input tokens.
      const report = await json(['report', '--no-scan']);
      assert.deepEqual([report.totals.interactions, report.totals.inputTokens], [2, 300]);
    },
  );

  it('text output says what it did, with plurals', async () => {
    const r = await run(['import']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Read 0 agent log files \(1 file seen\): 0 interactions new or completed, 2 interactions in the ledger\.\n$/);
  });

  // The count comes from the ledger's rollup; a damaged line makes the rollup step aside, and the records are read.
  it('a damaged ledger line: the count is of whole records, and the line is named', async () => {
    const ledgerDir = path.join(dir, 'data', 'ledger');
    const [segment, ...others] = readdirSync(ledgerDir).filter((f) => f.endsWith('.jsonl'));
    assert.deepEqual([segment, others], ['2026-11.jsonl', []]);
    appendFileSync(path.join(ledgerDir, segment), '{"id":"torn-by-hand","at":\n');
    const r = await run(['import', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).ledgerInteractions, 2);
    // The header is line 1 and the two records lines 2 and 3.
    assert.match(r.stderr, /2026-11\.jsonl:4: /);
  });
});
