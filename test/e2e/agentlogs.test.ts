/**
 * Zero configuration in a real VS Code: transcripts that Claude Code and Codex already wrote in their
 * default locations (under the test's HOME) are on the status bar after start-up, and a line Claude
 * Code appends while VS Code runs reaches it too. Expected figures come from the same core pricing.
 */
import { ADAPTERS } from '../../src/core/import';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tokens, type Tokens } from '../../src/core/interaction';
import { formatUSD } from '../../src/core/money';
import { costOf, loadPriceTable } from '../../src/core/pricing';
import { startVSCode, type VSCodeSession } from './harness';

const prices = loadPriceTable();
const price = (model: string, t: Partial<Tokens>) => costOf(tokens(t), prices.lookup(model)!.price);

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
const claudeTokens = (output: number) => ({ input: 4, cacheWrite5m: 1532, cacheRead: 48211, output });

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

const codexCost = price('gpt-5-codex', { input: 9500 - 8192, cacheRead: 8192, output: 490, reasoning: 256 });

test("the agents' existing logs are on the status bar after start-up, with no configuration", async () => {
  const today = price('claude-sonnet-4-5', claudeTokens(312)) + price('claude-sonnet-4-5', claudeTokens(1000)) + codexCost;
  const item = await vscode.waitForStatusBarItem(`${formatUSD(today)} spent today`, 60_000);
  await vscode.screenshot('agentlogs-first-run');
  assert.match(item.ariaLabel, new RegExp(`${formatUSD(today).replace(/[$.]/g, '\\$&')} spent today`));
  const tooltip = await vscode.hoverStatusBarItem(formatUSD(today));
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
  const before = price('claude-sonnet-4-5', claudeTokens(312)) + price('claude-sonnet-4-5', claudeTokens(1000)) + codexCost;
  await vscode.waitForStatusBarItem(`${formatUSD(before)} spent today`);
  const after = before + price('claude-sonnet-4-5', claudeTokens(5000));
  const t0 = Date.now();
  appendFileSync(transcript, claudeLine('03', new Date().toISOString(), 5000) + '\n');
  await vscode.waitForStatusBarItem(`${formatUSD(after)} spent today`, 30_000);
  process.stderr.write(`[e2e] appended transcript line on the status bar after ${Date.now() - t0} ms (target: within a second)\n`);
  await vscode.screenshot('agentlogs-live-line');
});
