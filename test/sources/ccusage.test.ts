/**
 * Our Claude Code totals against ccusage@20.0.24's on the same files, per day, to the token and to
 * the cent. The corpus stays inside the rules both tools share; where our documented rules differ
 * (long-context pricing, one response id logged under two request ids, progress copies with no
 * subagent transcript, a logged costUSD), the difference is asserted explicitly below.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Interaction } from '../../src/core/interaction';
import { nanosToUSD } from '../../src/core/money';
import { localDay } from '../../src/core/time';
import { normaliseSourceSettings } from '../../src/core/import';
import { generateCodexCorpus, type CodexCorpus, type CodexExpected } from './codexCorpus';
import { buildView } from '../../src/core/report/views';
import { generateClaudeCorpus, type Corpus } from './corpus';
import { world, type World } from './helpers';

/**
 * ccusage 20's bin (node_modules/ccusage/src/cli.js) is a Node launcher that only finds the native build,
 * `@ccusage/ccusage-<platform>-<arch>/bin/ccusage`, and runs it with the same arguments and stdio
 * (resolveCliRuntime, runCli). The tests run that binary directly, as the launcher would: the same program,
 * without a Node start of about 0.2 CPU-s per run. Where no native build is installed, the launcher.
 */
const CCUSAGE = ((): string => {
  const launcher = path.join(__dirname, '../../node_modules/.bin/ccusage');
  const arch = process.arch === 'arm64' || process.arch === 'x64' ? process.arch : null;
  const exe = process.platform === 'win32' ? 'ccusage.exe' : 'ccusage';
  let native: string;
  try {
    if (!arch || !['linux', 'darwin', 'win32'].includes(process.platform)) return launcher;
    native = require.resolve(`@ccusage/ccusage-${process.platform}-${arch}/bin/${exe}`);
  } catch {
    return launcher; // not installed for this platform
  }
  const runnable = () => {
    try {
      accessSync(native, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  // npm installs the binary without its execute bit; the launcher sets it on its first run (ensureNativeBinaryExecutable in ccusage/src/cli.js).
  if (!runnable()) spawnSync(launcher, ['--version'], { stdio: 'ignore', timeout: 60_000 });
  return runnable() ? native : launcher;
})();
const CLAUDE_ONLY = normaliseSourceSettings({
  codex: { enabled: false },
  geminiCli: { enabled: false },
  cline: { enabled: false },
  rooCode: { enabled: false },
}).settings;

interface Day {
  date: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalCost: number;
}

function ccusageDaily(w: World, configDir: string, timeZone: string): Day[] {
  const home = path.join(w.dir, 'empty-home');
  mkdirSync(home, { recursive: true });
  const r = spawnSync(CCUSAGE, ['daily', '--json', '--offline', '--timezone', timeZone], {
    env: { HOME: home, CLAUDE_CONFIG_DIR: configDir, PATH: process.env.PATH, TZ: 'UTC', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `ccusage failed: ${r.stderr}`);
  // 20.x names the day `period` (all agents share one report shape).
  return (JSON.parse(r.stdout) as { daily: (Day & { period: string })[] }).daily.map((d) => ({ ...d, date: d.period ?? d.date }));
}

interface Row {
  period: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalCost: number;
}

/** Any ccusage report as JSON: `{ <command>: rows }`, each row naming its day, month or session in `period`. */
function ccusageRows(w: World, configDir: string, command: 'daily' | 'monthly' | 'session', timeZone: string): Row[] {
  const home = path.join(w.dir, 'empty-home');
  mkdirSync(home, { recursive: true });
  const r = spawnSync(CCUSAGE, [command, '--json', '--offline', '--timezone', timeZone], {
    env: { HOME: home, CLAUDE_CONFIG_DIR: configDir, PATH: process.env.PATH, TZ: 'UTC', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `ccusage ${command} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as Record<string, Row[]>)[command];
}

/** A view row in ccusage's terms: cache writes together, cost in USD. */
const asRow = (
  period: string,
  t: { inputTokens: number; outputTokens: number; cacheWriteTokens: number; cacheReadTokens: number; costUSD: number | null },
) => ({
  period,
  inputTokens: t.inputTokens,
  outputTokens: t.outputTokens,
  cacheCreationTokens: t.cacheWriteTokens,
  cacheReadTokens: t.cacheReadTokens,
  totalCost: t.costUSD ?? 0,
});
const rowCells = (d: Row) => [d.period, d.inputTokens, d.outputTokens, d.cacheCreationTokens, d.cacheReadTokens, cents(d.totalCost)];

function ourDaily(records: readonly Interaction[], timeZone: string): Day[] {
  const days = new Map<string, Day & { nanos: number }>();
  for (const r of records) {
    const date = localDay(Date.parse(r.at), timeZone);
    const d = days.get(date) ?? {
      date,
      inputTokens: 0,
      outputTokens: 0,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      totalCost: 0,
      nanos: 0,
    };
    d.inputTokens += r.tokens.input;
    d.outputTokens += r.tokens.output;
    d.cacheCreationTokens += r.tokens.cacheWrite5m + r.tokens.cacheWrite1h;
    d.cacheReadTokens += r.tokens.cacheRead;
    d.nanos += r.costNanos ?? 0;
    days.set(date, d);
  }
  return [...days.values()].sort((a, b) => a.date.localeCompare(b.date)).map(({ nanos, ...d }) => ({ ...d, totalCost: nanosToUSD(nanos) }));
}

const cents = (usd: number) => Math.round(usd * 100);

describe('Claude Code totals agree with ccusage@20.0.24', { timeout: 120_000 }, () => {
  let w: World;
  let corpus: Corpus;
  const root = () => path.join(w.dir, 'claude');
  before(async () => {
    w = await world();
    corpus = await generateClaudeCorpus({
      root: path.join(w.dir, 'claude'),
      sessions: 70,
      days: 6,
      turns: [3, 14],
      toolResultBytes: [200, 4000],
      seed: 7,
      subagentSessions: 0.3,
      btwSessions: 0.3,
    });
    w.env = { CLAUDE_CONFIG_DIR: root() };
    await w.importer({ settings: CLAUDE_ONLY }).scan();
  });
  after(() => w.cleanup());

  it('holds every trap: block copies, resumed copies, subagents with progress copies, /btw replays, <synthetic>, midnight', () => {
    const text = corpus.files.map((f) => readFileSync(f, 'utf8')).join('');
    const count = (s: string) => text.split(s).length - 1;
    const lines = text.split('\n').filter(Boolean).length;
    const assistantLines = count('"type":"assistant"');
    assert.ok(assistantLines > corpus.expected.size * 1.5, `${assistantLines} assistant lines for ${corpus.expected.size} responses`);
    assert.ok(count('"type":"progress"') >= 5);
    assert.ok(count('"slug":"btw"') >= 2);
    assert.ok(count('<synthetic>') >= 5);
    assert.ok(corpus.files.some((f) => f.includes(`${path.sep}subagents${path.sep}`)));
    assert.ok(new Set([...corpus.expected.values()].map((e) => e.at.slice(0, 10))).size >= 6);
    assert.ok(lines > 1000);
  });

  it('finds exactly the responses the corpus holds, each with its final counts', () => {
    const got = new Map(w.ledger.records().map((r) => [r.id, r]));
    assert.equal(got.size, corpus.expected.size);
    for (const [mid, e] of corpus.expected) {
      const r = got.get(`anthropic:${mid}`);
      assert.ok(r, mid);
      assert.deepEqual(
        [r.model, r.at, r.tokens.input, r.tokens.output, r.tokens.cacheRead, r.tokens.cacheWrite5m, r.tokens.cacheWrite1h, !!r.fast],
        [e.model, e.at, e.input, e.output, e.cacheRead, e.cacheWrite5m, e.cacheWrite1h, e.fast],
        mid,
      );
      assert.notEqual(r.costNanos, null, `${e.model} is priced`);
    }
  });

  for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
    it(`per day in ${zone}: the same tokens and the same cents`, () => {
      const theirs = ccusageDaily(w, root(), zone);
      const ours = ourDaily(w.ledger.records(), zone);
      assert.ok(ours.length >= 6);
      assert.deepEqual(
        ours.map((d) => [d.date, d.inputTokens, d.outputTokens, d.cacheCreationTokens, d.cacheReadTokens, cents(d.totalCost)]),
        theirs.map((d) => [d.date, d.inputTokens, d.outputTokens, d.cacheCreationTokens, d.cacheReadTokens, cents(d.totalCost)]),
      );
      // Closer than a cent: the same prices, summed exactly on our side and in floating point on theirs.
      for (let i = 0; i < ours.length; i++)
        assert.ok(
          Math.abs(ours[i].totalCost - theirs[i].totalCost) < 1e-6,
          `${ours[i].date}: ${ours[i].totalCost} vs ${theirs[i].totalCost}`,
        );
    });
  }

  for (const [kind, zone] of [
    ['daily', 'America/New_York'],
    ['monthly', 'Asia/Kolkata'],
    ['monthly', 'UTC'],
  ] as const) {
    it(`unmetered ${kind} (the view's own code) and ccusage ${kind} agree per row in ${zone}`, () => {
      const theirs = ccusageRows(w, root(), kind, zone);
      const view = buildView(w.ledger.records(), { kind, timeZone: zone, now: Date.parse('2026-01-01T00:00:00Z'), priceTable: 't' });
      assert.ok(view.rows.length >= (kind === 'daily' ? 6 : 2), `${view.rows.length} rows`);
      assert.deepEqual(
        view.rows.map((r) => rowCells(asRow(r.key, r))),
        theirs.map(rowCells),
      );
    });
  }

  it(
    'on the trap corpus (subagents, /btw replays, resumed copies) ccusage session sums more than ccusage' +
      ' daily; ours, counting each response once, equals their daily',
    () => {
      const total = (rows: Row[]) => rows.reduce((t, r) => t + r.outputTokens, 0);
      const ours = w.ledger.records().reduce((t, r) => t + r.tokens.output, 0);
      assert.equal(total(ccusageRows(w, root(), 'daily', 'UTC')), ours);
      assert.ok(
        total(ccusageRows(w, root(), 'session', 'UTC')) > ours,
        'ccusage session sums more output tokens than ccusage daily on the trap corpus',
      );
    },
  );
});

/** ccusage session rows summed per project: the corpus puts each session file in one project folder. */
function perProject(rows: Row[], files: string[]): Row[] {
  const projectOf = new Map(
    files
      .filter((f) => !f.includes(`${path.sep}subagents${path.sep}`))
      .map((f) => [path.basename(f, '.jsonl'), path.basename(path.dirname(f)).replace(/^-home-dev-/, '')]),
  );
  const sums = new Map<string, Row>();
  for (const s of rows) {
    const project = projectOf.get(s.period);
    assert.ok(project, `ccusage session ${s.period} is one of the corpus's sessions`);
    const t = sums.get(project) ?? {
      period: project,
      inputTokens: 0,
      outputTokens: 0,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      totalCost: 0,
    };
    sums.set(project, {
      period: project,
      inputTokens: t.inputTokens + s.inputTokens,
      outputTokens: t.outputTokens + s.outputTokens,
      cacheCreationTokens: t.cacheCreationTokens + s.cacheCreationTokens,
      cacheReadTokens: t.cacheReadTokens + s.cacheReadTokens,
      totalCost: t.totalCost + s.totalCost,
    });
  }
  return [...sums.values()].sort((a, b) => (a.period < b.period ? -1 : 1));
}

describe('sessions: ccusage session against unmetered project and session, on transcripts without copies', { timeout: 120_000 }, () => {
  // ccusage keys a Claude Code session by its transcript's session id; our ledger keys a Claude Code
  // record by its API message id and keeps no session id, so our session view groups Claude Code
  // per project and local day (a difference by design, in the README). What both must agree on is
  // where the spend went: per project, and our session rows must add up to the same.
  let w: World;
  let corpus: Corpus;
  before(async () => {
    w = await world();
    corpus = await generateClaudeCorpus({
      root: path.join(w.dir, 'claude'),
      sessions: 24,
      days: 4,
      turns: [3, 10],
      toolResultBytes: [100, 800],
      seed: 11,
      subagentSessions: 0,
      btwSessions: 0,
    });
    w.env = { CLAUDE_CONFIG_DIR: path.join(w.dir, 'claude') };
    await w.importer({ settings: CLAUDE_ONLY }).scan();
  });
  after(() => w.cleanup());

  it('per project, to the token and the cent', () => {
    const theirs = perProject(ccusageRows(w, path.join(w.dir, 'claude'), 'session', 'UTC'), corpus.files).map(rowCells);
    const now = Date.parse('2026-01-01T00:00:00Z');
    const projects = buildView(w.ledger.records(), { kind: 'project', timeZone: 'UTC', now, priceTable: 't' })
      .rows.map((r) => asRow(r.key, r))
      .sort((a, b) => (a.period < b.period ? -1 : 1));
    assert.ok(projects.length >= 3, `${projects.length} projects`);
    assert.deepEqual(projects.map(rowCells), theirs);
    const bySession = new Map<string, Row>();
    for (const r of buildView(w.ledger.records(), { kind: 'session', timeZone: 'UTC', now, priceTable: 't' }).rows) {
      const p = r.projects![0];
      const t = bySession.get(p) ?? asRow(p, { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, costUSD: 0 });
      bySession.set(p, {
        period: p,
        inputTokens: t.inputTokens + r.inputTokens,
        outputTokens: t.outputTokens + r.outputTokens,
        cacheCreationTokens: t.cacheCreationTokens + r.cacheWriteTokens,
        cacheReadTokens: t.cacheReadTokens + r.cacheReadTokens,
        totalCost: t.totalCost + (r.costUSD ?? 0),
      });
    }
    assert.deepEqual([...bySession.values()].sort((a, b) => (a.period < b.period ? -1 : 1)).map(rowCells), theirs);
  });
});

/** One assistant line, compact, as Claude Code writes it. */
function assistant(
  id: string,
  requestId: string,
  usage: Record<string, number>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    cwd: '/home/dev/p',
    sessionId: 's',
    version: '2.0.31',
    message: { id, model: 'claude-sonnet-4-5-20250929', role: 'assistant', type: 'message', content: [], usage },
    requestId,
    type: 'assistant',
    uuid: `u-${id}-${requestId}`,
    timestamp: '2025-11-03T12:00:00.000Z',
    ...extra,
  };
}

describe('where our documented rules differ from ccusage@20.0.24', { timeout: 120_000 }, () => {
  let w: World;
  before(async () => (w = await world()));
  after(() => w.cleanup());

  /** Writes one transcript, imports it into a fresh ledger and runs ccusage on it. */
  async function both(
    name: string,
    lines: Record<string, unknown>[],
  ): Promise<{ ours: Day; theirs: Day; records: readonly Interaction[] }> {
    const dir = path.join(w.dir, name);
    mkdirSync(path.join(dir, 'projects/p'), { recursive: true });
    writeFileSync(path.join(dir, 'projects/p/s.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const v = await world({ CLAUDE_CONFIG_DIR: dir });
    try {
      await v.importer({ settings: CLAUDE_ONLY }).scan();
      const records = [...v.ledger.records()];
      return { ours: ourDaily(records, 'UTC')[0], theirs: ccusageDaily(w, dir, 'UTC')[0], records };
    } finally {
      await v.cleanup();
    }
  }

  it('long context: we bill the whole request at the long-context rates once the prompt passes 200k tokens; ccusage tiers each token type', async () => {
    const { ours, theirs } = await both('long', [
      assistant('m1', 'r1', { input_tokens: 10, cache_read_input_tokens: 250_000, cache_creation_input_tokens: 0, output_tokens: 1000 }),
    ]);
    assert.equal(ours.totalCost, 0.17256); // 10 × $6/M + 250,000 × $0.60/M + 1,000 × $22.50/M
    assert.equal(Math.round(theirs.totalCost * 1e6), 105_030); // 10 × $3/M + (200,000 × $0.30 + 50,000 × $0.60)/M + 1,000 × $15/M
    assert.deepEqual(
      [ours.inputTokens, ours.cacheReadTokens, ours.outputTokens],
      [theirs.inputTokens, theirs.cacheReadTokens, theirs.outputTokens],
    );
  });

  it('one response id logged under two request ids: we store it once (the id the API and our gateway see); ccusage counts both', async () => {
    const { ours, theirs, records } = await both('tworeq', [
      assistant('m1', 'r1', { input_tokens: 10, output_tokens: 100 }),
      assistant('m1', 'r2', { input_tokens: 10, output_tokens: 100 }),
    ]);
    assert.equal(records.length, 1);
    assert.deepEqual([ours.inputTokens, ours.outputTokens], [10, 100]);
    assert.deepEqual([theirs.inputTokens, theirs.outputTokens], [20, 200]);
  });

  it('a progress copy whose subagent transcript is missing: we count only transcripts; ccusage counts the copy', async () => {
    const inner = {
      type: 'assistant',
      timestamp: '2025-11-03T12:00:00.000Z',
      requestId: 'r9',
      message: {
        id: 'm9',
        model: 'claude-sonnet-4-5-20250929',
        role: 'assistant',
        type: 'message',
        content: [],
        usage: { input_tokens: 10, output_tokens: 100 },
      },
    };
    const { ours, theirs, records } = await both('progress', [
      {
        cwd: '/home/dev/p',
        sessionId: 's',
        version: '2.0.31',
        type: 'progress',
        data: { type: 'agent_progress', message: inner },
        uuid: 'x',
        timestamp: '2025-11-03T12:00:00.100Z',
      },
    ]);
    assert.equal(records.length, 0);
    assert.equal(ours, undefined);
    assert.deepEqual([theirs.inputTokens, theirs.outputTokens], [10, 100]);
  });

  it('a logged costUSD (older Claude Code): we price the tokens; ccusage takes the logged figure', async () => {
    const { ours, theirs } = await both('costusd', [assistant('m1', 'r1', { input_tokens: 10, output_tokens: 100 }, { costUSD: 1.25 })]);
    assert.equal(ours.totalCost, 0.00153);
    assert.equal(theirs.totalCost, 1.25);
  });

  it('models: an unknown date suffix is priced as its base model by both; an unknown model is unpriced (null) for us and $0 for ccusage', async () => {
    const { ours, theirs, records } = await both('models', [
      assistant(
        'm1',
        'r1',
        { input_tokens: 1000, output_tokens: 100 },
        {
          message: {
            id: 'm1',
            model: 'claude-sonnet-4-5-20991231',
            role: 'assistant',
            content: [],
            usage: { input_tokens: 1000, output_tokens: 100 },
          },
        },
      ),
      assistant(
        'm2',
        'r2',
        { input_tokens: 1000, output_tokens: 100 },
        {
          message: { id: 'm2', model: 'claude-nova-9', role: 'assistant', content: [], usage: { input_tokens: 1000, output_tokens: 100 } },
        },
      ),
    ]);
    assert.equal(records.find((r) => r.model === 'claude-sonnet-4-5-20991231')!.costNanos, 4_500_000);
    assert.equal(records.find((r) => r.model === 'claude-nova-9')!.costNanos, null);
    assert.equal(cents(ours.totalCost), cents(theirs.totalCost));
    assert.deepEqual([ours.inputTokens, ours.outputTokens], [theirs.inputTokens, theirs.outputTokens]);
  });
});

// ——— Codex ———

const CODEX_ONLY = normaliseSourceSettings({
  claudeCode: { enabled: false },
  geminiCli: { enabled: false },
  cline: { enabled: false },
  rooCode: { enabled: false },
}).settings;

interface CodexDay {
  date: string;
  inputTokens: number;
  cacheReadTokens: number;
  outputTokens: number;
  nanos: number;
}

function ccusageCodexDaily(w: World, codexHome: string, timeZone: string): (CodexDay & { costUSD: number })[] {
  const home = path.join(w.dir, 'empty-home');
  mkdirSync(home, { recursive: true });
  const r = spawnSync(CCUSAGE, ['codex', 'daily', '--json', '--offline', '--timezone', timeZone], {
    env: { HOME: home, CODEX_HOME: codexHome, PATH: process.env.PATH, TZ: 'UTC', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `ccusage codex failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { daily: (CodexDay & { costUSD: number })[] }).daily;
}

/** Nanos per token from the pinned snapshot, read here so the reference does not go through our pricing code. */
function snapshotPrices(): Map<string, { input: number; cacheRead: number; output: number }> {
  const snap = JSON.parse(readFileSync(path.join(__dirname, '../../src/core/pricing/snapshot.json'), 'utf8')) as {
    models: Record<string, Record<string, number>>;
  };
  const nanos = (usd: number) => Math.round(usd * 1e9);
  return new Map(
    Object.entries(snap.models).map(([k, v]) => [
      k,
      {
        input: nanos(v.input_cost_per_token),
        cacheRead: nanos(v.cache_read_input_token_cost ?? v.input_cost_per_token),
        output: nanos(v.output_cost_per_token),
      },
    ]),
  );
}

function referenceDays(expected: readonly CodexExpected[], timeZone: string): CodexDay[] {
  const prices = snapshotPrices();
  const days = new Map<string, CodexDay>();
  for (const e of expected) {
    const date = localDay(Date.parse(e.at), timeZone);
    const d = days.get(date) ?? { date, inputTokens: 0, cacheReadTokens: 0, outputTokens: 0, nanos: 0 };
    const p = prices.get(e.model)!;
    d.inputTokens += e.input;
    d.cacheReadTokens += e.cacheRead;
    d.outputTokens += e.output;
    d.nanos += e.input * p.input + e.cacheRead * p.cacheRead + e.output * p.output;
    days.set(date, d);
  }
  return [...days.values()].sort((a, b) => a.date.localeCompare(b.date));
}

function ourCodexDays(records: readonly Interaction[], timeZone: string): CodexDay[] {
  const days = new Map<string, CodexDay>();
  for (const r of records) {
    const date = localDay(Date.parse(r.at), timeZone);
    const d = days.get(date) ?? { date, inputTokens: 0, cacheReadTokens: 0, outputTokens: 0, nanos: 0 };
    d.inputTokens += r.tokens.input;
    d.cacheReadTokens += r.tokens.cacheRead;
    d.outputTokens += r.tokens.output;
    d.nanos += r.costNanos!;
    days.set(date, d);
  }
  return [...days.values()].sort((a, b) => a.date.localeCompare(b.date));
}

/** `ccusage codex daily|monthly --json`: rows named by `date` or `month`. */
function ccusageCodexRows(
  w: World,
  codexHome: string,
  command: 'daily' | 'monthly',
  timeZone: string,
): (CodexDay & { costUSD: number; month?: string })[] {
  const home = path.join(w.dir, 'empty-home');
  mkdirSync(home, { recursive: true });
  const r = spawnSync(CCUSAGE, ['codex', command, '--json', '--offline', '--timezone', timeZone], {
    env: { HOME: home, CODEX_HOME: codexHome, PATH: process.env.PATH, TZ: 'UTC', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `ccusage codex ${command} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as Record<string, (CodexDay & { costUSD: number; month?: string })[]>)[command];
}

describe('Codex totals against ccusage@20.0.24 and an independent reference', { timeout: 120_000 }, () => {
  let w: World;
  let corpus: CodexCorpus;
  const home = () => path.join(w.dir, 'codex');
  before(async () => {
    w = await world();
    corpus = generateCodexCorpus({
      home: home(),
      seed: 11,
      sessions: 60,
      days: 5,
      startDay: '2025-11-02',
      turns: [2, 8],
      forkShare: 0.3,
      resetShare: 0.25,
    });
    w.env = { CODEX_HOME: home() };
    await w.importer({ settings: CODEX_ONLY }).scan();
  });
  after(() => w.cleanup());

  it('holds the traps: slow fork copies, context-window resets, restarts above and below, re-emitted totals, model switches', () => {
    const s = corpus.stats;
    assert.ok(
      s.forks >= 10 && s.fills >= 10 && s.restartsAbove >= 3 && s.restartsBelow >= 3 && s.reemitted >= 20 && s.modelSwitches >= 5,
      JSON.stringify(s),
    );
    assert.ok(corpus.expected.length > 500);
  });

  it('we find exactly the reference responses', () => {
    assert.equal(w.ledger.records().length, corpus.expected.length);
  });

  for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
    it(`per day in ${zone}: we equal the reference to the token and the nano-dollar; ccusage equals it to the token and the cent`, () => {
      const ref = referenceDays(corpus.expected, zone);
      assert.ok(ref.length >= 5);
      assert.deepEqual(ourCodexDays(w.ledger.records(), zone), ref);
      const theirs = ccusageCodexDaily(w, home(), zone);
      assert.deepEqual(
        theirs.map((d) => [d.date, d.inputTokens, d.cacheReadTokens, d.outputTokens, Math.round(d.costUSD * 100)]),
        ref.map((d) => [d.date, d.inputTokens, d.cacheReadTokens, d.outputTokens, Math.round(d.nanos / 1e7)]),
      );
    });
  }

  for (const [kind, zone] of [
    ['daily', 'America/New_York'],
    ['daily', 'Asia/Kolkata'],
    ['monthly', 'UTC'],
    ['monthly', 'Pacific/Kiritimati'],
  ] as const) {
    it(`unmetered ${kind} (the view's own code) and ccusage codex ${kind} agree per row in ${zone}`, () => {
      const theirs = ccusageCodexRows(w, home(), kind, zone);
      const view = buildView(w.ledger.records(), { kind, timeZone: zone, now: Date.parse('2026-01-01T00:00:00Z'), priceTable: 't' });
      assert.ok(view.rows.length >= (kind === 'daily' ? 5 : 1), `${view.rows.length} rows`);
      // ccusage names a month "2025-11" and a day as a date; its cost is floating point: compared to the cent.
      assert.deepEqual(
        view.rows.map((r) => [r.key, r.inputTokens, r.cacheReadTokens, r.outputTokens, Math.round(r.costUSD! * 100)]),
        theirs.map((d) => [
          kind === 'monthly' ? d.month : d.date,
          d.inputTokens,
          d.cacheReadTokens,
          d.outputTokens,
          Math.round(d.costUSD * 100),
        ]),
      );
    });
  }
});

describe('Codex: where ccusage@20.0.24 differs, on the conformance fixtures', { timeout: 60_000 }, () => {
  let w: World;
  const home = path.join(__dirname, 'fixtures', 'codex-conformance');
  before(async () => {
    w = await world({ CODEX_HOME: home });
    await w.importer({ settings: CODEX_ONLY }).scan();
  });
  after(() => w.cleanup());

  it('2025-11-03 (resets above and below, a slow fork copy): the same tokens and cost', () => {
    const theirs = ccusageCodexDaily(w, home, 'UTC').find((d) => d.date === '2025-11-03')!;
    const ours = ourCodexDays(w.ledger.records(), 'UTC').find((d) => d.date === '2025-11-03')!;
    // by hand (codex-conformance.test.ts): 26,025,000 + 1,612,500 nanos; uncached input 800+1,000+500+6,000+1,000+1,500+500
    assert.deepEqual([ours.inputTokens, ours.cacheReadTokens, ours.outputTokens, ours.nanos], [11_300, 5_700, 1_280, 27_637_500]);
    assert.deepEqual(
      [theirs.inputTokens, theirs.cacheReadTokens, theirs.outputTokens, Math.round(theirs.costUSD * 1e9)],
      [11_300, 5_700, 1_280, 27_637_500],
    );
  });

  it('codex-auto-review: we keep it unpriced (no published price); ccusage prices it as gpt-5-codex', () => {
    const theirs = ccusageCodexDaily(w, home, 'UTC').find((d) => d.date === '2025-11-04')! as CodexDay & {
      costUSD: number;
      models: Record<string, { inputTokens: number; isFallback: boolean }>;
    };
    const ours = ourCodexDays(
      w.ledger.records().filter((r) => r.costNanos !== null),
      'UTC',
    ).find((d) => d.date === '2025-11-04')!;
    assert.equal(ours.nanos, 24_900_000); // 9,750,000 + 11,000,000 + 2,800,000 + 1,350,000
    // theirs adds the auto-review turn at gpt-5-codex prices: 900 × 1,250 + 30 × 10,000 = 1,425,000 nanos
    assert.equal(Math.round(theirs.costUSD * 1e9), 24_900_000 + 1_425_000);
    assert.deepEqual([theirs.models['gpt-5-codex'].inputTokens, theirs.models['gpt-5-codex'].isFallback], [900, true]);
    assert.equal(w.ledger.records().find((r) => r.model === 'codex-auto-review')!.costNanos, null);
  });

  it('.jsonl.zst rollouts: we read them; ccusage does not (no 2025-11-05 at all)', () => {
    assert.equal(
      ccusageCodexDaily(w, home, 'UTC').find((d) => d.date === '2025-11-05'),
      undefined,
    );
    assert.equal(ourCodexDays(w.ledger.records(), 'UTC').find((d) => d.date === '2025-11-05')!.nanos, 13_500_000);
  });
});
