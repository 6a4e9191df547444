/**
 * Zero configuration in a real VS Code: transcripts that Claude Code and Codex already wrote in their
 * default locations (under the test's HOME) are on the status bar after start-up, and a line Claude
 * Code appends while VS Code runs reaches it too. Expected figures are worked by hand from the pinned price
 * table (src/core/pricing/snapshot.json), below.
 */
import { ADAPTERS } from '../../src/core/import';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startVSCode, type VSCodeSession } from './harness';

/*
 * In nano-dollars per token, from the pinned table: claude-sonnet-4-5 input 3,000, cache write (5 min) 3,750,
 * cache read 300, output 15,000; gpt-5-codex input 1,250, cache read 125, output 10,000 (reasoning is output).
 *
 * A Claude Code line here: 4 input, 1,532 cache writes, 48,211 cache reads, then its output:
 *   4 × 3,000 + 1,532 × 3,750 + 48,211 × 300 = 12,000 + 5,745,000 + 14,463,300 = 20,220,300
 *   output 312:   + 312 × 15,000 =   4,680,000 →  24,900,300
 *   output 1000:  + 1,000 × 15,000 = 15,000,000 →  35,220,300
 *   output 5000:  + 5,000 × 15,000 = 75,000,000 →  95,220,300
 * The Codex turn: 9,500 input of which 8,192 cached, 490 output:
 *   1,308 × 1,250 + 8,192 × 125 + 490 × 10,000 = 1,635,000 + 1,024,000 + 4,900,000 = 7,559,000
 * At start-up: 24,900,300 + 35,220,300 + 7,559,000 = 67,679,600 n$ ≈ $0.07.
 * After the appended line: 67,679,600 + 95,220,300 = 162,899,900 n$ ≈ $0.16.
 */
const AT_START = '$0.07';
const AFTER_APPEND = '$0.16';

/** A fixed-offset zone where it is about noon now, so records minutes old are "today". */
function zoneNearNoon(now: number): string {
  const offset = 12 - new Date(now).getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

const now = Date.now();
const iso = (msAgo: number) => new Date(now - msAgo).toISOString();

function claudeLine(id: string, at: string, output: number): string {
  return JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    cwd: '/home/dev/webshop',
    sessionId: 'e2e-session',
    version: '2.0.31',
    type: 'assistant',
    uuid: `u-${id}`,
    timestamp: at,
    requestId: `req_${id}`,
    message: {
      id: `msg_${id}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'Done.' }],
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
}

let vscode: VSCodeSession;
let transcript: string;

before(async () => {
  vscode = await startVSCode({
    settings: { 'unmetered.timezone': zoneNearNoon(now) },
    prepare: (dirs) => {
      const project = path.join(dirs.home, '.claude', 'projects', '-home-dev-webshop');
      mkdirSync(project, { recursive: true });
      transcript = path.join(project, 'e2e-session.jsonl');
      writeFileSync(transcript, [claudeLine('01', iso(30 * 60_000), 312), claudeLine('02', iso(20 * 60_000), 1000)].join('\n') + '\n');
      const day = new Date(now);
      const rollouts = path.join(
        dirs.home,
        '.codex',
        'sessions',
        String(day.getUTCFullYear()),
        String(day.getUTCMonth() + 1).padStart(2, '0'),
        String(day.getUTCDate()).padStart(2, '0'),
      );
      mkdirSync(rollouts, { recursive: true });
      const usage = { input_tokens: 9500, cached_input_tokens: 8192, output_tokens: 490, reasoning_output_tokens: 256, total_tokens: 9990 };
      writeFileSync(
        path.join(rollouts, 'rollout-2026-11-23T10-00-00-019a2d7a-41c4-78b1-b7cc-a45d62a89cd5.jsonl'),
        [
          {
            timestamp: iso(15 * 60_000),
            type: 'session_meta',
            payload: {
              id: '019a2d7a-41c4-78b1-b7cc-a45d62a89cd5',
              cwd: '/home/dev/webshop',
              originator: 'codex_cli_rs',
              cli_version: '0.46.0',
            },
          },
          { timestamp: iso(15 * 60_000 - 10), type: 'turn_context', payload: { cwd: '/home/dev/webshop', model: 'gpt-5-codex' } },
          {
            timestamp: iso(14 * 60_000),
            type: 'event_msg',
            payload: { type: 'token_count', info: { total_token_usage: usage, last_token_usage: usage, model_context_window: 272000 } },
          },
          {
            timestamp: iso(13 * 60_000),
            type: 'event_msg',
            payload: { type: 'token_count', info: { total_token_usage: usage, last_token_usage: usage, model_context_window: 272000 } },
          },
        ]
          .map((o) => JSON.stringify(o))
          .join('\n') + '\n',
      );
    },
  });
});

after(async () => {
  await vscode?.close();
});

test("the agents' existing logs are on the status bar after start-up, with no configuration", async () => {
  const item = await vscode.waitForStatusBarItem(`${AT_START} spent today`, 60_000);
  await vscode.screenshot('agentlogs-first-run');
  assert.ok(item.ariaLabel.includes(`${AT_START} spent today`), item.ariaLabel);
  const tooltip = await vscode.hoverStatusBarItem(AT_START);
  // The hover sums the agent logs up in one line; where they were found is one click away.
  const others = ADAPTERS.length - 2; // every agent Unmetered reads but these two
  assert.ok(
    tooltip.includes(`Agent logs: Claude Code (2 interactions), Codex (1 interaction) · ${others} other agents not found`),
    tooltip,
  );
  assert.doesNotMatch(tooltip, /~\/\.claude/, 'no paths in the hover');
  await vscode.runCommand('Unmetered: Show Agent Logs Read');
  const rows = vscode.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await rows.filter({ hasText: 'Codex' }).first().waitFor({ timeout: 15_000 });
  const text = (await rows.allInnerTexts()).join('\n');
  await vscode.screenshot('agentlogs-show-sources');
  assert.match(text, /Claude Code: 1 file, 2 interactions \(~\/\.claude\/projects\)/);
  assert.match(text, /Codex: 1 file, 1 interaction/);
  assert.match(text, /Gemini CLI[\s\S]*no logs found/);
  await vscode.page.keyboard.press('Escape');
});

test('a line Claude Code appends while VS Code runs reaches the status bar', async () => {
  await vscode.waitForStatusBarItem(`${AT_START} spent today`);
  const t0 = Date.now();
  appendFileSync(transcript, claudeLine('03', new Date().toISOString(), 5000) + '\n');
  await vscode.waitForStatusBarItem(`${AFTER_APPEND} spent today`, 30_000);
  process.stderr.write(`[e2e] appended transcript line on the status bar after ${Date.now() - t0} ms (target: within a second)\n`);
  await vscode.screenshot('agentlogs-live-line');
});
