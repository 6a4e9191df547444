/**
 * The one-click switch in a real VS Code (code-server + headless Chromium), driven as a person drives it:
 * the status bar menu, the local and cloud routes through the extension's own gateway, routing the agents
 * (terminals, the Claude Code extension setting, a Codex profile) and undoing it, the walkthrough, and an
 * Ollama that is not running. Ollama and Anthropic are loopback fakes speaking their documented wire
 * formats; requests reach the gateway from this process exactly as an agent's would. Expected money is worked
 * out by hand from the list prices, never by the pricing or the meter under test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tokens, type Interaction, type Tokens } from '../../src/core/interaction';
import { openLedger, type Ledger } from '../../src/core/ledger';
import { startFakeAnthropic, startFakeOllama, type FakeOllama, type FakeServer } from '../helpers/fake-vendors';
import { freePort, ROOT, startVSCode, type StatusBarItem, type VSCodeSession } from './harness';

const TIME_ZONE = 'UTC';
const API_KEY = 'sk-ant-e2e-5d0c3b7f1e';
const CLOUD_MODEL = 'claude-sonnet-4-5';
const LOCAL_MODEL = 'qwen3-coder:30b';
/** The user's own Codex config: Unmetered's profile goes beside it and its undo must leave it as it was. */
const CODEX_CONFIG = 'model = "gpt-5-codex"\n\n[profiles.work]\nmodel = "gpt-5"\n';
/** An entry the user already has in the Claude Code extension's setting: routing keeps it. */
const USER_CLAUDE_ENV = { name: 'CLAUDE_CODE_MAX_OUTPUT_TOKENS', value: '32000' };

/**
 * A stand-in for the Claude Code extension that only declares its `claudeCode.environmentVariables`
 * setting (VS Code writes only declared settings), packaged with the project's own vsce.
 */
async function packageClaudeCodeStandIn(dir: string): Promise<string> {
  const src = path.join(dir, 'claude-code');
  await mkdir(src, { recursive: true });
  await writeFile(
    path.join(src, 'package.json'),
    JSON.stringify({
      name: 'claude-code',
      publisher: 'anthropic',
      displayName: 'Claude Code (e2e stand-in)',
      description: "Declares the Claude Code extension's environment setting for the Unmetered end-to-end test.",
      version: '0.0.1',
      engines: { vscode: '^1.90.0' },
      contributes: {
        configuration: {
          title: 'Claude Code',
          properties: {
            'claudeCode.environmentVariables': { type: 'array', default: [], description: 'Environment variables for Claude Code.' },
          },
        },
      },
    }),
  );
  await writeFile(path.join(src, 'README.md'), '# Claude Code stand-in\n');
  const out = path.join(dir, 'claude-code.vsix');
  const r = spawnSync(
    path.join(ROOT, 'node_modules', '.bin', 'vsce'),
    ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out],
    { cwd: src, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`vsce package (Claude Code stand-in) failed: ${r.stdout}\n${r.stderr}`);
  return out;
}

let ollama: FakeOllama;
let anthropic: FakeServer;
let vscode: VSCodeSession;
let ledger: Ledger;
let gatewayPort: number;
let scratch: string;
/** The gateway as first seen: switching must not restart it. */
let startedGateway: { pid: number; startedAt: string };
let claudeCodeVsix: string;

before(async () => {
  ollama = await startFakeOllama({
    models: [
      {
        name: LOCAL_MODEL,
        family: 'qwen3moe',
        parameterSize: '30.5B',
        quantization: 'Q4_K_M',
        size: 18_556_699_910,
        contextLength: 262_144,
        capabilities: ['completion', 'tools'],
        loadedContext: 65_536,
      },
      {
        name: 'gpt-oss:20b',
        family: 'gptoss',
        parameterSize: '20.9B',
        quantization: 'MXFP4',
        size: 13_780_173_839,
        contextLength: 131_072,
        capabilities: ['completion', 'tools', 'thinking'],
      },
    ],
  });
  anthropic = await startFakeAnthropic();
  gatewayPort = await freePort();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'unmetered-switch-'));
  claudeCodeVsix = await packageClaudeCodeStandIn(scratch);
  vscode = await startVSCode({
    settings: {
      'unmetered.ollama.host': ollama.url,
      'unmetered.gateway.port': gatewayPort,
      // This suite talks to the gateway as an agent pointed at it by hand would, from the first request on
      // (test/e2e/look.test.ts checks that by default nothing listens while nothing is routed).
      'unmetered.gateway.listen': 'always',
      'unmetered.gateway.anthropicUpstream': anthropic.url,
      'unmetered.timezone': TIME_ZONE,
      'claudeCode.environmentVariables': [USER_CLAUDE_ENV],
    },
    prepare: async (dirs) => {
      await mkdir(path.join(dirs.home, '.codex'), { recursive: true });
      await writeFile(path.join(dirs.home, '.codex', 'config.toml'), CODEX_CONFIG);
    },
    // The routing writes to CODEX_HOME when set: keep it in the temp HOME whatever the caller has.
    env: { CODEX_HOME: '' },
  });
  ledger = await openLedger({ dir: vscode.dirs.unmeteredHome });
});

after(async () => {
  await ledger?.close();
  await vscode?.close();
  await ollama?.close();
  await anthropic?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const page = () => vscode.page;
const gatewayUrl = () => `http://127.0.0.1:${gatewayPort}`;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as T;
    await new Promise((r) => setTimeout(r, 200));
  }
  // What the window showed is the quickest clue to why.
  const shot = await vscode?.screenshot(`switch-failure-${what.slice(0, 40)}`).catch(() => '');
  throw new Error(
    `timed out waiting for ${what}; last seen: ${JSON.stringify(last)}` +
      `; notifications: ${JSON.stringify(await notifications().catch(() => []))}; screenshot: ${shot}`,
  );
}

/**
 * The rows of the open quick pick as shown: label with codicons as `$(name)`, description, detail, and
 * whether its checkbox is ticked. A string, not a function: see READ_STATUS_BAR in the harness.
 */
const READ_QUICK_PICK = `(() => {
  const textOf = (n) => {
    if (n.nodeType === Node.TEXT_NODE) return n.textContent ?? '';
    if (!(n instanceof HTMLElement)) return '';
    const icon = n.classList.contains('codicon') && [...n.classList].find((c) => c.startsWith('codicon-') && c !== 'codicon-modifier-spin');
    return (icon ? '$(' + icon.slice(8) + ')' : '') + [...n.childNodes].map(textOf).join('');
  };
  const widget = document.querySelector('.quick-input-widget');
  if (!widget || widget.offsetParent === null && getComputedStyle(widget).display === 'none') return null;
  const part = (row, sel) => { const e = row.querySelector(sel); return e ? textOf(e).replace(/\\s+/g, ' ').trim() : ''; };
  return {
    title: (widget.querySelector('.quick-input-title')?.textContent ?? '').trim(),
    rows: [...widget.querySelectorAll('.quick-input-list .monaco-list-row')].filter((e) => e.offsetParent !== null).map((row) => ({
      label: part(row, '.quick-input-list-rows .label-name, .monaco-icon-label .label-name'),
      description: part(row, '.label-description'),
      detail: part(row, '.quick-input-list-label-meta .label-name, .quick-input-list-row .quick-input-list-label-meta'),
      checked: row.getAttribute('aria-checked'),
      aria: row.getAttribute('aria-label') ?? '',
    })),
  };
})()`;

interface QuickPickRow {
  label: string;
  description: string;
  detail: string;
  checked: string | null;
  aria: string;
}

async function quickPick(): Promise<{ title: string; rows: QuickPickRow[] } | null> {
  return (await page().evaluate(READ_QUICK_PICK)) as { title: string; rows: QuickPickRow[] } | null;
}

/** Clicks the Unmetered status bar item, as a person does, and returns the menu once its rows are in. */
async function openMenu(): Promise<QuickPickRow[]> {
  await page().keyboard.press('Escape');
  // Found by its accessibility label: the bar's text has figures only.
  await page().locator('.part.statusbar .statusbar-item:has([aria-label*="spent today"])').first().click();
  const menu = await waitFor('the Unmetered menu', async () => {
    const q = await quickPick();
    return q && q.title === 'Unmetered' && q.rows.some((r) => r.label.includes('Cloud (metered)')) ? q : undefined;
  });
  return menu.rows;
}

async function pickRow(text: string): Promise<void> {
  await page().locator('.quick-input-widget .monaco-list-row:visible', { hasText: text }).first().click();
}

async function notifications(): Promise<string[]> {
  return page().evaluate(
    `[...document.querySelectorAll('.notifications-toasts .notification-list-item-message')].map((e) => (e.textContent || '').trim())`,
  ) as Promise<string[]>;
}

async function clearNotifications(): Promise<void> {
  await vscode.runCommand('Notifications: Clear All Notifications');
  await waitFor('no notification toasts', async () => (await notifications()).length === 0, 10_000);
}

async function meterItem(match: RegExp | string): Promise<StatusBarItem> {
  return vscode.waitForStatusBarItem(match, 30_000);
}

/** What the extension should record, with its money worked out by hand (never by the pricing under test). */
function expectedInteraction(p: {
  id: string;
  model: string;
  route: 'cloud' | 'local';
  replaces: string | null;
  t: Partial<Tokens>;
  costNanos: number;
  avoidedNanos: number | null;
}): Interaction {
  return {
    id: p.id,
    at: new Date().toISOString(),
    agent: 'claude-code',
    source: 'gateway',
    project: null,
    model: p.model,
    route: p.route,
    replaces: p.replaces,
    tokens: tokens(p.t),
    costNanos: p.costNanos,
    avoidedNanos: p.avoidedNanos,
    priceSource: null,
    estimated: false,
  };
}

/** A streamed Messages request as Claude Code sends it (through ANTHROPIC_BASE_URL), read to the end. */
async function askGateway(prompt: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`${gatewayUrl()}/v1/messages?beta=true`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'x-api-key': API_KEY,
      'user-agent': 'claude-cli/2.0.14 (external, cli)',
    },
    body: JSON.stringify({ model: CLOUD_MODEL, max_tokens: 1024, stream: true, messages: [{ role: 'user', content: prompt }] }),
  });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

async function recorded(id: string): Promise<Interaction> {
  return waitFor(`the ledger record ${id}`, async () => {
    await ledger.refresh();
    return ledger.records().find((r) => r.id === id);
  });
}

test('clicking the status bar item opens the menu: Cloud (metered), Local: <model> per installed model, Pull, Route my agents', async () => {
  // The first paint after the window opens: the extension's activation took over 30 s at a load average of 15 on
  // 2 cores (under 2 s idle), so this first wait is bounded at 90 s; later ones keep meterItem's 30 s.
  const item = await vscode.waitForStatusBarItem(' today', 90_000);
  assert.ok(item.text.startsWith('$(cloud) '), `the cloud route shows at a glance: ${item.text}`);
  assert.match(item.ariaLabel, /route cloud/);
  // The gateway runs in the editor on the configured port.
  const health = await waitFor('the gateway health endpoint', async () => {
    const r = await fetch(`${gatewayUrl()}/unmetered/health`).catch(() => null);
    return r?.ok ? ((await r.json()) as { service: string; route: string; pid: number; startedAt: string }) : undefined;
  });
  assert.deepEqual([health.service, health.route], ['unmetered-gateway', 'cloud']);
  startedGateway = { pid: health.pid, startedAt: health.startedAt };

  const rows = await openMenu();
  await vscode.screenshot('switch-menu');
  const labels = rows.filter((r) => r.label).map((r) => r.label);
  const route = labels.slice(0, 6);
  assert.deepEqual(
    route,
    [
      '$(check) $(cloud) Cloud (metered)',
      `$(vm) Local: ${LOCAL_MODEL} (Ollama)`,
      '$(vm) Local: gpt-oss:20b (Ollama)',
      '$(cloud-download) Pull a model…',
      '$(plug) Route my agents through Unmetered…',
      '$(list-unordered) Show what is routed (and undo)…',
    ],
    JSON.stringify(rows, null, 1),
  );
  const local = rows.find((r) => r.label.includes(`Local: ${LOCAL_MODEL}`))!;
  assert.equal(local.description, '30.5B · Q4_K_M · 18 GB');
  await page().keyboard.press('Escape');
});

test('picking "Local: qwen3-coder:30b" switches the next request to Ollama and counts the avoided cloud spend', async () => {
  await openMenu();
  await pickRow(`Local: ${LOCAL_MODEL}`);
  const item = await meterItem(/^\$\(vm\) /);
  assert.match(item.ariaLabel, new RegExp(`route local: ${LOCAL_MODEL.replace(/[.:]/g, '\\$&')}`));
  const settings = await waitFor('route and model in the user settings', async () => {
    const s = await vscode.readUserSettings();
    return s['unmetered.route'] === 'local' ? s : undefined;
  });
  assert.equal(settings['unmetered.localModel'], LOCAL_MODEL);

  const usage = { input_tokens: 120_000, output_tokens: 4_000 };
  ollama.next({ id: 'msg_e2e_local_1', text: 'served locally', usage });
  const before = ollama.requests.length;
  const res = await askGateway('Explain this repository');
  assert.equal(res.status, 200, res.body.toString());
  assert.match(res.body.toString(), /event: message_stop/);
  assert.match(res.body.toString(), /served/);
  const sent = ollama.requests.slice(before).filter((r) => r.path.startsWith('/v1/messages'));
  assert.equal(sent.length, 1, 'Ollama got the request');
  assert.equal(sent[0].json.model, LOCAL_MODEL, 'the requested model is mapped to the chosen local model');
  assert.deepEqual(sent[0].json.messages, [{ role: 'user', content: 'Explain this repository' }]);
  assert.equal(sent[0].headers['x-api-key'], undefined, 'the cloud key is not handed to Ollama');
  assert.equal(anthropic.requests.length, 0, 'nothing reached the cloud');

  const want = expectedInteraction({
    id: 'anthropic:msg_e2e_local_1',
    model: LOCAL_MODEL,
    route: 'local',
    replaces: CLOUD_MODEL,
    t: { input: usage.input_tokens, output: usage.output_tokens },
    // Free here; avoided at claude-sonnet-4-5's $3 / $15 per million: 120,000 × 3,000 + 4,000 × 15,000 nanos
    //   = 360,000,000 + 60,000,000 = 420,000,000 ($0.42).
    costNanos: 0,
    avoidedNanos: 420_000_000,
  });
  const got = await recorded(want.id);
  assert.deepEqual(
    {
      model: got.model,
      route: got.route,
      replaces: got.replaces,
      tokens: got.tokens,
      costNanos: got.costNanos,
      avoidedNanos: got.avoidedNanos,
      agent: got.agent,
    },
    {
      model: want.model,
      route: want.route,
      replaces: want.replaces,
      tokens: want.tokens,
      costNanos: want.costNanos,
      avoidedNanos: want.avoidedNanos,
      agent: want.agent,
    },
  );
  const shown = await meterItem('$0.00 · $0.42 saved');
  await vscode.screenshot('switch-local');
  assert.ok(shown.text.startsWith('$(vm) '), shown.text);
  assert.ok(shown.text.includes('$0.42 saved'), shown.text);
});

test('picking "Cloud (metered)" sends the next request to the vendor with the client\'s key, metered as cloud spend', async () => {
  const rows = await openMenu();
  assert.ok(
    rows.some((r) => r.label === `$(check) $(vm) Local: ${LOCAL_MODEL} (Ollama)`),
    'the menu marks the current route',
  );
  await pickRow('Cloud (metered)');
  const item = await meterItem(/^\$\(cloud\) /);
  assert.match(item.ariaLabel, /route cloud/);
  await waitFor('route cloud in the user settings', async () => (await vscode.readUserSettings())['unmetered.route'] === 'cloud');

  const usage = { input_tokens: 50_000, output_tokens: 2_000, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  anthropic.next({ id: 'msg_e2e_cloud_1', text: 'served by the cloud', usage });
  const ollamaBefore = ollama.requests.filter((r) => r.path.startsWith('/v1/')).length;
  const res = await askGateway('Now the tests');
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(anthropic.requests.length, 1, 'the vendor got the request');
  const sent = anthropic.requests[0];
  assert.equal(sent.path, '/v1/messages?beta=true');
  assert.equal(sent.headers['x-api-key'], API_KEY, "the client's key passes through");
  assert.equal(sent.json.model, CLOUD_MODEL);
  assert.ok(res.body.equals(anthropic.responses[0]), 'the stream reaches the client byte for byte');
  assert.equal(ollama.requests.filter((r) => r.path.startsWith('/v1/')).length, ollamaBefore, 'Ollama got nothing');

  const want = expectedInteraction({
    id: 'anthropic:msg_e2e_cloud_1',
    model: CLOUD_MODEL,
    route: 'cloud',
    replaces: null,
    t: { input: usage.input_tokens, output: usage.output_tokens },
    // claude-sonnet-4-5, $3 / $15 per million: 50,000 × 3,000 + 2,000 × 15,000 = 150,000,000 + 30,000,000 nanos ($0.18).
    costNanos: 180_000_000,
    avoidedNanos: null,
  });
  const got = await recorded(want.id);
  assert.deepEqual([got.route, got.model, got.costNanos, got.avoidedNanos], [want.route, want.model, want.costNanos, want.avoidedNanos]);
  // Today: $0.18 spent in the cloud, $0.42 saved by the local request before.
  const shown = await meterItem('$0.18 · $0.42 saved');
  await vscode.screenshot('switch-cloud');
  assert.ok(shown.text.startsWith('$(cloud) '), shown.text);
  // Both switches took effect on the next request with nothing restarted.
  const health = (await (await fetch(`${gatewayUrl()}/unmetered/health`)).json()) as { pid: number; startedAt: string; route: string };
  assert.deepEqual({ pid: health.pid, startedAt: health.startedAt, route: health.route }, { ...startedGateway, route: 'cloud' });

  // The key went to the vendor and nowhere else.
  assert.ok(!JSON.stringify(await vscode.readUserSettings()).includes(API_KEY));
  await ledger.refresh();
  assert.ok(!JSON.stringify(ledger.records()).includes(API_KEY));
});

/** The text of each notification toast now shown, with its buttons. */
async function toasts(): Promise<string[]> {
  return page().evaluate(
    `[...document.querySelectorAll('.notifications-toasts .notification-list-item')].map((e) => (e.textContent || '').replace(/\\s+/g, ' ').trim())`,
  ) as Promise<string[]>;
}

/**
 * Clicks a button of a notification toast. The status bar item keeps the focus after its menu closes and
 * shows its hover over the toasts while focused: focus the editor area first, as a person's click would.
 */
async function clickToastButton(toast: string, button: string): Promise<void> {
  await page().mouse.click(700, 300);
  await page().locator('.context-view .rendered-markdown').waitFor({ state: 'hidden', timeout: 5_000 });
  await page().locator('.notifications-toasts .notification-list-item', { hasText: toast }).getByRole('button', { name: button }).click();
}

test('"Pull a model…" shows cancellable progress per layer; a cancelled pull changes no setting, a finished one is offered and used', async () => {
  // A cancelled pull first: nothing of it may land in the settings.
  ollama.pullScript = { layers: [4_000_000_000, 12_000], steps: 40, delayMs: 150 };
  await clearNotifications();
  await openMenu();
  await pickRow('Pull a model…');
  await vscode.answerInputBox('devstral:24b', 'pull which model');
  const progress = await waitFor('the pull progress', async () =>
    (await toasts()).find((t) => t.includes('Pulling devstral:24b') && /layer \w{12}: [\d.]+ [KMG]?B of 4 GB \([1-9]\d*%\)/.test(t)),
  );
  await vscode.screenshot('switch-pull-progress');
  assert.match(progress, /overall [1-9]\d*%/, 'the whole pull advances too');
  const settingsBefore = await vscode.readUserSettings();
  await clickToastButton('Pulling devstral:24b', 'Cancel');
  const pull = ollama.requests.filter((r) => r.path === '/api/pull').at(-1)!;
  assert.equal(pull.json.model ?? pull.json.name, 'devstral:24b'); // ollama-js 0.6 still sends the older `name`
  await waitFor('the pull request aborted at Ollama', async () => (await ollama.settled(ollama.requests.indexOf(pull))).aborted);
  await vscode.waitForStatusBarItem('pulling devstral:24b was cancelled', 15_000);
  assert.deepEqual(await vscode.readUserSettings(), settingsBefore, 'a cancelled pull changes no setting');
  assert.ok(!ollama.models.some((m) => m.name === 'devstral:24b'));

  // Then one that finishes: offered at once, and used with one click.
  // Devstral calls tools and has a 128k window, so the local route offers it once pulled.
  ollama.pullScript = {
    layers: [1_500_000, 20_000],
    steps: 4,
    delayMs: 100,
    model: { family: 'mistral3', contextLength: 131_072, capabilities: ['completion', 'tools'] },
  };
  await clearNotifications();
  await openMenu();
  await pickRow('Pull a model…');
  await vscode.answerInputBox('devstral:24b', 'pull which model');
  await waitForNotification('devstral:24b is ready in Ollama.');
  await clickToastButton('devstral:24b is ready in Ollama.', 'Use it now');
  const item = await meterItem(/^\$\(vm\) /);
  assert.match(item.ariaLabel, /route local: devstral:24b/);
  await waitFor('the pulled model in the user settings', async () => {
    const s = await vscode.readUserSettings();
    return s['unmetered.route'] === 'local' && s['unmetered.localModel'] === 'devstral:24b';
  });
  const rows = await openMenu();
  assert.ok(
    rows.some((r) => r.label === '$(check) $(vm) Local: devstral:24b (Ollama)'),
    JSON.stringify(rows.map((r) => r.label)),
  );
  await page().keyboard.press('Escape');

  // Back to the cloud from the command palette.
  await vscode.runCommand('Unmetered: Use Cloud Models (Metered)');
  await meterItem(/^\$\(cloud\) /);
  await waitFor('route cloud in the user settings', async () => (await vscode.readUserSettings())['unmetered.route'] === 'cloud');
});

/** Opens a new integrated terminal and returns what `$ANTHROPIC_BASE_URL` is in it. */
async function baseUrlInNewTerminal(name: string): Promise<string> {
  const out = path.join(vscode.dirs.root, `${name}.txt`);
  await rm(out, { force: true });
  await vscode.runCommand('Terminal: Create New Terminal');
  const xterm = page().locator('.terminal-wrapper.active .xterm').last();
  await xterm.waitFor({ timeout: 30_000 });
  await xterm.click();
  await page().keyboard.type(`echo "[$ANTHROPIC_BASE_URL]" > '${out}'`);
  await page().keyboard.press('Enter');
  const text = await waitFor(`the terminal's echo into ${out}`, () => readFile(out, 'utf8').catch(() => undefined));
  return text.trim();
}

async function waitForNotification(prefix: string): Promise<string> {
  return waitFor(`a notification "${prefix}…"`, async () => (await notifications()).find((n) => n.startsWith(prefix)));
}

/** Opens "Route my agents through Unmetered…" from the status bar menu and returns its choices. */
async function openRouteChoice(): Promise<QuickPickRow[]> {
  await openMenu();
  await pickRow('Route my agents through Unmetered…');
  const q = await waitFor('the agents to route', async () => {
    const p = await quickPick();
    return p?.title.includes('route which agents') ? p : undefined;
  });
  return q.rows;
}

/** Answers the modal confirmation: returns what it said after pressing `button`. */
async function answerDialog(button: string, screenshot: string): Promise<string> {
  const dialog = page().locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 30_000 });
  const said = await dialog.innerText();
  await vscode.screenshot(screenshot);
  await dialog.getByRole('button', { name: button }).click();
  await dialog.waitFor({ state: 'detached', timeout: 30_000 });
  return said;
}

const codexFile = () => path.join(vscode.dirs.home, '.codex', 'config.toml');

test(
  '"Route my agents through Unmetered…" without the Claude Code extension: new terminals and, on' +
    ' confirmation, a Codex profile; Undo removes only what it wrote',
  async () => {
    await clearNotifications();
    const rows = await openRouteChoice();
    const labels = rows.map((r) => r.label);
    assert.deepEqual(
      labels,
      ['Claude Code in new terminals', `Codex: a profile "unmetered" in ${codexFile()}`, 'Codex: copy the command-line flag'],
      'the Claude Code extension is not offered when it is not installed',
    );
    assert.equal(rows[0].description, `ANTHROPIC_BASE_URL=${gatewayUrl()}`);
    assert.deepEqual(
      rows.map((r) => r.checked),
      ['true', 'false', 'false'],
    );
    assert.equal(rows[2].description, `-c openai_base_url="${gatewayUrl()}/v1"`);
    // A Codex user also ticks the profile, then confirms.
    await page()
      .locator('.quick-input-widget .monaco-list-row:visible', { hasText: 'Codex: a profile' })
      .locator('.monaco-checkbox, .quick-input-list-checkbox, input[type=checkbox]')
      .first()
      .click();
    await waitFor(
      'the Codex profile ticked',
      async () => (await quickPick())?.rows.find((r) => r.label.startsWith('Codex: a profile'))?.checked === 'true',
    );
    await vscode.screenshot('switch-route-choice');
    await page().locator('.quick-input-widget .quick-input-box input').press('Enter');

    const said = await answerDialog('Write', 'switch-route-confirm');
    assert.match(said, /Unmetered will write/);
    assert.ok(said.includes(`${codexFile()}: [model_providers.unmetered] and [profiles.unmetered] pointing at ${gatewayUrl()}/v1`), said);
    assert.ok(!said.includes('claudeCode.environmentVariables'), said);

    const done = await waitForNotification('Unmetered routes:');
    assert.match(done, /new terminals; Codex with --profile unmetered\./);
    const codex = await readFile(codexFile(), 'utf8');
    assert.ok(codex.startsWith(CODEX_CONFIG), `the user's own Codex settings are kept:\n${codex}`);
    assert.ok(
      codex.includes('[model_providers.unmetered]') &&
        codex.includes(`base_url = "${gatewayUrl()}/v1"`) &&
        codex.includes('[profiles.unmetered]\nmodel_provider = "unmetered"'),
      codex,
    );

    assert.equal(await baseUrlInNewTerminal('routed'), `[${gatewayUrl()}]`);
    await vscode.screenshot('switch-routed-terminal');

    await clearNotifications();
    await vscode.runCommand('Unmetered: Undo Agent Routing');
    assert.equal(await waitForNotification('Unmetered: routing undone'), 'Unmetered: routing undone (terminals, Codex profile).');
    assert.equal(await readFile(codexFile(), 'utf8'), CODEX_CONFIG, 'undo removes only the Unmetered block');
    assert.equal(await baseUrlInNewTerminal('undone'), '[]');
  },
);

test('with the Claude Code extension installed its setting is routed on confirmation, and "Show What Is Routed" lists and undoes all of it', async () => {
  // Installed as a person installs a .vsix: the stand-in only declares Claude Code's setting.
  await vscode.runCommand('Extensions: Install from VSIX...');
  const widget = page().locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  // The file picker fills in its start folder asynchronously and may overwrite what was typed meanwhile.
  await waitFor(
    'the file picker listing its start folder',
    async () => (await input.inputValue()).startsWith('/') && (await quickPick())?.rows.some((r) => r.label === '..'),
  );
  await waitFor('the .vsix chosen in the file picker', async () => {
    await input.fill(claudeCodeVsix);
    await page().waitForTimeout(300);
    if ((await input.inputValue()) !== claudeCodeVsix) return false;
    await input.press('Enter');
    return widget.waitFor({ state: 'hidden', timeout: 3_000 }).then(
      () => true,
      () => false,
    );
  });
  await waitFor('the stand-in installed', () =>
    readFile(path.join(vscode.dirs.extensions, 'anthropic.claude-code-0.0.1', 'package.json'), 'utf8').catch(() => undefined),
  );
  await clearNotifications();

  // VS Code adds the new extension (and so its setting) to the running window without a reload.
  const rows = await waitFor(
    'the Claude Code extension among the agents to route',
    async () => {
      const r = await openRouteChoice();
      return r.some((x) => x.label === 'Claude Code extension') ? r : undefined;
    },
    20_000,
  );
  const ext = rows.find((r) => r.label === 'Claude Code extension')!;
  assert.equal(ext.checked, 'true');
  assert.equal(ext.description, 'adds ANTHROPIC_BASE_URL to the setting claudeCode.environmentVariables');
  await page().locator('.quick-input-widget .quick-input-box input').press('Enter');
  const said = await answerDialog('Write', 'switch-route-confirm-claude-code');
  assert.ok(said.includes(`the user setting claudeCode.environmentVariables: ANTHROPIC_BASE_URL=${gatewayUrl()}`), said);

  const done = await waitForNotification('Unmetered routes:');
  assert.match(done, /new terminals; the Claude Code extension \(its next session\)\./);
  const settings = await waitFor('the Claude Code setting', async () => {
    const s = await vscode.readUserSettings();
    return (s['claudeCode.environmentVariables'] as unknown[] | undefined)?.length === 2 ? s : undefined;
  });
  assert.deepEqual(
    settings['claudeCode.environmentVariables'],
    [USER_CLAUDE_ENV, { name: 'ANTHROPIC_BASE_URL', value: gatewayUrl() }],
    "the user's own entry is kept, ours appended",
  );

  await clearNotifications();
  await vscode.runCommand('Unmetered: Show What Is Routed');
  const shown = await answerDialog('Undo All Routing', 'switch-show-routing');
  for (const line of [
    'Route: cloud (metered)',
    `Gateway: ${gatewayUrl()}, served by this window`,
    `Claude Code in new terminals: ANTHROPIC_BASE_URL=${gatewayUrl()}`,
    'Claude Code extension: routed (claudeCode.environmentVariables)',
    'Codex profile "unmetered": not written',
  ]) {
    assert.ok(shown.includes(line), `"${line}" in:\n${shown}`);
  }
  assert.equal(await waitForNotification('Unmetered: routing undone'), 'Unmetered: routing undone (terminals, Claude Code extension).');
  assert.deepEqual((await vscode.readUserSettings())['claudeCode.environmentVariables'], [USER_CLAUDE_ENV]);
  assert.equal(await baseUrlInNewTerminal('undone-all'), '[]');
});

test('the walkthrough "Get started with Unmetered" is listed and shows its steps', async () => {
  await page().keyboard.press('Escape');
  await vscode.runCommand('Welcome: Open Walkthrough...');
  await waitFor('the walkthrough list', async () => (await quickPick())?.rows.some((r) => r.label.includes('Get started with Unmetered')));
  await pickRow('Get started with Unmetered');
  const walkthrough = page().locator('.gettingStartedContainer');
  await walkthrough.getByText('Set a monthly budget').first().waitFor({ timeout: 30_000 });
  const text = await walkthrough.innerText();
  assert.ok(text.includes('Get started with Unmetered'), text);
  for (const step of ['Set a monthly budget', 'See which agents were detected', 'Route your agents', 'Pick or pull a local model']) {
    assert.ok(text.includes(step), `the walkthrough shows "${step}":\n${text}`);
  }
  assert.ok(await walkthrough.getByRole('button', { name: 'Set Monthly Budget' }).isVisible(), 'the first step offers its command');
  // The step's Markdown (media/walkthrough/budget.md) renders beside it, in a webview frame.
  await waitFor('the step media', async () => {
    for (const f of page().frames())
      if (
        (
          await f
            .locator('body')
            .innerText({ timeout: 1_000 })
            .catch(() => '')
        ).includes('The status bar shows three figures')
      )
        return true;
    return false;
  });
  await vscode.screenshot('switch-walkthrough');
  await page().keyboard.press('Escape');
});

test('with Ollama unreachable the menu and "Use a Local Model…" say how to install or start it, and the meter keeps working', async () => {
  // Ollama stops: the configured host is now a closed port.
  await ollama.close();
  const host = ollama.url;
  const rows = await openMenu();
  await vscode.screenshot('switch-ollama-unreachable-menu');
  const about = rows.filter((r) => /ollama/i.test(r.label + r.detail));
  assert.equal(about.length, 1, JSON.stringify(rows));
  // No local server answers (Ollama at its setting, LM Studio and llama-server on their default ports).
  assert.equal(about[0].label, '$(warning) No local model server is reachable');
  assert.equal(about[0].description, `Ollama ${host}, LM Studio http://127.0.0.1:1234, llama.cpp http://127.0.0.1:8080`);
  // A short line the quick pick shows whole (a long one was cut mid-sentence); the rest on click.
  assert.equal(
    about[0].detail,
    'Start Ollama, LM Studio or llama-server, or set their addresses (unmetered.ollama.host …). Click for details.',
  );
  assert.ok(!rows.some((r) => r.label.includes('Local:')), JSON.stringify(rows));
  for (const still of ['Cloud (metered)', 'Pull a model…', 'Route my agents through Unmetered…'])
    assert.ok(
      rows.some((r) => r.label.includes(still)),
      still,
    );
  await pickRow('No local model server is reachable');
  const full = await waitFor('the whole message about Ollama', async () =>
    (await notifications()).find((n) => n.includes(`Ollama is not running at ${host}.`)),
  );
  assert.match(full, /https:\/\/ollama\.com\/download/);

  await clearNotifications();
  await vscode.runCommand('Unmetered: Use a Local Model…');
  await waitFor('the message about Ollama', async () => (await notifications()).length > 0);
  await page().waitForTimeout(1_000); // would a second message follow?
  const all = await notifications();
  await vscode.screenshot('switch-ollama-unreachable');
  assert.equal(all.length, 1, `one message: ${JSON.stringify(all)}`);
  assert.ok(
    all[0].includes(`Ollama is not running at ${host}.`) && /ollama serve/.test(all[0]) && all[0].includes('https://ollama.com/download'),
    all[0],
  );
  // Nothing else broke: the meter, the route and the gateway are as they were.
  const item = await meterItem('$0.18 · $0.42 saved');
  assert.ok(item.text.startsWith('$(cloud) '), item.text);
  assert.equal((await vscode.readUserSettings())['unmetered.route'], 'cloud');
  const health = await fetch(`${gatewayUrl()}/unmetered/health`);
  assert.equal(health.status, 200);
});
