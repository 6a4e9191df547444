/**
 * Kept answers (src/cli/answers.ts): a view run again with nothing new is answered from what the run before kept,
 * with the same text; once anything the view depends on changed (a log line, a log file or folder, the ledger, a
 * setting, a variable it read, the day, the build), the command answers and counts it. Nothing is kept from a run
 * that warned, from a folder changed moments ago, or for a terminal; a damaged answer is not used.
 *
 * Run in this process (src/cli/main.ts's main, with the ports its own start-up gives it), except the last test,
 * which runs the shipped bundle as a process. The log lines are test/cli/rerun.test.ts's, after the assistant lines
 * of test/sources/fixtures/claude (Claude Code 2.0.31; Claude Code is not open source, the shape is its transcripts',
 * see test/sources/fixtures/claude-nocwd/README.md); the Codex folder is test/sources/fixtures/codex (see its README).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { cliContext, main } from '../../src/cli/main';
import { RACY_MS, Tee } from '../../src/cli/answers';
import { fixedClock } from '../../src/core/ports';
import { openLedger } from '../../src/core/ledger';
import { interaction } from '../helpers/records';
import { tokens, type Interaction } from '../../src/core/interaction';
import { builtFile } from '../helpers/dist';
import { assistantLine, FIXTURES } from '../sources/helpers';

const NOW = '2026-11-23T12:00:00Z';

/** One assistant line: `output` output tokens, 3 input, 20,000 cache reads. */
const line = (id: string, output: number) => assistantLine(id, output, { session: 'answers-session' });

/** A machine of its own: Claude Code's folder with one session of two lines, a home, a data directory, a build. */
interface Tree {
  dir: string;
  project: string;
  log: string;
  home: string;
  data: string;
  /** Stands for dist/: the build's chunks, which only their stats name. */
  dist: string;
  env: Record<string, string>;
}

let root: string;

function tree(name: string): Tree {
  const dir = path.join(root, name);
  const project = path.join(dir, 'claude', 'projects', '-home-dev-acme-api');
  mkdirSync(project, { recursive: true });
  const log = path.join(project, 'answers-session.jsonl');
  writeFileSync(log, line(`${name}_1`, 10) + line(`${name}_2`, 20));
  const home = path.join(dir, 'home');
  const dist = path.join(dir, 'dist');
  mkdirSync(home);
  mkdirSync(dist);
  writeFileSync(path.join(dist, 'cli.js'), '// start-up chunk\n');
  writeFileSync(path.join(dist, 'cli-views.js'), '// views chunk\n');
  writeFileSync(path.join(dist, 'cli-status.js'), '// status chunk\n');
  return {
    dir,
    project,
    log,
    home,
    data: path.join(dir, 'data'),
    dist,
    env: { NO_COLOR: '1', CLAUDE_CONFIG_DIR: path.join(dir, 'claude') },
  };
}

interface Run {
  code: number;
  text: string;
  stderr: string;
  interactions: number;
  output: number;
  /** Answered from what an earlier run kept (the command did not run; meaningless for a terminal, which never is). */
  answered: boolean;
  /** Why this run's answer was not kept; null when it was (or the command did not run). */
  reason: string | null;
}

async function run(
  t: Tree,
  o: { args?: string[]; env?: Record<string, string | undefined>; now?: string; tty?: boolean } = {},
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new Tee({ write: (s: string) => out.push(s), isTTY: o.tty ?? false });
  const stderr = new Tee({ write: (s: string) => err.push(s), isTTY: false });
  const ctx = cliContext({ env: { ...t.env, ...o.env }, cwd: t.dir, home: t.home, stdout, stderr, stdin: () => process.stdin });
  ctx.dataDir = t.data;
  ctx.clock = fixedClock(o.now ?? NOW);
  ctx.answers = { distDir: t.dist, stdout, stderr };
  const code = await main(o.args ?? ['daily', '--json', '--tz', 'UTC'], ctx);
  const text = out.join('');
  const json = (o.args ?? ['--json']).includes('--json');
  const v = json
    ? (JSON.parse(text) as { totals: { interactions: number; outputTokens: number } })
    : { totals: { interactions: NaN, outputTokens: NaN } };
  return {
    code,
    text,
    stderr: err.join(''),
    interactions: v.totals.interactions,
    output: v.totals.outputTokens,
    answered: ctx.answer === undefined,
    reason: ctx.answer?.reason ?? null,
  };
}

/** The shipped bundle, in a process of its own. */
const cli = (t: Tree, args: string[]) =>
  spawnSync(process.execPath, [builtFile('cli.js'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, HOME: t.home, UNMETERED_HOME: t.data, UNMETERED_NOW: NOW, TZ: 'UTC', ...t.env },
  });

/** Waits until what changed before is older than RACY_MS: a folder's or the ledger's times then vouch for it. */
const settle = () => sleep(RACY_MS + 200);

describe('kept answers', { timeout: 60_000 }, () => {
  const trees: Record<string, Tree> = {};
  const names = [
    'same',
    'append',
    'resumed',
    'files',
    'moved',
    'converge',
    'ledger',
    'settings',
    'day',
    'agent',
    'warn',
    'damaged',
    'racy',
    'build',
    'status',
    'limits',
  ];

  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-answers-'));
    for (const n of names) trees[n] = tree(n);
    // More sessions than an answer compares first (the latest changed), each last written days ago.
    for (let i = 0; i < 10; i++) {
      const f = path.join(trees.resumed.project, `older-${i}.jsonl`);
      writeFileSync(f, line(`older_${i}`, 1));
      const days = new Date(Date.parse(NOW) - (20 - i) * 86_400_000);
      utimesSync(f, days, days);
    }
    mkdirSync(trees.warn.data);
    writeFileSync(path.join(trees.warn.data, 'settings.json'), '[]'); // not a JSON object: a warning at every run
    // Each imports its logs once (the ledger is made then), and every folder is then left alone long enough for
    // its times to vouch for its entries.
    for (const n of names) assert.equal((await run(trees[n])).interactions, n === 'resumed' ? 12 : 2);
    // A plan limit Codex reported an hour before NOW (5 h window, 42 % used), as the import stores one: on a record.
    const ledger = await openLedger({ dir: trees.limits.data });
    await ledger.append([
      {
        ...interaction('codex-limits', '2026-11-23T11:00:00.000Z', 1_000_000, { agent: 'codex' }),
        rateLimits: {
          at: '2026-11-23T11:00:00.000Z',
          from: 'codex-rollout',
          windows: [{ key: '5h', usedPercent: 42, windowMinutes: 300, resetsAt: '2026-11-23T14:00:00.000Z' }],
        },
      } as Interaction,
    ]);
    await ledger.close();
    trees.process = tree('process');
    assert.equal(cli(trees.process, ['daily', '--json']).status, 0);
    await settle();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a re-run with nothing new is answered with the text the run before printed', async () => {
    const t = trees.same;
    const first = await run(t);
    assert.deepEqual([first.answered, first.reason], [false, null]); // ran, and kept its answer
    const again = await run(t);
    assert.equal(again.answered, true);
    assert.equal(again.text, first.text);
    assert.deepEqual([again.interactions, again.output], [2, 30]);
    // Another view, other options: answers of their own.
    const monthly = await run(t, { args: ['monthly', '--json', '--tz', 'UTC'] });
    assert.equal(monthly.answered, false);
    assert.equal((await run(t, { args: ['monthly', '--json', '--tz', 'UTC'] })).answered, true);
    assert.equal((await run(t)).text, first.text);
  });

  it('a line an agent appends is counted by the next run, whose answer the run after it gets', async () => {
    const t = trees.append;
    await run(t);
    appendFileSync(t.log, line('append_3', 40));
    const grown = await run(t);
    assert.deepEqual([grown.answered, grown.interactions, grown.output, grown.reason], [false, 3, 70, null]);
    const again = await run(t);
    assert.deepEqual([again.answered, again.text], [true, grown.text]);
    appendFileSync(t.log, line('append_4', 80));
    assert.deepEqual([(await run(t)).interactions, (await run(t)).answered], [4, true]);
  });

  it('a line appended to a log file that was not among the latest changed (a session resumed) is counted', async () => {
    const t = trees.resumed;
    const first = await run(t);
    assert.equal((await run(t)).answered, true);
    appendFileSync(path.join(t.project, 'older-0.jsonl'), line('resumed_x', 40));
    const r = await run(t);
    assert.deepEqual([r.answered, r.interactions, r.output - first.output], [false, first.interactions + 1, 40]);
  });

  it('a new log file in a folder read before, and a new project folder, are counted', async () => {
    const t = trees.files;
    await run(t);
    writeFileSync(path.join(t.project, 'second.jsonl'), line('files_3', 40));
    const withFile = await run(t);
    assert.deepEqual([withFile.answered, withFile.interactions], [false, 3]);
    const other = path.join(t.dir, 'claude', 'projects', '-home-dev-other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'third.jsonl'), line('files_4', 80));
    const withFolder = await run(t);
    assert.deepEqual([withFolder.answered, withFolder.interactions, withFolder.output], [false, 4, 150]);
  });

  it('a record another writer stores in the ledger (the editor, the gateway) is counted', async () => {
    const t = trees.ledger;
    await run(t);
    assert.equal((await run(t)).answered, true);
    // As the editor's gateway stores a request: through the ledger, in this process.
    const store = async (id: string, at: string, output: number) => {
      const ledger = await openLedger({ dir: t.data });
      await ledger.append([interaction(id, at, 1_000_000, { tokens: tokens({ input: 1, output }) })]);
      await ledger.close();
    };
    await store('gateway-1', '2026-11-21T09:00:00.000Z', 7);
    const r = await run(t);
    assert.deepEqual([r.answered, r.interactions, r.output], [false, 3, 37]);
    // A record of a month the ledger held none of: a new file in its folder.
    assert.equal((await run(t)).answered, true);
    await store('gateway-2', '2026-10-05T09:00:00.000Z', 5);
    const older = await run(t);
    assert.deepEqual([older.answered, older.interactions, older.output], [false, 4, 42]);
  });

  it('a setting or a variable the view reads changes the answer; one it does not read keeps it', async () => {
    const t = trees.settings;
    // Without --tz the zone is UNMETERED_TZ's, else the mirrored settings', else this machine's.
    const args = ['daily', '--json'];
    const utc = await run(t, { args, env: { UNMETERED_TZ: 'UTC' } });
    assert.equal((await run(t, { args, env: { UNMETERED_TZ: 'UTC' } })).answered, true);
    assert.equal((await run(t, { args, env: { UNMETERED_TZ: 'UTC', UNRELATED: 'x' } })).answered, true);
    const kiritimati = await run(t, { args, env: { UNMETERED_TZ: 'Pacific/Kiritimati' } });
    assert.equal(kiritimati.answered, false);
    assert.match(kiritimati.text, /"timeZone": "Pacific\/Kiritimati"/);
    assert.match(utc.text, /"timeZone": "UTC"/);
    // The mirrored settings: the zone of the next run's view is the file's.
    await run(t, { args });
    writeFileSync(path.join(t.data, 'settings.json'), JSON.stringify({ timezone: 'Pacific/Kiritimati' }));
    const mirrored = await run(t, { args });
    assert.equal(mirrored.answered, false);
    assert.match(mirrored.text, /"timeZone": "Pacific\/Kiritimati"/);
  });

  it("an answer holds for the view zone's local day: the next day is answered anew", async () => {
    const t = trees.day;
    await run(t, { now: '2026-11-23T23:00:00Z' });
    assert.equal((await run(t, { now: '2026-11-23T23:59:59.999Z' })).answered, true);
    const next = await run(t, { now: '2026-11-24T00:00:00.000Z' });
    assert.equal(next.answered, false);
    assert.equal((await run(t, { now: '2026-11-24T08:00:00Z' })).answered, true);
    assert.equal((await run(t, { now: '2026-11-23T23:30:00Z' })).answered, false); // a clock set back: not that day's
  });

  it('beside a midnight that daylight saving skips, each day holds its whole window: one ends and the next begins at the change', async () => {
    // Chile's summer time begins at 04:00 UTC on 6 September 2026 (tzdb: "Sep Sun>=2 4:00u"): 23:59:59 -04 on the
    // 5th is followed by 01:00 -03 on the 6th, so no instant is midnight of the 6th: the 6th begins at 04:00Z.
    const t = trees.day;
    const args = ['daily', '--json', '--tz', 'America/Santiago'];
    await run(t, { args, now: '2026-09-05T20:00:00Z' });
    assert.equal((await run(t, { args, now: '2026-09-06T03:59:59.999Z' })).answered, true); // 23:59:59.999 -04, the 5th
    assert.equal((await run(t, { args, now: '2026-09-06T04:00:00Z' })).answered, false); // 01:00 -03, the 6th
    assert.equal((await run(t, { args, now: '2026-09-06T04:00:00Z' })).answered, true);
    assert.equal((await run(t, { args, now: '2026-09-07T02:59:59.999Z' })).answered, true); // 23:59:59.999 -03, the 6th
    assert.equal((await run(t, { args, now: '2026-09-07T03:00:00Z' })).answered, false); // 00:00 -03 on the 7th
  });

  it('an agent whose folder appears after the answer was kept is read (a root missing then)', async () => {
    const t = trees.agent;
    const before = await run(t);
    assert.equal((await run(t)).answered, true);
    cpSync(path.join(FIXTURES, 'codex'), path.join(t.home, '.codex'), { recursive: true });
    const r = await run(t);
    assert.equal(r.answered, false);
    assert.ok(r.interactions > before.interactions, `${r.interactions} > ${before.interactions}: Codex's sessions counted`);
  });

  it("an agent's folder named by a variable is watched where the variable names it now", async () => {
    const t = trees.moved;
    const at = (name: string) => ({ env: { CODEX_HOME: path.join(t.dir, name) } });
    const before = await run(t, at('codex-a')); // neither folder exists
    assert.equal((await run(t, at('codex-b'))).answered, false);
    assert.equal((await run(t, at('codex-b'))).answered, true);
    cpSync(path.join(FIXTURES, 'codex'), path.join(t.dir, 'codex-b'), { recursive: true });
    const r = await run(t, at('codex-b'));
    assert.equal(r.answered, false);
    assert.ok(r.interactions > before.interactions, `${r.interactions} > ${before.interactions}: Codex's sessions counted`);
  });

  it('once folders made or changed are old enough to vouch for their entries, answers are kept with them', async () => {
    const t = trees.converge;
    assert.deepEqual([(await run(t)).reason, (await run(t)).answered], [null, true]);
    writeFileSync(path.join(t.project, 'second.jsonl'), line('converge_3', 40));
    mkdirSync(path.join(t.dir, 'claude', 'projects', '-home-dev-other'));
    cpSync(path.join(FIXTURES, 'codex'), path.join(t.home, '.codex'), { recursive: true });
    const imported = await run(t); // Codex's fixture holds a malformed line: this run warns, and keeps nothing
    assert.ok(imported.interactions > 3, `${imported.interactions}: the new file's line and Codex's sessions`);
    const soon = await run(t);
    assert.deepEqual([soon.answered, soon.interactions], [false, imported.interactions]);
    assert.match(soon.reason ?? '', /changed moments ago/);
    await settle();
    assert.equal((await run(t)).answered, false); // the folders stat'ed again, and kept
    const again = await run(t);
    assert.deepEqual([again.answered, again.interactions], [true, imported.interactions]);
  });

  it("status is answered as a view is: its text again while nothing changed, for the zone's day; a new line is counted", async () => {
    const t = trees.status;
    const args = ['status', '--tz', 'UTC'];
    const first = await run(t, { args });
    assert.deepEqual([first.answered, first.reason], [false, null]);
    assert.match(first.text, /^Unmetered · 2026-11-23 \(UTC\)$/m);
    assert.match(first.text, /^ {2}Claude Code: 1 file, 2 interactions /m);
    const again = await run(t, { args });
    assert.deepEqual([again.answered, again.text], [true, first.text]);
    appendFileSync(t.log, line('status_3', 40));
    const grown = await run(t, { args });
    assert.equal(grown.answered, false);
    assert.match(grown.text, /^ {2}Claude Code: 1 file, 3 interactions /m);
    assert.deepEqual([(await run(t, { args })).answered, (await run(t, { args })).text], [true, grown.text]);
    // Its answer is its own chunk's: a new build of the views' chunk leaves it, a new status chunk does not.
    writeFileSync(path.join(t.dist, 'cli-views.js'), '// views chunk, rebuilt\n');
    assert.equal((await run(t, { args })).answered, true);
    writeFileSync(path.join(t.dist, 'cli-status.js'), '// status chunk, rebuilt\n');
    assert.equal((await run(t, { args })).answered, false);
    // Another day: the meter's today and month are another day's.
    const next = await run(t, { args, now: '2026-11-24T00:00:00.000Z' });
    assert.equal(next.answered, false);
    assert.match(next.text, /^Unmetered · 2026-11-24 \(UTC\)$/m);
  });

  it('status showing a plan limit keeps its answer until the clock alone resets the window or makes the limit stale', async () => {
    const t = trees.limits;
    const args = ['status', '--tz', 'UTC'];
    // Reported at 11:00 (5 h window, resets at 14:00), shown from 12:00.
    const shown = await run(t, { args });
    assert.match(shown.text, /^Plan limits/m);
    assert.match(shown.text, /^ {2}codex: 5 h: 42 % · resets 14:00 {2}\(seen 11:00\)$/m);
    assert.deepEqual([shown.answered, shown.reason], [false, null]);
    const before = await run(t, { args, now: '2026-11-23T13:59:59.999Z' });
    assert.deepEqual([before.answered, before.text], [true, shown.text]);
    // 14:00: the window reset, so the limit is not shown.
    const reset = await run(t, { args, now: '2026-11-23T14:00:00.000Z' });
    assert.equal(reset.answered, false);
    assert.doesNotMatch(reset.text, /Plan limits/);
    assert.equal((await run(t, { args, now: '2026-11-23T15:00:00Z' })).answered, true);
    // 16:00 and a millisecond: the report is stale, and no longer counts; from then on the answer holds for the day.
    assert.equal((await run(t, { args, now: '2026-11-23T16:00:00.001Z' })).answered, false);
    assert.equal((await run(t, { args, now: '2026-11-23T23:59:00Z' })).answered, true);
    // A clock set back is not answered: a kept answer holds from the run that kept it on.
    assert.equal((await run(t, { args, now: '2026-11-23T15:00:00Z' })).answered, false);
  });

  it('a run that warned keeps nothing: every run gives the warning', async () => {
    const t = trees.warn;
    for (let i = 0; i < 2; i++) {
      const r = await run(t);
      assert.deepEqual([r.answered, r.reason], [false, 'a warning was given']);
    }
  });

  it('an answer that is damaged, not ours, or missing its folders is not used: the command answers', async () => {
    const t = trees.damaged;
    const good = (await run(t)).text;
    const dir = path.join(t.data, 'cache', 'answers');
    const folders = readdirSync(dir).find((n) => n.endsWith('.dirs.json'))!;
    const answer = readdirSync(dir).find((n) => n.endsWith('.json') && n !== folders)!;
    const damage: [string, (f: string) => void][] = [
      ['cut short', (f) => truncateSync(f, 100)],
      ['garbage', (f) => writeFileSync(f, '\u0000\u0001 not json')],
      ['another shape', (f) => writeFileSync(f, JSON.stringify({ version: 1, argv: 'daily', stdout: 'forged' }))],
    ];
    for (const [what, hurt] of damage) {
      for (const name of [answer, folders]) {
        await run(t); // kept again, whole
        assert.equal((await run(t)).answered, true);
        hurt(path.join(dir, name));
        const r = await run(t);
        assert.deepEqual([r.answered, r.text], [false, good], `${name} ${what}`);
      }
    }
    await run(t);
    rmSync(path.join(dir, folders));
    assert.deepEqual([(await run(t)).answered, (await run(t)).text], [false, good]);
    // A FIFO in place of either file: opened without waiting for a writer, not read, and the command answers.
    for (const name of [folders, answer]) {
      await run(t);
      rmSync(path.join(dir, name));
      execFileSync('mkfifo', [path.join(dir, name)]);
      assert.deepEqual([(await run(t)).answered, (await run(t)).text], [false, good], name);
      rmSync(path.join(dir, name), { force: true });
    }
  });

  it('a folder changed moments ago does not vouch for its entries: no answer is kept then', async () => {
    const t = trees.racy;
    writeFileSync(path.join(t.project, 'new.jsonl'), line('racy_3', 40));
    const r = await run(t);
    assert.equal(r.interactions, 3);
    assert.match(r.reason ?? '', /-home-dev-acme-api changed moments ago/);
    assert.equal((await run(t)).answered, false);
    // Its modification time set back an hour: its change time, now, still says it changed.
    utimesSync(t.project, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    assert.match((await run(t)).reason ?? '', /changed moments ago/);
  });

  it('an answer is not used for a terminal, nor by another build', async () => {
    const t = trees.build;
    await run(t);
    assert.equal((await run(t)).answered, true);
    // In a pipe, the text view without colours is kept; a terminal's run prints its own, in colour.
    const text = { args: ['daily', '--tz', 'UTC'], env: { NO_COLOR: undefined } };
    const piped = await run(t, text);
    assert.equal((await run(t, text)).answered, true);
    assert.doesNotMatch(piped.text, /\x1b\[/);
    assert.match((await run(t, { ...text, tty: true })).text, /\x1b\[/);
    appendFileSync(path.join(t.dist, 'cli-views.js'), '// rebuilt\n');
    assert.equal((await run(t)).answered, false);
    assert.equal((await run(t)).answered, true);
    utimesSync(path.join(t.dist, 'cli.js'), new Date(), new Date(Date.now() + 1000));
    assert.equal((await run(t)).answered, false);
  });

  it('the shipped CLI in a process of its own prints what the run before printed, and counts a line appended since', () => {
    const t = trees.process;
    const [first, second] = [cli(t, ['daily', '--json']), cli(t, ['daily', '--json'])];
    assert.deepEqual([first.status, second.stdout, second.stderr], [0, first.stdout, '']);
    assert.ok(readdirSync(path.join(t.data, 'cache', 'answers')).some((n) => n.endsWith('.dirs.json')));
    appendFileSync(t.log, line('process_3', 40));
    const grown = cli(t, ['daily', '--json']);
    assert.equal((JSON.parse(grown.stdout) as { totals: { interactions: number } }).totals.interactions, 3);
    assert.equal(cli(t, ['daily', '--json']).stdout, grown.stdout);
  });
});
