/**
 * "Meter Copilot Chat and agent telemetry…" in a real VS Code: one click in the status bar menu writes Copilot
 * Chat's OpenTelemetry settings (and nothing else of the user's), a request Copilot Chat exports to the receiver
 * (sent here by the official OpenTelemetry JS SDK's OTLP/HTTP JSON exporter, the one Copilot Chat exports with)
 * is on the status bar within a second, and undo puts the user's settings back exactly. A user who already
 * sends Copilot's telemetry elsewhere is told so, and their endpoint is left as it is.
 *
 * Copilot Chat itself cannot run here (it needs a GitHub sign-in and the network): a stand-in extension declares
 * its three settings, as microsoft/vscode-copilot-chat's package.json does at
 * 31acd00a86424e2ee6e980e54919cf31fbf88030 (`github.copilot.chat.otel.enabled`, `.exporterType`,
 * `.otlpEndpoint`), since VS Code writes only declared settings.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, ROOT, startVSCode, type VSCodeSession } from './harness';
import { sendLogs } from '../otlp/helpers';

const NODE24 = path.join(ROOT, '.e2e', 'node24', 'bin', 'node');
const CODE_SERVER = path.join(ROOT, '.e2e', 'code-server', 'lib', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** The user's own settings before the setup: unrelated keys, and one Copilot OTel key they set themselves. */
const USERS_OWN = {
  'editor.fontSize': 15,
  'files.autoSave': 'afterDelay',
  'github.copilot.chat.otel.enabled': false,
  // Counted as spend so that the request moves the status bar's figure (by default Copilot's plan pays for it
  // and it shows only in the hover, as API-equivalent).
  'unmetered.copilot.billedPerToken': true,
};

/** Builds the stand-in's .vsix with the project's own vsce and installs it as code-server installs any. */
function installCopilotStandIn(root: string, extensions: string, userData: string): void {
  const dir = path.join(root, 'copilot-chat-stand-in');
  mkdirSync(dir, { recursive: true });
  const setting = (type: string, def: unknown) => ({ type, default: def });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      // Not github.copilot-chat: VS Code treats that id as its chat agent's own and would not load a stand-in.
      name: 'copilot-otel-settings',
      publisher: 'unmetered-e2e',
      displayName: 'Copilot Chat settings stand-in (Unmetered e2e)',
      version: '0.0.1',
      license: 'MIT',
      engines: { vscode: '^1.80.0' },
      contributes: {
        configuration: {
          properties: {
            'github.copilot.chat.otel.enabled': setting('boolean', false),
            'github.copilot.chat.otel.exporterType': setting('string', 'otlp-http'),
            'github.copilot.chat.otel.otlpEndpoint': setting('string', 'http://localhost:4318'),
          },
        },
      },
    }),
  );
  writeFileSync(path.join(dir, 'README.md'), '# stand-in\n');
  writeFileSync(path.join(dir, 'LICENSE'), 'MIT\n');
  const vsix = path.join(root, 'copilot-chat-stand-in.vsix');
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  const pack = spawnSync(vsce, ['package', '--allow-missing-repository', '--skip-license', '-o', vsix], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (pack.status !== 0) throw new Error(`vsce package (stand-in) failed: ${pack.stdout}\n${pack.stderr}`);
  const inst = spawnSync(NODE24, [CODE_SERVER, '--install-extension', vsix, '--extensions-dir', extensions, '--user-data-dir', userData], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, HOME: path.join(root, 'home') },
  });
  if (inst.status !== 0 || !readdirSync(extensions).some((d) => d.startsWith('unmetered-e2e.copilot-otel-settings')))
    throw new Error(`installing the stand-in failed: ${inst.stdout}\n${inst.stderr}`);
}

/** The user settings once VS Code has stopped migrating them (it rewrites a few keys after start-up). */
async function settledSettings(vs: VSCodeSession): Promise<Record<string, unknown>> {
  let last = JSON.stringify(await vs.readUserSettings());
  for (let i = 0; i < 60; i++) {
    await vs.page.waitForTimeout(1_000);
    const now = JSON.stringify(await vs.readUserSettings());
    if (now === last) return JSON.parse(now) as Record<string, unknown>;
    last = now;
  }
  throw new Error('the user settings kept changing for a minute');
}

let vscode: VSCodeSession;
let gatewayPort: number;
let before0: Record<string, unknown>;

describe('Meter Copilot Chat and agent telemetry', { timeout: 600_000 }, () => {
  before(async () => {
    gatewayPort = await freePort();
    vscode = await startVSCode({
      settings: { ...USERS_OWN, 'unmetered.gateway.port': gatewayPort },
      prepare: (dirs) => installCopilotStandIn(dirs.root, dirs.extensions, dirs.userData),
    });
  });

  after(async () => {
    await vscode?.close();
  });

  const page = () => vscode.page;

  async function answerDialog(button: string, screenshot: string): Promise<string> {
    const dialog = page().locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    const said = await dialog.innerText();
    await vscode.screenshot(screenshot);
    await dialog.getByRole('button', { name: button }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    return said;
  }

  /** Bounded: until `check` holds or `ms` pass. */
  async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await page().waitForTimeout(100);
    }
  }

  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });

  test("one click in the menu writes only Copilot Chat's OpenTelemetry settings, pointing at the receiver", async () => {
    // The bar shows the extension is up; on a loaded 2-core machine that can take minutes after the page loads.
    await vscode.waitForStatusBarItem('spent today', 180_000);
    before0 = await settledSettings(vscode);
    await page().locator('.part.statusbar .statusbar-item:has([aria-label*="spent today"])').first().click();
    const input = page().locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: 30_000 });
    await input.fill('Meter Copilot');
    await page().locator('.quick-input-widget .monaco-list-row', { hasText: 'Meter Copilot Chat and agent telemetry…' }).first().click();
    const said = await answerDialog('Turn On', 'telemetry-confirm');
    assert.match(
      said,
      new RegExp(`Copilot Chat: the user settings github\\.copilot\\.chat\\.otel\\.\\* send to http://127\\.0\\.0\\.1:${gatewayPort}`),
    );
    assert.match(said, /never prompt or response text/);

    const want = {
      ...before0,
      'github.copilot.chat.otel.enabled': true,
      'github.copilot.chat.otel.exporterType': 'otlp-http',
      'github.copilot.chat.otel.otlpEndpoint': `http://127.0.0.1:${gatewayPort}`,
    };
    await eventually('Copilot Chat settings written', async () => {
      const now = await vscode.readUserSettings();
      return JSON.stringify(now['github.copilot.chat.otel.otlpEndpoint']) === JSON.stringify(want['github.copilot.chat.otel.otlpEndpoint']);
    });
    assert.deepEqual(await vscode.readUserSettings(), want);
  });

  test('a request Copilot Chat exports reaches the status bar within a second', async () => {
    await eventually('the receiver listening on the gateway port', () => listening(gatewayPort));
    await vscode.waitForStatusBarItem('$0.00 spent today');
    // gpt-4.1 in the pinned table (src/core/pricing/snapshot.json): input $2/M, cache read $0.50/M, output $8/M.
    // 120,000 input of which 100,000 from cache, 5,000 output:
    //   20,000 × $2/M = $0.04; 100,000 × $0.50/M = $0.05; 5,000 × $8/M = $0.04; total $0.13.
    const t0 = Date.now();
    await sendLogs(gatewayPort, 'json', false, { 'service.name': 'copilot-chat' }, [
      {
        eventName: 'gen_ai.client.inference.operation.details',
        time: Date.now(),
        attributes: {
          'event.name': 'gen_ai.client.inference.operation.details',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4.1',
          'gen_ai.response.model': 'gpt-4.1',
          'gen_ai.response.id': 'chatcmpl-e2e-telemetry-1',
          'gen_ai.usage.input_tokens': 120_000,
          'gen_ai.usage.cache_read.input_tokens': 100_000,
          'gen_ai.usage.output_tokens': 5_000,
        },
      },
    ]);
    const sent = Date.now();
    await vscode.waitForStatusBarItem('$0.13 spent today', 1_000);
    process.stderr.write(`[e2e] telemetry export took ${sent - t0} ms; on the status bar ${Date.now() - sent} ms after it was answered\n`);
    await vscode.screenshot('telemetry-on-status-bar');
  });

  test("undo puts the user's settings back exactly", async () => {
    await vscode.runCommand('Unmetered: Undo Telemetry Metering');
    await eventually('the settings restored', async () => {
      const now = await vscode.readUserSettings();
      return !('github.copilot.chat.otel.otlpEndpoint' in now);
    });
    assert.deepEqual(await vscode.readUserSettings(), before0);
  });

  test("a user who already sends Copilot's telemetry elsewhere is told so, and their endpoint stays", async () => {
    const theirs = {
      ...before0,
      'github.copilot.chat.otel.enabled': true,
      'github.copilot.chat.otel.otlpEndpoint': 'http://collector.internal:4318',
    };
    writeFileSync(path.join(vscode.dirs.userData, 'User', 'settings.json'), JSON.stringify(theirs, null, 2));
    // VS Code reads the edited file through its watcher, a moment later: until it has, the dialog still offers
    // to write Copilot's settings, and is cancelled (which writes nothing) and asked again.
    const said = await eventually(
      'the dialog naming the endpoint the user set',
      async () => {
        await vscode.runCommand('Unmetered: Meter Copilot Chat and Agent Telemetry…');
        const text = await page().locator('.monaco-dialog-box').innerText({ timeout: 30_000 });
        if (text.includes('collector.internal')) return answerDialog('Turn On', 'telemetry-elsewhere');
        await answerDialog('Cancel', 'telemetry-elsewhere-not-yet');
        await page().waitForTimeout(1_000);
        return undefined;
      },
      60_000,
    );
    assert.match(said, /Copilot Chat: left as it is\. Copilot Chat already sends its telemetry to http:\/\/collector\.internal:4318/);
    await page().waitForTimeout(2_000);
    assert.deepEqual(await vscode.readUserSettings(), theirs);
  });
});
