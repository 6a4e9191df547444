/**
 * A re-run of `unmetered daily` counts exactly what the agents' logs gained since the last one: nothing
 * when nothing changed, the one appended line, and — after a log file was replaced or truncated in place —
 * the lines it now holds that the ledger lacks, never one twice. The import stores through the rollup's
 * id index and the report answers from the rollup (src/cli/setup.ts, src/core/ledger/rollup.ts).
 *
 * The log lines follow the assistant lines of test/sources/fixtures/claude (Claude Code 2.0.31; Claude
 * Code is not open source, the shape is its transcripts', see test/sources/fixtures/claude-nocwd/README.md).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliContext } from '../../src/cli/context';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { assistantLine } from '../sources/helpers';

class Sink extends Writable {
  text = '';
  override _write(c: Buffer, _e: string, cb: () => void) {
    this.text += c.toString();
    cb();
  }
}

let dir: string;
let log: string;

/** One assistant line: `output` output tokens, 3 input, 20,000 cache reads. */
const line = (id: string, output: number) => assistantLine(id, output, { session: 'rerun-session' });

async function daily(): Promise<{ interactions: number; output: number }> {
  const stdout = new Sink();
  const ctx: CliContext = {
    env: { NO_COLOR: '1', CLAUDE_CONFIG_DIR: path.join(dir, 'claude'), TZ: 'UTC' },
    cwd: dir,
    home: path.join(dir, 'home'),
    platform: 'linux',
    stdout,
    stderr: new Sink(),
    clock: fixedClock('2026-11-23T12:00:00Z'),
    logger: memoryLogger(),
    dataDir: path.join(dir, 'data'),
  };
  assert.equal(await main(['daily', '--json', '--tz', 'UTC'], ctx), 0);
  const v = JSON.parse(stdout.text) as { totals: { interactions: number; outputTokens: number } };
  return { interactions: v.totals.interactions, output: v.totals.outputTokens };
}

describe('re-running daily on grown, replaced and truncated logs', { timeout: 60_000 }, () => {
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-rerun-'));
    const projects = path.join(dir, 'claude', 'projects', '-home-dev-acme-api');
    mkdirSync(projects, { recursive: true });
    mkdirSync(path.join(dir, 'home'));
    log = path.join(projects, 'rerun-session.jsonl');
    writeFileSync(log, line('msg_a1', 10) + line('msg_a2', 20));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the first two, then nothing new, then exactly the appended line', async () => {
    assert.deepEqual(await daily(), { interactions: 2, output: 30 }); // 10 + 20
    assert.deepEqual(await daily(), { interactions: 2, output: 30 });
    appendFileSync(log, line('msg_a3', 40));
    assert.deepEqual(await daily(), { interactions: 3, output: 70 }); // 10 + 20 + 40
    assert.deepEqual(await daily(), { interactions: 3, output: 70 });
  });

  it('a replaced file is read from its start: its stored line counts once, its new one is added', async () => {
    const tmp = `${log}.new`;
    writeFileSync(tmp, line('msg_a1', 10) + line('msg_a4', 80));
    renameSync(tmp, log);
    assert.deepEqual(await daily(), { interactions: 4, output: 150 }); // a1..a3 (70) + a4 (80)
  });

  it('a file truncated in place and written again is read from its start too', async () => {
    const first = readFileSync(log, 'utf8').split('\n')[0] + '\n';
    truncateSync(log, Buffer.byteLength(first));
    appendFileSync(log, line('msg_a5', 160) + line('msg_a2', 25)); // a2 more complete now: 25 output tokens, not 20
    assert.deepEqual(await daily(), { interactions: 5, output: 315 }); // 10 + 25 + 40 + 80 + 160
  });
});
