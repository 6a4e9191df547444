/**
 * `unmetered statusline` as Claude Code runs it: the shipped bundle in a child process, its JSON
 * payload on stdin. The payloads follow Claude Code's status line documentation
 * (https://docs.anthropic.com/en/docs/claude-code/statusline: session_id, transcript_path, cwd,
 * model.id / model.display_name, workspace.current_dir / project_dir, version, cost.total_cost_usd).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLedger } from '../../src/core/ledger';
import { runShipped } from '../helpers/cli';
import { builtFile } from '../helpers/dist';
import { corpus, NOW } from './corpus';

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
