/**
 * `unmetered statusline` as Claude Code runs it: the shipped bundle in a child process, its JSON
 * payload on stdin. The payloads follow Claude Code's status line documentation
 * (https://docs.anthropic.com/en/docs/claude-code/statusline: session_id, transcript_path, cwd,
 * model.id / model.display_name, workspace.current_dir / project_dir, version, cost.total_cost_usd).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLedger } from '../../src/core/ledger';
import { tokens, type Interaction } from '../../src/core/interaction';
import { runShipped } from '../helpers/cli';
import { builtFile } from '../helpers/dist';
import { corpus, NOW } from './corpus';
import { assistantLine } from '../sources/helpers';
import { toldDaily } from '../../src/cli/told';

const cli = builtFile('cli.js');
const GOLDEN = path.join(__dirname, 'golden');
let dir: string;

const FULL = {
  session_id: 'b6a1c1c2-7d3e-4a57-9f0e-2d1f5e8c9a10',
  transcript_path: '/home/dev/.claude/projects/-home-dev-webapp/b6a1c1c2-7d3e-4a57-9f0e-2d1f5e8c9a10.jsonl',
  cwd: '/home/dev/webapp',
  model: { id: 'claude-opus-4-1', display_name: 'Opus' },
  workspace: { current_dir: '/home/dev/webapp/src', project_dir: '/home/dev/webapp' },
  version: '2.0.31',
  output_style: { name: 'default' },
  cost: { total_cost_usd: 0.53, total_duration_ms: 343171, total_api_duration_ms: 20000, total_lines_added: 12, total_lines_removed: 3 },
};

const env = () => ({
  PATH: process.env.PATH,
  HOME: path.join(dir, 'home'),
  UNMETERED_HOME: path.join(dir, 'data'),
  UNMETERED_NOW: NOW,
  UNMETERED_TZ: 'Europe/Berlin',
  NO_COLOR: '1',
});

// The shipped bundle, run in this process (test/helpers/cli.ts); a pipe that never closes gets a real process below.
const statusline = (input: string, args: string[] = [], more: Record<string, string> = {}) =>
  runShipped(['statusline', ...args], { input, env: { ...env(), ...more } });

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') return writeFileSync(file, actual);
  assert.ok(existsSync(file), `golden ${file} is missing; create it with UPDATE_GOLDEN=1`);
  assert.equal(actual, readFileSync(file, 'utf8'));
}

describe('unmetered statusline', { timeout: 60_000 }, () => {
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-statusline-'));
    mkdirSync(path.join(dir, 'home'));
    const ledger = await openLedger({ dir: path.join(dir, 'data') });
    await ledger.append(corpus());
    await ledger.close();
    writeFileSync(path.join(dir, 'data', 'settings.json'), JSON.stringify({ monthlyBudget: 0.05 }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a full payload: model, session cost, today, month against the budget, the active block', async () => {
    const r = await statusline(JSON.stringify(FULL));
    assert.equal(r.code, 0, r.stderr);
    // Berlin, 1 April: R10 + R11 + R12 = 33 M nanos today and this month ($0.03); budget $0.05 → 66 %.
    // Block 11:00Z–16:00Z: R11 + R12 = $0.023 so far, 2 h 20 min left, $0.0498 at this rate.
    assert.equal(r.stdout, 'Opus · session $0.53 · today $0.03 · month $0.03 of $0.05 (66 %) · block $0.02, 2h 20m left (→ $0.05)\n');
    golden('statusline-full.txt', r.stdout);
  });

  it('a block that has not started (records dated after this clock) is not shown as under way', async () => {
    // At 09:00Z the last block (11:00Z-16:00Z: R11, R0, R12) is 2 hours ahead; the one before (R9, R10 from
    // 21:00Z on 31 March) ended at 02:00Z. Today and the month count the day's records as at 13:40.
    const r = await statusline('{}', [], { UNMETERED_NOW: '2026-04-01T09:00:00.000Z' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'today $0.03 · month $0.03 of $0.05 (66 %)\n');
  });

  it('an empty object, and text that is not JSON: the ledger figures alone, exit 0', async () => {
    for (const [name, input] of [
      ['empty', '{}'],
      ['garbage', 'not json {'],
    ]) {
      const r = await statusline(input);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'today $0.03 · month $0.03 of $0.05 (66 %) · block $0.02, 2h 20m left (→ $0.05)\n');
      golden(`statusline-${name}.txt`, r.stdout);
    }
  });

  it('a pipe that never closes: the read gives up after --timeout and the line is still printed', async () => {
    const child = spawn(process.execPath, [cli, 'statusline', '--timeout', '300'], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.write(JSON.stringify({ model: { display_name: 'Sonnet' } }));
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill(), 15_000);
      child.on('exit', (c) => (clearTimeout(kill), resolve(c)));
    });
    child.stdin.destroy();
    assert.equal(code, 0);
    assert.match(out, /^Sonnet · today \$0\.03 · /);
  });

  it('no ledger yet: still one line', async () => {
    const r = await statusline(JSON.stringify(FULL), [], { UNMETERED_HOME: path.join(dir, 'fresh') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Opus · session $0.53 · today $0.00 · month $0.00\n');
  });
});

describe("unmetered statusline over the ledger's rollup", { timeout: 60_000 }, () => {
  let home: string;
  const data = () => path.join(home, 'data');
  const run = (input: string) =>
    runShipped(['statusline'], { input, env: { ...env(), HOME: path.join(home, 'home'), UNMETERED_HOME: data() } });
  const rollupFile = () => {
    const names = readdirSync(path.join(data(), 'cache', 'ledger')).filter((n) => n.startsWith('rollup-'));
    assert.equal(names.length, 1, `one rollup kept: ${names.join(', ')}`);
    return path.join(data(), 'cache', 'ledger', names[0]);
  };
  const identity = (file: string) => {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  };
  /** An interaction as the editor's import stores it: R<n> costs n × 1,000,000 nanos (corpus.ts). */
  const rec = (n: number, id: string, at: string): Interaction => ({
    id,
    at,
    agent: 'claude-code',
    source: 'log',
    project: 'webapp',
    model: 'claude-sonnet-4-5',
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 1000, output: 100 }),
    costNanos: n * 1_000_000,
    avoidedNanos: null,
    priceSource: 'litellm@test',
    estimated: false,
  });
  const appendFromAnotherProcess = async (records: Interaction[]) => {
    const ledger = await openLedger({ dir: data() });
    await ledger.append(records);
    await ledger.close();
  };

  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-statusline-rollup-'));
    mkdirSync(path.join(home, 'home'));
    await appendFromAnotherProcess(corpus());
    writeFileSync(path.join(data(), 'settings.json'), JSON.stringify({ monthlyBudget: 0.05 }));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('keeps the rollup it builds, writes nothing when nothing is new, and counts what another process appended since', async () => {
    const first = await run(JSON.stringify(FULL));
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'Opus · session $0.53 · today $0.03 · month $0.03 of $0.05 (66 %) · block $0.02, 2h 20m left (→ $0.05)\n');
    const kept = identity(rollupFile());

    const again = await run(JSON.stringify(FULL));
    assert.equal(again.stdout, first.stdout);
    assert.equal(identity(rollupFile()), kept, 'a run with nothing new wrote no rollup');

    // R13 at 13:30Z, as the editor's import appends it. Today and the month: 33 + 13 = 46 M nanos, 92 % of
    // $0.05. The block: R11 + R12 + R13 = $0.036 over 11:10-13:30 (140 min), 140 min left: $0.072 at that rate.
    await appendFromAnotherProcess([rec(13, 'anthropic:msg_09', '2026-04-01T13:30:00.000Z')]);
    const after13 = await run(JSON.stringify(FULL));
    assert.equal(after13.code, 0, after13.stderr);
    assert.equal(after13.stdout, 'Opus · session $0.53 · today $0.05 · month $0.05 of $0.05 (92 %) · block $0.04, 2h 20m left (→ $0.07)\n');
    assert.equal(identity(rollupFile()), kept, 'one line folded in: not worth writing the rollup for');
  });

  it('saves the rollup once it folded a thousand lines, so later runs do not fold them again', async () => {
    const kept = identity(rollupFile());
    // A thousand January interactions (an import of old logs): nothing the line shows changes.
    const january = Array.from({ length: 1000 }, (_, i) =>
      rec(1, `anthropic:msg_jan_${i}`, `2026-01-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00.000Z`),
    );
    await appendFromAnotherProcess(january);
    const r = await run(JSON.stringify(FULL));
    assert.equal(r.stdout, 'Opus · session $0.53 · today $0.05 · month $0.05 of $0.05 (92 %) · block $0.04, 2h 20m left (→ $0.07)\n');
    const saved = identity(rollupFile());
    assert.notEqual(saved, kept, 'the rollup was written');
    await run(JSON.stringify(FULL));
    assert.equal(identity(rollupFile()), saved, 'and is not written again');
  });

  it('a damaged ledger line: the figures come from the recent segments, which name it on standard error', async () => {
    appendFileSync(path.join(data(), 'ledger', '2026-04.jsonl'), 'not a record\n');
    const r = await run(JSON.stringify(FULL));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Opus · session $0.53 · today $0.05 · month $0.05 of $0.05 (92 %) · block $0.04, 2h 20m left (→ $0.07)\n');
    assert.match(r.stderr, /1 malformed line\(s\) skipped/);
  });
});

// Claude Code's transcripts: the assistant line of test/sources/helpers.ts (Claude Code 2.0.31; its transcripts'
// shape, see test/sources/fixtures/claude-nocwd/README.md), in <config>/projects/<project>/<session>.jsonl and its
// subagents' in <session>/subagents/agent-<id>.jsonl.
describe("unmetered statusline reads the session's transcript first", { timeout: 60_000 }, () => {
  let home: string;
  let project: string;
  const session = 'b6a1c1c2-7d3e-4a57-9f0e-2d1f5e8c9a10';
  const transcript = () => path.join(project, `${session}.jsonl`);
  const data = () => path.join(home, 'data');
  const payload = (transcriptPath: string) => JSON.stringify({ ...FULL, transcript_path: transcriptPath });
  const run = (input: string, args: string[] = []) =>
    runShipped(['statusline', ...args], { input, env: { ...env(), HOME: path.join(home, 'home'), UNMETERED_HOME: data() } });
  /** A Sonnet 4.5 line at 15:00 in Berlin on NOW's day: 3 input tokens, 20,000 cache reads, `output` output tokens. */
  const line = (id: string, output: number) => assistantLine(id, output, { at: '2026-04-01T13:00:00.000Z', session });
  /** Every file the data directory holds, each with its size and modification time. */
  const written = () =>
    readdirSync(data(), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const f = path.join(e.parentPath, e.name);
        const st = statSync(f);
        return `${path.relative(data(), f)} ${st.size} ${st.mtimeMs}`;
      })
      .sort();

  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-statusline-turn-'));
    project = path.join(home, 'home', '.claude', 'projects', '-home-dev-webapp');
    mkdirSync(project, { recursive: true });
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("counts the turn that just ended, the subagents' with it, and reads nothing when nothing is new", async () => {
    // Sonnet 4.5 (LiteLLM: $3 / $15 per million input / output tokens, $0.30 per million cache reads): a line
    // costs $0.000009 + $0.006 + output × $0.000015. 10,000 output tokens: $0.156009.
    writeFileSync(transcript(), line('msg_turn_1', 10_000));
    const first = await run(payload(transcript()));
    assert.equal(first.code, 0, first.stderr);
    // The block: from 13:00Z (the hour of its first record) for 5 hours, 4 h 20 min of them left at 13:40Z.
    assert.match(first.stdout, /^Opus · session \$0\.53 · today \$0\.16 · month \$0\.16 · block \$0\.16, 4h 20m left/);
    // The next turn: 20,000 output tokens ($0.306009), and a subagent's 30,000 ($0.456009): $0.918027 in all.
    appendFileSync(transcript(), line('msg_turn_2', 20_000));
    mkdirSync(path.join(project, session, 'subagents'), { recursive: true });
    writeFileSync(path.join(project, session, 'subagents', 'agent-a1.jsonl'), line('msg_sub_1', 30_000));
    const second = await run(payload(transcript()));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /· today \$0\.92 · month \$0\.92 · /);
    const before = written();
    const again = await run(payload(transcript()));
    assert.equal(again.stdout, second.stdout);
    assert.deepEqual(written(), before, 'nothing new: nothing in the data directory was written');
    // Another session, in another terminal ($0.156009 more: $1.074036). Each session's files are kept as read: runs
    // for the two in turn read and write nothing.
    const other = path.join(project, 'c3d4e5f6-0b1c-4d2e-8f3a-4b5c6d7e8f90.jsonl');
    writeFileSync(other, assistantLine('msg_other_1', 10_000, { at: '2026-04-01T13:00:00.000Z', session: 'other' }));
    assert.match((await run(payload(other))).stdout, /· today \$1\.07 · /);
    const both = written();
    for (const t of [transcript(), other, transcript()]) assert.match((await run(payload(t))).stdout, /· today \$1\.07 · /);
    assert.deepEqual(written(), both, 'two sessions in turn, nothing new: nothing written');
    // What another program appends to the transcript while nothing else changed is still read.
    appendFileSync(transcript(), line('msg_turn_3', 20_000));
    assert.match((await run(payload(transcript()))).stdout, /· today \$1\.38 · /);
  });

  it("reads no file outside Claude Code's folders, none reached through a link, and nothing with --no-scan", async () => {
    const base = (await run('{}')).stdout;
    const elsewhere = path.join(home, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'outside.jsonl'), line('msg_outside', 50_000));
    symlinkSync(path.join(elsewhere, 'outside.jsonl'), path.join(project, 'linked.jsonl'));
    symlinkSync(elsewhere, path.join(project, '..', '-home-dev-linked'));
    for (const p of [
      path.join(elsewhere, 'outside.jsonl'),
      path.join(project, 'linked.jsonl'),
      path.join(project, '..', '-home-dev-linked', 'outside.jsonl'),
      path.join(project, '..', '..', '..', '..', 'elsewhere', 'outside.jsonl'),
      'outside.jsonl',
    ]) {
      const r = await run(payload(p));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.replace(/^Opus · session \$0\.53 · /, ''), base, p);
    }
    // What the last run read, replaced by a FIFO (or damaged): not waited on, and the files are read again.
    const kept = path.join(data(), 'cache', 'statusline.json');
    rmSync(kept);
    execFileSync('mkfifo', [kept]);
    const overFifo = await run(payload(transcript()));
    assert.equal(overFifo.code, 0, overFifo.stderr);
    assert.match(overFifo.stdout, /· today \$1\.38 · /);
    // A transcript Claude Code names, with a line not read yet: --no-scan leaves it for the next run.
    appendFileSync(transcript(), line('msg_turn_4', 20_000));
    assert.equal((await run(payload(transcript()), ['--no-scan'])).stdout.replace(/^Opus · session \$0\.53 · /, ''), base);
    assert.match((await run(payload(transcript()))).stdout, /· today \$1\.69 · /);
  });
});

describe('unmetered statusline in a shell prompt imports every log first', { timeout: 60_000 }, () => {
  let home: string;
  const data = () => path.join(home, 'data');
  const projects = () => path.join(home, 'home', '.claude', 'projects');
  // As a shell prompt runs it (`PS1='$(unmetered statusline) \$ '`): no payload on stdin.
  const run = (args: string[] = []) =>
    runShipped(['statusline', ...args], { input: '', env: { ...env(), HOME: path.join(home, 'home'), UNMETERED_HOME: data() } });
  const line = (id: string, output: number, session: string) => assistantLine(id, output, { at: '2026-04-01T13:00:00.000Z', session });
  const written = () =>
    readdirSync(data(), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => `${path.relative(data(), path.join(e.parentPath, e.name))} ${statSync(path.join(e.parentPath, e.name)).mtimeMs}`)
      .sort();

  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-statusline-prompt-'));
    for (const p of ['-home-dev-webapp', '-home-dev-api']) mkdirSync(path.join(projects(), p), { recursive: true });
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("counts what any session's log gained since the last prompt; --no-scan reads none", async () => {
    // Sonnet 4.5 (LiteLLM: $3 / $15 per million input / output tokens, $0.30 per million cache reads): a line costs
    // $0.000009 + $0.006 + output × $0.000015. 10,000 output tokens: $0.156009.
    const a = path.join(projects(), '-home-dev-webapp', 'a.jsonl');
    const b = path.join(projects(), '-home-dev-api', 'b.jsonl');
    writeFileSync(a, line('msg_a_1', 10_000, 'a'));
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    // The block: from 13:00Z (the hour of its first record) for 5 hours, 4 h 20 min of them left at 13:40Z.
    assert.match(first.stdout, /^today \$0\.16 · month \$0\.16 · block \$0\.16, 4h 20m left/);
    assert.equal(first.stderr, '', 'a prompt is not told what was imported');
    // Nothing new: the prompt's figures again, and nothing in the data directory written.
    const kept = written();
    assert.equal((await run()).stdout, first.stdout);
    assert.deepEqual(written(), kept);
    // Another session, in another project: 20,000 output tokens, $0.306009; $0.462018 in all.
    writeFileSync(b, line('msg_b_1', 20_000, 'b'));
    assert.equal((await run(['--no-scan'])).stdout, first.stdout, '--no-scan reads no log');
    assert.match((await run()).stdout, /^today \$0\.46 · month \$0\.46 · /);
    // A line appended to the first session: 30,000 output tokens, $0.456009; $0.918027 in all.
    appendFileSync(a, line('msg_a_2', 30_000, 'a'));
    assert.match((await run()).stdout, /^today \$0\.92 · month \$0\.92 · /);
  });

  it('tells a standing warning (a link not followed) once a day in a prompt, and at every run at a terminal', async () => {
    const link = path.join(projects(), 'linked');
    symlinkSync(os.tmpdir(), link);
    try {
      const warning = `not following the link ${link} -> ${os.tmpdir()}`;
      const first = await run();
      assert.equal(first.code, 0, first.stderr);
      assert.ok(first.stderr.includes(warning), first.stderr);
      const second = await run();
      assert.equal(second.stdout, first.stdout);
      assert.equal(second.stderr, '', 'told already today: the next prompt is quiet');
      // A person at a terminal (a view there) is told every time.
      const opts = { env: { ...env(), HOME: path.join(home, 'home'), UNMETERED_HOME: data() }, tty: true };
      for (let k = 0; k < 2; k++) assert.ok((await runShipped(['daily'], opts)).stderr.includes(warning));
      // What was told, damaged: told again.
      writeFileSync(path.join(data(), 'cache', 'told.json'), '{"version":1,"told":[["x"');
      assert.ok((await run()).stderr.includes(warning));
    } finally {
      rmSync(link);
    }
  });

  it('a warning told is new again a day later', () => {
    let now = Date.parse('2026-04-01T12:00:00.000Z');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-told-'));
    try {
      const told = () => toldDaily(dataDir, () => now);
      assert.deepEqual([told().first('a'), told().first('a'), told().first('b')], [true, false, true]);
      now += 24 * 3_600_000 - 1;
      assert.equal(told().first('a'), false, 'a millisecond short of a day');
      now += 1;
      assert.deepEqual([told().first('a'), told().first('a')], [true, false]);
      // A clock set back before the time kept: told again rather than never.
      now -= 48 * 3_600_000;
      assert.equal(told().first('b'), true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
