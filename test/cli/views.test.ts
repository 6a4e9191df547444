/**
 * The views (daily, weekly, monthly, session, project, blocks) on a corpus written out below as
 * literals: two zones (Europe/Berlin, America/New_York), each across its spring DST change
 * (New York 2026-03-08 07:00Z, Berlin 2026-03-29 01:00Z). Costs are stored as round nano-dollar
 * figures (R<n> costs n million nanos = $0.00n) so every expected sum below is hand arithmetic.
 * Goldens pin the whole text and JSON output; `UPDATE_GOLDEN=1` rewrites them (review the diff).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliContext } from '../../src/cli/context';
import { openLedger } from '../../src/core/ledger';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { corpus, NOW } from './corpus';
import { assertGoldenFile } from '../helpers/golden';
import { record } from '../ledger/fixtures/records';

const GOLDEN = path.join(__dirname, 'golden');

class Sink extends Writable {
  text = '';
  override _write(c: Buffer, _e: string, cb: () => void) {
    this.text += c.toString();
    cb();
  }
}

let dir: string;

async function run(
  args: string[],
  env: Record<string, string> = {},
  root = dir,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const ctx: CliContext = {
    env: { NO_COLOR: '1', ...env },
    cwd: root,
    home: path.join(root, 'home'),
    platform: 'linux',
    stdout,
    stderr,
    clock: fixedClock(NOW),
    logger: memoryLogger(),
    dataDir: path.join(root, 'data'),
  };
  const code = await main(args, ctx);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The price table's name changes with every price update; goldens hold a placeholder. */
const stable = (s: string) => s.replace(/litellm@[0-9a-f]+/g, 'litellm@<table>');

function golden(name: string, actual: string): void {
  assertGoldenFile(path.join(GOLDEN, name), actual);
}

const nanos = (usd: number | null) => (usd === null ? null : Math.round(usd * 1e9));

describe('views on the literal corpus, two zones, across DST', { timeout: 60_000 }, () => {
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-views-'));
    const ledger = await openLedger({ dir: path.join(dir, 'data') });
    await ledger.append(corpus());
    await ledger.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const ZONES = { berlin: 'Europe/Berlin', newyork: 'America/New_York' };
  for (const [short, zone] of Object.entries(ZONES)) {
    for (const view of ['daily', 'weekly', 'monthly', 'session', 'project', 'branch', 'repo', 'blocks']) {
      it(`${view} in ${zone}: text and JSON match their goldens`, async () => {
        const text = await run([view, '--no-scan', '--tz', zone, '--breakdown'].filter((a) => view !== 'blocks' || a !== '--breakdown'));
        assert.equal(text.code, 0, text.stderr);
        golden(`${view}-${short}.txt`, stable(text.stdout));
        const json = await run([view, '--no-scan', '-z', zone, '-j']);
        assert.equal(json.code, 0, json.stderr);
        golden(`${view}-${short}.json`, stable(json.stdout));
      });
    }
  }

  it('daily: the DST days hold the right records in each zone (hand-sorted)', async () => {
    const day = async (zone: string) =>
      Object.fromEntries(
        JSON.parse((await run(['daily', '--no-scan', '--tz', zone, '--json'])).stdout).rows.map((r: { key: string; costUSD: number }) => [
          r.key,
          nanos(r.costUSD),
        ]),
      );
    // New York: R1 18:30 EST on 7 March; R2 01:30 EST, R3 03:30 EDT and R4 23:59 EDT on 8 March → 2 + 3 + 4 = 9 M.
    const ny = await day('America/New_York');
    assert.equal(ny['2026-03-07'], 1_000_000);
    assert.equal(ny['2026-03-08'], 9_000_000);
    // R5 19:30, R6 20:59, R7 21:00 EDT on 28 March → 18 M; R8 18:30 on 29 March → 8 M; R9, R10 on 31 March → 19 M.
    assert.equal(ny['2026-03-28'], 18_000_000);
    assert.equal(ny['2026-03-29'], 8_000_000);
    assert.equal(ny['2026-03-31'], 19_000_000);
    // Berlin: R1 00:30, R2 07:30, R3 08:30 CET on 8 March → 6 M; R5 00:30 CET, R6 01:59 CET, R7 03:00 CEST on 29 March → 18 M.
    const be = await day('Europe/Berlin');
    assert.equal(be['2026-03-08'], 6_000_000);
    assert.equal(be['2026-03-29'], 18_000_000);
    // R8 00:30 CEST on 30 March; R9 23:59 on 31 March; R10 00:00 on 1 April, with R11, R0, R12 → 10 + 11 + 12 = 33 M.
    assert.equal(be['2026-03-30'], 8_000_000);
    assert.equal(be['2026-03-31'], 9_000_000);
    assert.equal(be['2026-04-01'], 33_000_000);
  });

  it('weekly and monthly: hand sums, the current period in progress', async () => {
    const w = JSON.parse((await run(['weekly', '--no-scan', '--tz', 'Europe/Berlin', '--json'])).stdout);
    // Monday weeks: 2 Mar (R1-R3: 6 M), 9 Mar (R4), 16 Mar (R14), 23 Mar (R5-R7: 18 M), 30 Mar (R8-R12, R0: 50 M).
    assert.deepEqual(
      w.rows.map((r: { key: string; costUSD: number; state: string }) => [r.key, nanos(r.costUSD), r.state]),
      [
        ['2026-03-02', 6_000_000, 'complete'],
        ['2026-03-09', 4_000_000, 'complete'],
        ['2026-03-16', 14_000_000, 'complete'],
        ['2026-03-23', 18_000_000, 'complete'],
        ['2026-03-30', 50_000_000, 'in progress'],
      ],
    );
    assert.equal(w.rows[4].label, '2026-W14');
    const m = JSON.parse((await run(['monthly', '--no-scan', '--tz', 'America/New_York', '--json'])).stdout);
    // New York: March holds R1-R10 and R14 (1 + … + 10 + 14 = 69 M); April R11, R12 and the unpriced R0.
    assert.deepEqual(
      m.rows.map((r: { key: string; costUSD: number; interactions: number; unpricedInteractions: number }) => [
        r.key,
        nanos(r.costUSD),
        r.interactions,
        r.unpricedInteractions,
      ]),
      [
        ['2026-03', 69_000_000, 11, 0],
        ['2026-04', 23_000_000, 3, 1],
      ],
    );
    assert.equal(nanos(m.totals.costUSD), 92_000_000); // 1 + 2 + … + 12 + 14 = 78 + 14
  });

  it("session: the agent's own session where the id names it; Claude Code per project and day", async () => {
    const s = JSON.parse((await run(['session', '--no-scan', '--tz', 'Europe/Berlin', '--json'])).stdout);
    const byKey = Object.fromEntries(
      s.rows.map((r: { key: string; costUSD: number; interactions: number; sessionKnown: boolean }) => [
        r.key,
        [nanos(r.costUSD), r.interactions, r.sessionKnown],
      ]),
    );
    assert.deepEqual(byKey['codex:rollout-a'], [5_000_000, 2, true]);
    assert.deepEqual(byKey['codex:rollout-b'], [14_000_000, 1, true]);
    assert.deepEqual(byKey['gemini-cli:sess-1'], [11_000_000, 2, true]);
    assert.deepEqual(byKey['cline:task-9'], [7_000_000, 1, true]);
    assert.deepEqual(byKey['claude-code · webapp · 2026-04-01'], [23_000_000, 3, false]);
    const one = JSON.parse((await run(['session', '--no-scan', '--json', '-i', 'codex:rollout-a'])).stdout);
    assert.deepEqual([one.rows.length, nanos(one.totals.costUSD)], [1, 5_000_000]);
  });

  it('branch and repo: what each feature cost, unrecorded in their own rows, never guessed', async () => {
    const rows = async (args: string[]) =>
      Object.fromEntries(
        JSON.parse((await run([...args, '--no-scan', '--tz', 'Europe/Berlin', '--json'])).stdout).rows.map(
          (r: { key: string; costUSD: number; interactions: number; unpricedInteractions: number }) => [
            r.key,
            [nanos(r.costUSD), r.interactions, r.unpricedInteractions],
          ],
        ),
      );
    // main: R1 + R14 + R12 = 27 M; feature/auth: R2 + R3 + R9 + R10 = 24 M; feature/billing: R4 + R8 + R11 (+ unpriced R0)
    // = 23 M; not recorded: R5 + R6 + R7 (Gemini CLI, Cline) = 18 M. 27 + 24 + 23 + 18 = 92 M, the whole corpus.
    assert.deepEqual(await rows(['branch']), {
      main: [27_000_000, 3, 0],
      'feature/auth': [24_000_000, 4, 0],
      'feature/billing': [23_000_000, 4, 1],
      '(branch not recorded)': [18_000_000, 3, 0],
    });
    // webapp: R1 + R4 + R8 + R11 (+ R0) = 24 M; api: R2 + R3 + R14 + R9 + R10 = 38 M; not recorded: R5 + R6 + R7 + R12 = 30 M.
    assert.deepEqual(await rows(['report', '--by', 'repo']), {
      'github.com/acme/webapp': [24_000_000, 5, 1],
      'github.com/acme/api': [38_000_000, 5, 0],
      '(repo not recorded)': [30_000_000, 4, 0],
    });
    // --repo narrows a branch name shared by repositories: main in api is R14 alone.
    assert.deepEqual(await rows(['report', '--by=branch', '--repo', 'github.com/acme/api']), {
      main: [14_000_000, 1, 0],
      'feature/auth': [24_000_000, 4, 0],
    });
    // a range: 29–30 March in Berlin holds R5 (23:30Z on the 28th is 00:30 CET), R6, R7 (not recorded: 18 M)
    // and R8 (00:30 CEST on the 30th, feature/billing: 8 M)
    assert.deepEqual(await rows(['branch', '-s', '20260329', '-u', '20260330']), {
      '(branch not recorded)': [18_000_000, 3, 0],
      'feature/billing': [8_000_000, 1, 0],
    });
  });

  it('blocks: floored to the hour, 5 hours long, the active one with burn rate and projection', async () => {
    const b = JSON.parse((await run(['blocks', '--no-scan', '--json'])).stdout).blocks;
    // Claude Code only: R1 | R4 | R8 | R9+R10 (22:00 is 1 h after the 21:00 start) | R11+R0+R12.
    assert.deepEqual(
      b.map((x: { start: string }) => x.start),
      [
        '2026-03-07T23:00:00.000Z',
        '2026-03-09T03:00:00.000Z',
        '2026-03-29T22:00:00.000Z',
        '2026-03-31T21:00:00.000Z',
        '2026-04-01T11:00:00.000Z',
      ],
    );
    const a = b[4];
    assert.equal(a.active, true);
    assert.equal(a.end, '2026-04-01T16:00:00.000Z');
    // 23 M nanos priced over 11:10 → 13:10 (120 min): $0.0115/h; 3 × 1,100 tokens / 120 min = 27.5 → 28 per minute.
    assert.deepEqual(a.burnRate, { tokensPerMinute: 28, costUSDPerHour: 0.0115 });
    // 140 min left (13:40 → 16:00): 23 M + 23 M × 140 / 120 = 49.8333 M nanos; 3,300 + 27.5 × 140 = 7,150 tokens.
    assert.deepEqual(a.projection, { costUSD: 0.049833, tokens: 7150, remainingMinutes: 140 });
    assert.equal(b.filter((x: { active: boolean }) => x.active).length, 1);
    const active = JSON.parse((await run(['blocks', '--no-scan', '--json', '--active'])).stdout).blocks;
    assert.deepEqual(
      active.map((x: { start: string }) => x.start),
      ['2026-04-01T11:00:00.000Z'],
    );
    // The last 3 days' blocks (from 29 March 13:40Z) and the active one, from the records of two days before
    // on (none came from 27 March to R8: R8 opens a block whatever came before), the same as the full list's.
    const recent = JSON.parse((await run(['blocks', '--no-scan', '--json', '--recent'])).stdout).blocks;
    assert.deepEqual(
      recent.map((x: { start: string }) => x.start),
      ['2026-03-29T22:00:00.000Z', '2026-03-31T21:00:00.000Z', '2026-04-01T11:00:00.000Z'],
    );
    assert.deepEqual(recent, b.slice(2));
  });

  it('filters and order: --project, --agent, --last, --order desc, --since in YYYYMMDD', async () => {
    const j = async (args: string[]) => JSON.parse((await run([...args, '--no-scan', '--json', '--tz', 'Europe/Berlin'])).stdout);
    assert.equal(nanos((await j(['daily', '--project', 'docs'])).totals.costUSD), 11_000_000); // R5 + R6
    assert.equal(nanos((await j(['daily', '--agent', 'codex'])).totals.costUSD), 19_000_000); // R2 + R3 + R14
    // The last 2 days, today included: 31 March (R9) and 1 April (R10, R11, R0, R12).
    const last = await j(['daily', '--last', '2', '--order', 'desc']);
    assert.deepEqual(
      last.rows.map((r: { key: string }) => r.key),
      ['2026-04-01', '2026-03-31'],
    );
    assert.equal(last.since, '2026-03-31');
    const compact = await j(['daily', '-s', '20260329', '-u', '20260330']);
    assert.deepEqual([compact.since, compact.until, nanos(compact.totals.costUSD)], ['2026-03-29', '2026-03-30', 26_000_000]); // 18 M + 8 M
    const byAlias = await j(['report', '--by', 'week', '--last', '1']);
    assert.deepEqual([byAlias.view, byAlias.rows.length, nanos(byAlias.totals.costUSD)], ['weekly', 1, 50_000_000]);
  });

  it('a future range says so, plurals are right, colour only when asked for', async () => {
    const f = await run(['daily', '--no-scan', '--since', '2026-05-01', '--tz', 'UTC']);
    assert.match(f.stdout, /2026-05-01 … today \(in the future: nothing can be recorded yet\)/);
    assert.match(f.stdout, /Nothing recorded: the range is in the future\./);
    const one = await run(['daily', '--no-scan', '--since', '2026-03-09', '--until', '2026-03-09', '--tz', 'UTC']);
    assert.match(one.stdout, /\b1 call\b/);
    assert.doesNotMatch(one.stdout, /1 calls/);
    assert.doesNotMatch(one.stdout, /\x1b\[/);
    const coloured = await run(['daily', '--no-scan', '--tz', 'UTC'], { NO_COLOR: '', FORCE_COLOR: '1' });
    assert.match(coloured.stdout, /\x1b\[1m/);
    const flagged = await run(['daily', '--no-scan', '--tz', 'UTC', '--no-color'], { NO_COLOR: '', FORCE_COLOR: '1' });
    assert.doesNotMatch(flagged.stdout, /\x1b\[/);
  });
});

// `blocks --since DAY` builds its blocks from the records of that day on (those are all it keeps), read back through
// the rollup rather than every record of the history. A read of every record leaves a snapshot of each segment of
// 2,000 lines or more (cache/ledger/<month>.bin), which is how the test sees one.
describe('blocks --since reads the records from that day on', { timeout: 60_000 }, () => {
  let root: string;
  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-views-since-'));
    const ledger = await openLedger({ dir: path.join(root, 'data') });
    // February: 2,100 records, one every 10 minutes from the 1st (the last at 15 Feb 13:50Z).
    await ledger.append(
      Array.from({ length: 2100 }, (_, i) =>
        record(`feb_${i}`, { at: new Date(Date.parse('2026-02-01T00:00:00Z') + i * 600_000).toISOString() }),
      ),
    );
    // March: 23:30Z on the 20th is 08:30 on the 21st in Tokyo.
    const march = ['2026-03-20T23:30:00.000Z', '2026-03-21T10:00:00.000Z', '2026-03-21T11:30:00.000Z', '2026-03-22T09:00:00.000Z'];
    await ledger.append(march.map((at, i) => record(`mar_${i}`, { at })));
    await ledger.close();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const starts = async (args: string[]) => {
    const r = await run(['blocks', '--no-scan', '--json', ...args], {}, root);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { blocks: { start: string; interactions: number }[] }).blocks.map((b) => [b.start, b.interactions]);
  };
  const februaryRead = () => existsSync(path.join(root, 'data', 'cache', 'ledger', '2026-02.bin'));

  it('a few days: the blocks of those days, February not read', async () => {
    assert.deepEqual(await starts(['--since', '2026-03-21', '--tz', 'UTC']), [
      ['2026-03-21T10:00:00.000Z', 2],
      ['2026-03-22T09:00:00.000Z', 1],
    ]);
    // In Tokyo the 21st starts at 15:00Z on the 20th: the record at 23:30Z opens a block of its own.
    assert.deepEqual(await starts(['--since', '20260321', '--tz', 'Asia/Tokyo']), [
      ['2026-03-20T23:00:00.000Z', 1],
      ['2026-03-21T10:00:00.000Z', 2],
      ['2026-03-22T09:00:00.000Z', 1],
    ]);
    assert.equal(februaryRead(), false, 'no record of February was read');
  });

  it('over a quarter of the ledger: every record read, the same blocks', async () => {
    // From 10 Feb 00:00Z: 804 records (38 % of 2,104) in 27 five-hour blocks, from 00:00 to the one at 15 Feb
    // 10:00Z: the first of 31 records (00:00 to 05:00 inclusive), the last of 23 (10:10 to 13:50), the others of 30.
    // Then March's four records in three blocks, as in Tokyo above.
    const got = await starts(['--since', '2026-02-10', '--tz', 'UTC']);
    assert.equal(februaryRead(), true, 'February was read whole');
    assert.equal(got.length, 27 + 3);
    assert.deepEqual(got.slice(0, 2), [
      ['2026-02-10T00:00:00.000Z', 31],
      ['2026-02-10T05:00:00.000Z', 30],
    ]);
    assert.deepEqual(got.slice(-5), [
      ['2026-02-15T05:00:00.000Z', 30],
      ['2026-02-15T10:00:00.000Z', 23],
      ['2026-03-20T23:00:00.000Z', 1],
      ['2026-03-21T10:00:00.000Z', 2],
      ['2026-03-22T09:00:00.000Z', 1],
    ]);
    assert.equal(
      got.reduce((n, [, k]) => n + (k as number), 0),
      804 + 4,
    );
  });
});
