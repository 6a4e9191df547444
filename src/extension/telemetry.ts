/**
 * "Meter Copilot Chat and agent telemetry…": the OTLP receiver (served on the gateway's port, see routing.ts),
 * and the one-click setup that points Copilot Chat, Claude Code and Gemini CLI at it and offers Codex's block.
 * Shown and undone like the agent routing. What to write is decided in core (src/core/otlp/setup.ts); this file
 * only applies it, remembers the user's previous values, and puts them back exactly on undo.
 */
import * as vscode from 'vscode';
import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import {
  codexHasOtel,
  codexOtelBlock,
  copilotPlan,
  COPILOT_OTEL,
  createOtlpReceiver,
  telemetryJoin,
  terminalPlan,
  type OtlpReceiver,
  type SetupPlan,
} from '../core/otlp';
import type { MenuItem, Services } from './services';

const TELEMETRY_COMMANDS = {
  meter: 'unmetered.meterTelemetry',
  show: 'unmetered.showTelemetry',
  undo: 'unmetered.undoTelemetry',
} as const;

const STATE = 'unmetered.telemetry.setup';

/** What the setup wrote: Copilot's settings with the user's previous values, and the terminal variables. */
interface SetupState {
  copilot?: { previous: Record<string, unknown>; written: Record<string, unknown> };
  terminals?: Record<string, string>;
}

export interface TelemetryFeature extends vscode.Disposable {
  otlp: OtlpReceiver;
  /** Why the gateway must listen for telemetry, or null. */
  needed(): string | null;
  onDidChangeNeed: vscode.Event<void>;
}

export function registerTelemetry(services: Services, port: () => number): TelemetryFeature {
  const { context, logger } = services;
  const changed = new vscode.EventEmitter<void>();
  const join = telemetryJoin({
    // The twin rule needs the records: a window receiving telemetry holds them (ledgerAccess.ts).
    stored: async () => {
      const l = await services.ledger();
      await l.load();
      return l.records();
    },
    record: async (batch) => void (await Promise.all(batch.map((i) => services.record(i)))),
    logger,
  });
  const receiver = createOtlpReceiver({ onInteractions: (items) => join.offer(items), logger });
  const state = (): SetupState => context.globalState.get<SetupState>(STATE) ?? {};
  const save = async (s: SetupState) => {
    await context.globalState.update(STATE, s.copilot || s.terminals ? s : undefined);
    changed.fire();
  };
  const env = context.environmentVariableCollection;

  async function plans() {
    const copilot = vscode.workspace.getConfiguration();
    const current: Record<string, unknown> = {};
    for (const key of Object.values(COPILOT_OTEL)) {
      const i = copilot.inspect(key);
      current[key] = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    }
    const home = os.homedir();
    const claudeDir = process.env.CLAUDE_CONFIG_DIR?.split(',')[0]?.trim() || path.join(home, '.claude');
    const files = {
      claudeSettings: await readFile(path.join(claudeDir, 'settings.json'), 'utf8').catch(() => null),
      geminiSettings: await readFile(path.join(process.env.GEMINI_CLI_HOME || home, '.gemini', 'settings.json'), 'utf8').catch(() => null),
    };
    const codexFile = path.join(process.env.CODEX_HOME || path.join(home, '.codex'), 'config.toml');
    const codexText = await readFile(codexFile, 'utf8').catch(() => '');
    // VS Code writes only declared settings: without Copilot Chat installed, its settings cannot be written.
    const copilotPlanned: SetupPlan = settingDeclared(COPILOT_OTEL.enabled)
      ? copilotPlan(current, process.env, port())
      : { skip: 'GitHub Copilot Chat is not installed in this editor (or too old to export OpenTelemetry).' };
    return { copilot: copilotPlanned, ...terminalPlan(process.env, files, port()), codexFile, codexText };
  }

  async function meter(): Promise<void> {
    const p = await plans();
    const line = (who: string, plan: SetupPlan, what: (w: Record<string, unknown>) => string) =>
      'skip' in plan ? `• ${who}: left as it is. ${plan.skip}` : `• ${who}: ${what(plan.writes)}`;
    const vars = (w: Record<string, unknown>) => `new terminals get ${Object.keys(w).join(', ')}`;
    const detail = [
      line(
        'Copilot Chat',
        p.copilot,
        (w) => `the user settings github.copilot.chat.otel.* send to ${String(w[COPILOT_OTEL.otlpEndpoint])}`,
      ),
      line('Claude Code', p.claudeCode, vars),
      line('Gemini CLI', p.geminiCli, vars),
      codexHasOtel(p.codexText)
        ? `• Codex: ${p.codexFile} already has an [otel] table; it stays.`
        : '• Codex: the [otel] block is offered to copy.',
      '',
      'Unmetered stores token counts only, never prompt or response text. "Unmetered: Undo Telemetry Metering" restores your settings.',
    ].join('\n');
    const ok = await vscode.window.showWarningMessage('Meter Copilot Chat and agent telemetry?', { modal: true, detail }, 'Turn On');
    if (ok !== 'Turn On') return;
    const s = state();
    if ('writes' in p.copilot) {
      const config = vscode.workspace.getConfiguration();
      const previous = s.copilot?.previous ?? {};
      for (const [key, value] of Object.entries(p.copilot.writes)) {
        if (!(key in previous)) previous[key] = config.inspect(key)?.globalValue ?? null;
        await config.update(key, value, vscode.ConfigurationTarget.Global);
      }
      s.copilot = { previous, written: p.copilot.writes };
    }
    const terminals: Record<string, string> = { ...s.terminals };
    for (const plan of [p.claudeCode, p.geminiCli]) if ('writes' in plan) Object.assign(terminals, plan.writes);
    for (const [name, value] of Object.entries(terminals)) if (env.get(name)?.value !== value) env.replace(name, value);
    if (Object.keys(terminals).length) s.terminals = terminals;
    await save(s);
    if (!codexHasOtel(p.codexText)) {
      const copy = await vscode.window.showInformationMessage(
        `Unmetered meters telemetry on http://127.0.0.1:${port()}. For Codex, add the [otel] block to ${p.codexFile}.`,
        'Copy Codex Block',
      );
      if (copy) await vscode.env.clipboard.writeText(codexOtelBlock(port()));
    }
  }

  async function undo(): Promise<void> {
    const s = state();
    const undone: string[] = [];
    if (s.copilot) {
      const config = vscode.workspace.getConfiguration();
      for (const [key, previous] of Object.entries(s.copilot.previous)) {
        // A value the user changed since is theirs now: only what Unmetered wrote is put back.
        if (JSON.stringify(config.inspect(key)?.globalValue) !== JSON.stringify(s.copilot.written[key])) continue;
        await config.update(key, previous ?? undefined, vscode.ConfigurationTarget.Global);
      }
      undone.push('Copilot Chat settings');
    }
    for (const name of Object.keys(s.terminals ?? {})) env.delete(name);
    if (s.terminals) undone.push('terminal variables');
    await save({});
    void vscode.window.showInformationMessage(
      undone.length ? `Unmetered: telemetry metering undone (${undone.join(', ')}).` : 'Unmetered: telemetry metering was not on.',
    );
  }

  async function show(): Promise<void> {
    const s = state();
    const st = receiver.stats();
    const j = join.stats();
    const lines = [
      `Receiver: http://127.0.0.1:${port()}/v1/logs and /v1/metrics (on the gateway's port)`,
      `Copilot Chat: ${s.copilot ? `github.copilot.chat.otel.* set by Unmetered` : 'not set by Unmetered'}`,
      `New terminals: ${s.terminals ? Object.keys(s.terminals).join(', ') : 'no variables set'}`,
      '',
      `This session: ${st.requests} exports, ${st.interactions} requests read, ${j.recorded} recorded, ${j.joined} already seen in a log or the gateway, ${st.rejected} unreadable.`,
    ];
    const act = await vscode.window.showInformationMessage(
      'Unmetered telemetry',
      { modal: true, detail: lines.join('\n') },
      ...(s.copilot || s.terminals ? ['Undo Telemetry Metering'] : ['Turn On…']),
    );
    if (act === 'Undo Telemetry Metering') await undo();
    if (act === 'Turn On…') await meter();
  }

  const menu = (): MenuItem[] => {
    const on = !!(state().copilot || state().terminals);
    return [
      on
        ? { label: '$(pulse) Telemetry metering is on', description: 'Copilot Chat and agents', run: () => show() }
        : { label: '$(pulse) Meter Copilot Chat and agent telemetry…', run: () => meter() },
    ];
  };

  const disposables = [
    changed,
    vscode.commands.registerCommand(TELEMETRY_COMMANDS.meter, () => meter()),
    vscode.commands.registerCommand(TELEMETRY_COMMANDS.show, () => show()),
    vscode.commands.registerCommand(TELEMETRY_COMMANDS.undo, () => undo()),
    services.addMenuSection('Telemetry', 5, menu),
  ];
  return {
    otlp: receiver,
    needed: () => (state().copilot || state().terminals ? 'agents send telemetry to it' : null),
    onDidChangeNeed: changed.event,
    dispose() {
      void receiver.flushMetrics().then(() => join.flush());
      receiver.dispose();
      join.dispose();
      for (const d of disposables) d.dispose();
    },
  };
}

/** Whether an installed extension declares `key` (VS Code refuses to write an undeclared setting). */
function settingDeclared(key: string): boolean {
  return vscode.extensions.all.some((e) => {
    const c: unknown = (e.packageJSON as { contributes?: { configuration?: unknown } } | undefined)?.contributes?.configuration;
    return (Array.isArray(c) ? c : [c]).some(
      (x) => !!x && typeof x === 'object' && Object.hasOwn((x as { properties?: object }).properties ?? {}, key),
    );
  });
}
