import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtFile } from '../helpers/dist';

// What each command loads, as shipped (issue 12): a shell prompt or status line runs `unmetered` a
// hundred times a day, so a command parses only its own code. A preloaded script lists, at exit,
// every file Node's CommonJS loader read; the bundles are CommonJS, so that is every chunk.
const cli = builtFile('cli.js');

/**
 * Runs the CLI with a preloaded script whose exit handler prints `MARK <json>` on stderr (the json from
 * `expr`, an expression over the process at exit), and returns that json (or, given `stdout`, what it makes of the output).
 */
function atExit(expr: string, args: string[], logs: string, home: string, stdout?: (out: string) => unknown): unknown {
  const hook = path.join(home, 'at-exit.cjs');
  writeFileSync(hook, `process.on('exit', () => process.stderr.write('\\nMARK ' + JSON.stringify(${expr}) + '\\n'));\n`);
  const r = spawnSync(process.execPath, ['-r', hook, cli, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: logs, UNMETERED_HOME: home, CLAUDE_CONFIG_DIR: path.join(logs, 'claude'), UNMETERED_TZ: 'UTC' },
    timeout: 20_000,
  });
  assert.equal(r.status, 0, r.stderr);
  if (stdout) return stdout(r.stdout);
  const line = r.stderr.split('\n').find((l) => l.startsWith('MARK '));
  assert.ok(line, r.stderr);
  return JSON.parse(line.slice(5));
}

/** The files Node's CommonJS loader read (the bundles are CommonJS: every chunk). */
const loaded = (args: string[], logs: string, home: string) =>
  (atExit("Object.keys(require.cache).map((f) => require('path').basename(f))", args, logs, home) as string[])
    .filter((f) => f !== 'at-exit.cjs')
    .sort();

/**
 * Which of the modules a re-run need not load did load: Node's built-ins by its own list, and the bundled
 * write-file-atomic by the emitter its signal-exit puts on the global object when it loads.
 */
const costly = (args: string[], logs: string, home: string) =>
  atExit(
    "['crypto', 'worker_threads'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m))" +
      ".concat(Symbol.for('signal-exit emitter') in globalThis ? ['write-file-atomic'] : [])",
    args,
    logs,
    home,
  ) as string[];

/** One Claude Code session with one assistant line (of `inputTokens` input tokens), under <logs>/claude/projects. */
function writeClaudeLog(logs: string, inputTokens = 10): void {
  const dir = path.join(logs, 'claude', 'projects', '-home-dev-acme');
  mkdirSync(dir, { recursive: true });
  const line = {
    type: 'assistant',
    cwd: '/home/dev/acme',
    sessionId: 's1',
    timestamp: '2026-11-23T10:00:00.000Z',
    message: { id: 'msg_1', model: 'claude-sonnet-4-5', usage: { input_tokens: inputTokens, output_tokens: 20 } },
  };
  writeFileSync(path.join(dir, 's1.jsonl'), JSON.stringify(line) + '\n');
}

describe('start-up loads only what the command uses', { timeout: 60_000 }, () => {
  test('--version and --help load the start-up chunk alone', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-startup-'));
    try {
      assert.deepEqual(loaded(['--version'], home, home), ['cli.js']);
      assert.deepEqual(loaded(['--help'], home, home), ['cli.js']);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('status, with a Claude Code log to import, loads its own chunk and no tokenizer, SQLite, protobuf or other command', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-startup-'));
    const logs = mkdtempSync(path.join(os.tmpdir(), 'unmetered-startup-logs-'));
    try {
      writeClaudeLog(logs);
      assert.deepEqual(loaded(['status', '--json'], logs, home), ['cli-status.js', 'cli.js']);
      assert.deepEqual(loaded(['daily', '--json', '--no-scan'], logs, home), ['cli-views.js', 'cli.js']);
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(logs, { recursive: true, force: true });
    }
  });

  test('a re-run, with nothing new or with a line appended, loads neither node:crypto, worker threads nor write-file-atomic', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-startup-'));
    const logs = mkdtempSync(path.join(os.tmpdir(), 'unmetered-startup-logs-'));
    try {
      writeClaudeLog(logs);
      // A first import starts worker threads, and looks for a rollup file an older version named by a sha1.
      assert.deepEqual(costly(['daily', '--json'], logs, home), ['crypto', 'worker_threads']);
      assert.deepEqual(costly(['daily', '--json'], logs, home), []);
      // One more line: its offsets, the quick check and the rollup are saved again, the ledger's segment hashed.
      const log = path.join(logs, 'claude', 'projects', '-home-dev-acme', 's1.jsonl');
      const next = JSON.parse(readFileSync(log, 'utf8')) as { message: { id: string } };
      next.message.id = 'msg_2';
      appendFileSync(log, JSON.stringify(next) + '\n');
      assert.deepEqual(costly(['daily', '--json'], logs, home), []);
      const interactions = atExit('0', ['daily', '--json', '--no-scan'], logs, home, (out) => JSON.parse(out).totals.interactions);
      assert.equal(interactions, 2, 'the appended line was imported');
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(logs, { recursive: true, force: true });
    }
  });
  test('status and statusline, after the first run, with sums of $10 and more, never start Intl', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-startup-'));
    const logs = mkdtempSync(path.join(os.tmpdir(), 'unmetered-startup-logs-'));
    try {
      // Intl's first use costs a command 20–50 ms here (ICU's data and a formatter): a hook records every way in.
      const hook = path.join(home, 'intl.cjs');
      writeFileSync(
        hook,
        [
          'const used = new Set();',
          "for (const [o, name] of [[Number.prototype, 'Number'], [Date.prototype, 'Date'], [BigInt.prototype, 'BigInt']])",
          "  for (const key of ['toLocaleString', 'toLocaleDateString', 'toLocaleTimeString']) {",
          '    const f = o[key];',
          '    if (typeof f === "function") o[key] = function (...a) { used.add(`${name}#${key}`); return f.apply(this, a); };',
          '  }',
          "for (const k of ['NumberFormat', 'DateTimeFormat', 'PluralRules', 'Collator', 'RelativeTimeFormat', 'ListFormat', 'Segmenter'])",
          '  Intl[k] = new Proxy(Intl[k], {',
          '    construct: (t, a, n) => (used.add(`Intl.${k}`), Reflect.construct(t, a, n)),',
          '    apply: (t, self, a) => (used.add(`Intl.${k}`), Reflect.apply(t, self, a)),',
          '  });',
          "process.on('exit', () => process.stderr.write('\\nMARK ' + JSON.stringify([...used]) + '\\n'));",
          '',
        ].join('\n'),
      );
      // 5 million input tokens of Sonnet 4.5 today: $15 or more, so the projection is shown in whole dollars.
      writeClaudeLog(logs, 5_000_000);
      const env = {
        PATH: process.env.PATH,
        HOME: logs,
        UNMETERED_HOME: home,
        CLAUDE_CONFIG_DIR: path.join(logs, 'claude'),
        UNMETERED_TZ: 'UTC',
        UNMETERED_NOW: '2026-11-23T12:00:00.000Z',
      };
      const run = (args: string[], input?: string) => {
        const r = spawnSync(process.execPath, ['-r', hook, cli, ...args], { encoding: 'utf8', env, input, timeout: 20_000 });
        assert.equal(r.status, 0, r.stderr);
        const mark = r.stderr.split('\n').find((l) => l.startsWith('MARK '));
        assert.ok(mark, r.stderr);
        return { out: r.stdout, intl: JSON.parse(mark.slice(5)) as string[] };
      };
      // The first run asks Intl once for the machine's zone and keeps it (cache/zone.json); every run after it, not at all.
      run(['status']);
      const status = run(['status']);
      assert.match(status.out, /Projected month\s+\$\d{2,}\s/, status.out);
      assert.deepEqual(status.intl, [], `status: ${status.out}`);
      const payload = JSON.stringify({ session_id: 's1', model: { display_name: 'Sonnet' }, cost: { total_cost_usd: 12.5 } });
      const line1 = run(['statusline'], payload);
      assert.match(line1.out, /today \$\d{2,}\.\d\d/, line1.out);
      assert.deepEqual(line1.intl, [], `statusline: ${line1.out}`);
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(logs, { recursive: true, force: true });
    }
  });

  test('stderr sent to /dev/null (`unmetered daily --json 2>/dev/null`, as in a prompt) is told from a terminal without loading node:tty', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-startup-'));
    const logs = mkdtempSync(path.join(os.tmpdir(), 'unmetered-startup-logs-'));
    const devNull = openSync('/dev/null', 'w');
    try {
      writeClaudeLog(logs);
      // The hook writes to a file: stderr goes nowhere. The import asks whether stderr is a terminal (its progress line).
      const mark = path.join(home, 'mark.json');
      const hook = path.join(home, 'at-exit.cjs');
      const expr = 'process.moduleLoadList.filter((m) => /^NativeModule (tty|net)$/.test(m))';
      writeFileSync(hook, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(mark)}, JSON.stringify(${expr})));\n`);
      const r = spawnSync(process.execPath, ['-r', hook, cli, 'daily', '--json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', devNull],
        env: {
          PATH: process.env.PATH,
          HOME: logs,
          UNMETERED_HOME: home,
          CLAUDE_CONFIG_DIR: path.join(logs, 'claude'),
          UNMETERED_TZ: 'UTC',
        },
        timeout: 20_000,
      });
      assert.equal(r.status, 0);
      assert.equal(JSON.parse(r.stdout).totals.interactions, 1);
      assert.deepEqual(JSON.parse(readFileSync(mark, 'utf8')), []);
    } finally {
      closeSync(devNull);
      rmSync(home, { recursive: true, force: true });
      rmSync(logs, { recursive: true, force: true });
    }
  });
});
