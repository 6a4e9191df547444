import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { loadPriceTable, priceInteraction } from '../../src/core/pricing';
import { runShipped } from '../helpers/cli';

// The CLI is tested as shipped: the esbuild bundle, run in this process (test/helpers/cli.ts).
let home: string;
let emptyLogs: string;

function run(args: string[], env: Record<string, string> = {}, tty = false) {
  return runShipped(args, {
    tty,
    env: {
      PATH: process.env.PATH,
      UNMETERED_HOME: home,
      HOME: emptyLogs,
      CLAUDE_CONFIG_DIR: path.join(emptyLogs, 'claude'),
      CODEX_HOME: path.join(emptyLogs, 'codex'),
      UNMETERED_TZ: 'Europe/Berlin',
      ...env,
    },
  });
}

const table = loadPriceTable();
const rec = (id: string, at: string, model: string, t: Parameters<typeof tokens>[0], extra: Partial<Interaction> = {}): Interaction =>
  priceInteraction(
    {
      id,
      at,
      agent: 'claude-code',
      source: 'log',
      project: 'acme',
      model,
      route: 'cloud',
      replaces: null,
      tokens: tokens(t),
      costNanos: null,
      avoidedNanos: null,
      priceSource: null,
      estimated: false,
      ...extra,
    },
    table,
  );

before(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-cli-'));
  emptyLogs = mkdtempSync(path.join(os.tmpdir(), 'unmetered-cli-home-'));
  const ledger = await openLedger({ dir: home });
  await ledger.append([
    // 22 Nov 23:30 in Berlin (22:30Z) and 23 Nov 00:30 in Berlin (23:30Z): two different local days
    rec('a1', '2026-11-22T22:30:00.000Z', 'claude-sonnet-4-5-20250929', { input: 4, cacheWrite5m: 1532, cacheRead: 48211, output: 312 }),
    rec('a2', '2026-11-22T23:30:00.000Z', 'claude-sonnet-4-5-20250929', { input: 100_000, output: 10_000 }),
    rec('c1', '2026-11-23T08:00:00.000Z', 'gpt-5-codex', { input: 1308, cacheRead: 8192, output: 490, reasoning: 256 }, { agent: 'codex' }),
    rec('u1', '2026-11-23T09:00:00.000Z', 'acme-coder-9', { input: 10, output: 10 }),
    rec(
      'l1',
      '2026-11-23T10:00:00.000Z',
      'qwen3-coder:30b',
      { input: 100_000, output: 10_000 },
      { route: 'local', replaces: 'claude-sonnet-4-5', source: 'gateway' },
    ),
  ]);
  await ledger.close();
});
after(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(emptyLogs, { recursive: true, force: true });
});

test('report --json: totals, per-day rows in the chosen zone, per-model rows; unpriced kept apart', async () => {
  const r = await run(['report', '--json', '--no-scan']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  // a1 $0.0249003, a2 $0.30 + $0.15 = $0.45, c1 $0.007559, u1 unpriced, l1 local $0 (avoided $0.45)
  assert.equal(j.totals.costUSD, 0.4824593);
  assert.equal(j.totals.avoidedUSD, 0.45);
  assert.equal(j.totals.interactions, 5);
  assert.equal(j.totals.unpricedInteractions, 1);
  assert.equal(j.totals.inputTokens, 4 + 100_000 + 1308 + 10 + 100_000);
  assert.equal(j.totals.cacheReadTokens, 48211 + 8192);
  assert.equal(j.totals.cacheWriteTokens, 1532);
  assert.deepEqual(
    j.days.map((d: { date: string; costUSD: number; interactions: number }) => [d.date, d.costUSD, d.interactions]),
    [
      ['2026-11-22', 0.0249003, 1],
      ['2026-11-23', 0.457559, 4],
    ],
  );
  const models = Object.fromEntries(j.models.map((m: { model: string; costUSD: number | null }) => [m.model, m.costUSD]));
  assert.equal(models['claude-sonnet-4-5-20250929'], 0.4749003);
  assert.equal(models['gpt-5-codex'], 0.007559);
  assert.equal(models['acme-coder-9'], null);
  assert.equal(models['qwen3-coder:30b'], 0);
  const sum = j.days.reduce((s: number, d: { costUSD: number }) => s + Math.round(d.costUSD * 1e9), 0);
  assert.equal(sum, Math.round(j.totals.costUSD * 1e9), 'days add up to the total');
});

test('report --since/--until select local days, and --tz moves the day boundary', async () => {
  const r = await run(['report', '--json', '--no-scan', '--since', '2026-11-23', '--until', '2026-11-23']);
  assert.equal(JSON.parse(r.stdout).totals.interactions, 4);
  const utc = JSON.parse((await run(['report', '--json', '--no-scan', '--tz', 'UTC', '--until', '2026-11-22'])).stdout);
  assert.equal(utc.totals.interactions, 2);
});

test('status --json shows the meter for the pinned day', async () => {
  const r = await run(['status', '--json', '--no-scan', '--budget', '100'], { UNMETERED_NOW: '2026-11-23T12:00:00Z' });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.day, '2026-11-23');
  assert.equal(j.timeZone, 'Europe/Berlin');
  assert.equal(j.todayUSD, 0.457559);
  assert.equal(j.avoidedTodayUSD, 0.45);
  assert.equal(j.monthToDateUSD, 0.4824593);
  assert.equal(j.budgetUSD, 100);
  assert.deepEqual(j.unpriced, [{ model: 'acme-coder-9', interactions: 1 }]);
  assert.ok(['ok', 'warning', 'over'].includes(j.budgetState));
  const text = await run(['status', '--no-scan'], { UNMETERED_NOW: '2026-11-23T12:00:00Z' });
  assert.match(text.stdout, /Today\s+\$0\.46 {2}\(4 interactions\)/);
  assert.match(text.stdout, /Unpriced models \(not in the totals\): acme-coder-9 \(1\)/);
  assert.equal(text.stderr, '');
});

test('bad arguments get a one-line error naming the argument, and exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['report', '--since', '23.11.2026'],
      /--since: expected a date as YYYY-MM-DD or YYYYMMDD \(e\.g\. 2026-11-01 or 20261101\), got "23\.11\.2026"/,
    ],
    [['report', '--tz', 'Mars/Olympus'], /--tz: expected an IANA time zone/],
    [['report', '--since', '2026-11-24', '--until', '2026-11-01'], /--since 2026-11-24 is after --until 2026-11-01/],
    [['status', '--budget', 'lots'], /--budget: expected a number from 0 to 1000000, got "lots"/],
    [['report', '--frobnicate'], /unknown option --frobnicate/],
    [['report', '--since'], /^unmetered report: --since needs a value \(DATE\), got nothing; e\.g\. --since 20261101$/],
    [['daily', '--since', '-j'], /^unmetered daily: --since needs a value \(DATE\), got the option -j; e\.g\. --since 20261101$/],
    [['weekly', '--sinse', '2026-11-01'], /unknown option --sinse; did you mean --since\?/],
    [['daily', '--order', 'up'], /--order: expected asc or desc, got "up"/],
    [['daily', '--last', '0'], /--last: expected a whole number from 1 to 100000, got "0"/],
    [['daily', '--last', '3', '--since', '2026-11-01'], /--last and --since both choose where the range starts/],
    [['report', '--by', 'year'], /--by: expected day, week, month, session, project, branch, repo or block, got "year"/],
    [['export', '--week'], /--week needs a value, got nothing/],
    [['fly'], /unknown command "fly"/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr.split('\n')[0], message);
    assert.equal(r.stdout, '');
  }
});

test('a bad mirrored setting falls back with a warning on stderr, never on stdout', async () => {
  writeFileSync(path.join(home, 'settings.json'), JSON.stringify({ monthlyBudget: 'lots', timezone: 'Nowhere/City' }));
  try {
    const r = await run(['status', '--json', '--no-scan'], { UNMETERED_TZ: '' });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /unmetered\.monthlyBudget: expected/);
    assert.match(r.stderr, /unmetered\.timezone: expected/);
    assert.equal(JSON.parse(r.stdout).budgetUSD, null);
  } finally {
    rmSync(path.join(home, 'settings.json'));
  }
});

test("status and report import this machine's agent logs first: full history on the first run, nothing twice later", async () => {
  const data = mkdtempSync(path.join(os.tmpdir(), 'unmetered-cli-scan-'));
  const logs = mkdtempSync(path.join(os.tmpdir(), 'unmetered-cli-logs-'));
  try {
    const dir = path.join(logs, 'claude', 'projects', '-home-dev-shop');
    mkdirSync(dir, { recursive: true });
    const line = (output: number, text: string) =>
      JSON.stringify({
        parentUuid: 'p',
        isSidechain: false,
        cwd: '/home/dev/shop',
        sessionId: 's1',
        version: '2.0.31',
        type: 'assistant',
        uuid: `u${output}`,
        timestamp: '2026-11-20T14:02:11.512Z',
        requestId: 'req_011CUaBcDeFgHiJkLmNoPqRs',
        message: {
          id: 'msg_01AbCdEfGhIjKlMnOpQrStUv',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5-20250929',
          content: [{ type: 'text', text }],
          usage: {
            input_tokens: 4,
            cache_creation_input_tokens: 1532,
            cache_read_input_tokens: 48211,
            cache_creation: { ephemeral_5m_input_tokens: 1532, ephemeral_1h_input_tokens: 0 },
            output_tokens: output,
            service_tier: 'standard',
          },
        },
      });
    // The same response written twice (a partial copy, then the complete one) and a synthetic line.
    const synthetic = JSON.stringify({
      type: 'assistant',
      timestamp: '2026-11-20T14:03:00.000Z',
      message: { id: '0d9f2c1e-uuid', model: '<synthetic>', role: 'assistant', content: [], usage: { input_tokens: 0, output_tokens: 0 } },
    });
    writeFileSync(path.join(dir, 's1.jsonl'), [line(5, 'Do'), line(312, 'Done.'), synthetic].join('\n') + '\n');
    const env = { UNMETERED_HOME: data, CLAUDE_CONFIG_DIR: path.join(logs, 'claude'), UNMETERED_TZ: 'UTC' };
    const first = await run(['report', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const j = JSON.parse(first.stdout);
    assert.equal(j.totals.interactions, 1);
    assert.equal(j.totals.costUSD, 0.0249003);
    assert.equal(j.totals.outputTokens, 312);
    // Piped (a script, a shell prompt), a short import is not told of; a person at a terminal is told.
    assert.equal(first.stderr, '');
    const status = await run(['status'], env);
    assert.match(status.stdout, /Agent logs read\n {2}Claude Code: 1 file, 1 interaction \(/);
    const statusJson = JSON.parse((await run(['status', '--json'], env)).stdout);
    assert.deepEqual(
      statusJson.sources.find((x: { agent: string }) => x.agent === 'claude-code'),
      { agent: 'claude-code', enabled: true, files: 1, interactions: 1, malformedLines: 0, paths: [path.join(logs, 'claude', 'projects')] },
    );
    const again = await run(['report', '--json'], env);
    assert.equal(JSON.parse(again.stdout).totals.interactions, 1);
    assert.doesNotMatch(again.stderr, /imported/);
    appendFileSync(path.join(dir, 's1.jsonl'), line(40, 'More.').replace('"msg_', '"msg_more_') + '\n');
    const atTerminal = await run(['report'], env, true);
    assert.equal(atTerminal.code, 0, atTerminal.stderr);
    assert.match(atTerminal.stderr, /^unmetered: imported 1 interaction from 1 agent log file in [\d.]+ s\n$/);
    const skipped = await run(['report', '--json', '--no-scan'], { ...env, UNMETERED_HOME: path.join(data, 'fresh') });
    assert.equal(JSON.parse(skipped.stdout).totals.interactions, 0);
  } finally {
    rmSync(data, { recursive: true, force: true });
    rmSync(logs, { recursive: true, force: true });
  }
});

test('a price added to the mirrored settings prices history that was stored unpriced', async () => {
  writeFileSync(path.join(home, 'settings.json'), JSON.stringify({ prices: { 'acme-coder-9': { input: 2, output: 8 } } }));
  try {
    const j = JSON.parse((await run(['report', '--json', '--no-scan'])).stdout);
    const acme = j.models.find((m: { model: string }) => m.model === 'acme-coder-9');
    assert.equal(acme.costUSD, 0.0001); // 10 × $2/M + 10 × $8/M
    assert.equal(acme.unpricedInteractions, 0);
    assert.equal(j.totals.unpricedInteractions, 0);
    assert.equal(j.totals.costUSD, 0.4825593);
  } finally {
    rmSync(path.join(home, 'settings.json'));
  }
});
