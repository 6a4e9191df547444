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
  return new TelemetryMetering(services, port);
}

type Plans = Awaited<ReturnType<typeof plans>>;

/** What the setup would write now: Copilot's settings, the terminal variables, and whether Codex has its [otel] block. */
async function plans(port: number) {
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
    ? copilotPlan(current, process.env, port)
    : { skip: 'GitHub Copilot Chat is not installed in this editor (or too old to export OpenTelemetry).' };
  return { copilot: copilotPlanned, ...terminalPlan(process.env, files, port), codexFile, codexText };
}

/** The confirmation's detail: what the setup writes for each agent. */
function planDetail(p: Plans): string {
  const line = (who: string, plan: SetupPlan, what: (w: Record<string, unknown>) => string) =>
    'skip' in plan ? `• ${who}: left as it is. ${plan.skip}` : `• ${who}: ${what(plan.writes)}`;
  const vars = (w: Record<string, unknown>) => `new terminals get ${Object.keys(w).join(', ')}`;
  return [
    line('Copilot Chat', p.copilot, (w) => `the user settings github.copilot.chat.otel.* send to ${String(w[COPILOT_OTEL.otlpEndpoint])}`),
    line('Claude Code', p.claudeCode, vars),
    line('Gemini CLI', p.geminiCli, vars),
    codexHasOtel(p.codexText)
      ? `• Codex: ${p.codexFile} already has an [otel] table; it stays.`
      : '• Codex: the [otel] block is offered to copy.',
    '',
    'Unmetered stores token counts only, never prompt or response text. "Unmetered: Undo Telemetry Metering" restores your settings.',
  ].join('\n');
}

/** The OTLP receiver, the join with what the logs and the gateway already recorded, and the setup's commands. */
class TelemetryMetering implements TelemetryFeature {
  readonly otlp: OtlpReceiver;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeNeed = this.changed.event;
  private readonly join: ReturnType<typeof telemetryJoin>;
  private readonly env: vscode.GlobalEnvironmentVariableCollection;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly services: Services,
    private readonly port: () => number,
  ) {
    const { logger } = services;
    this.join = telemetryJoin({
      // The twin rule needs the records: a window receiving telemetry holds them (ledgerAccess.ts).
      stored: async () => {
        const l = await services.ledger();
        await l.load();
        return l.records();
      },
      record: async (batch) => void (await Promise.all(batch.map((i) => services.record(i)))),
      logger,
    });
    this.otlp = createOtlpReceiver({ onInteractions: (items) => this.join.offer(items), logger });
    this.env = services.context.environmentVariableCollection;
    this.disposables = [
      this.changed,
      vscode.commands.registerCommand(TELEMETRY_COMMANDS.meter, () => this.meter()),
      vscode.commands.registerCommand(TELEMETRY_COMMANDS.show, () => this.show()),
      vscode.commands.registerCommand(TELEMETRY_COMMANDS.undo, () => this.undo()),
      services.addMenuSection('Telemetry', 5, () => this.menu()),
    ];
  }

  needed(): string | null {
    return this.isOn() ? 'agents send telemetry to it' : null;
  }

  dispose(): void {
    void this.otlp.flushMetrics().then(() => this.join.flush());
    this.otlp.dispose();
    this.join.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private state(): SetupState {
    return this.services.context.globalState.get<SetupState>(STATE) ?? {};
  }

  private isOn(): boolean {
    const s = this.state();
    return !!(s.copilot || s.terminals);
  }

  private async save(s: SetupState): Promise<void> {
    await this.services.context.globalState.update(STATE, s.copilot || s.terminals ? s : undefined);
    this.changed.fire();
  }

  private async meter(): Promise<void> {
    const port = this.port();
    const p = await plans(port);
    const ok = await vscode.window.showWarningMessage(
      'Meter Copilot Chat and agent telemetry?',
      { modal: true, detail: planDetail(p) },
      'Turn On',
    );
    if (ok !== 'Turn On') return;
    const s = this.state();
    if ('writes' in p.copilot) s.copilot = await writeCopilotSettings(p.copilot.writes, s.copilot?.previous ?? {});
    const terminals: Record<string, string> = { ...s.terminals };
    for (const plan of [p.claudeCode, p.geminiCli]) if ('writes' in plan) Object.assign(terminals, plan.writes);
    for (const [name, value] of Object.entries(terminals)) if (this.env.get(name)?.value !== value) this.env.replace(name, value);
    if (Object.keys(terminals).length) s.terminals = terminals;
    await this.save(s);
    if (!codexHasOtel(p.codexText)) {
      const copy = await vscode.window.showInformationMessage(
        `Unmetered meters telemetry on http://127.0.0.1:${this.port()}. For Codex, add the [otel] block to ${p.codexFile}.`,
        'Copy Codex Block',
      );
      if (copy) await vscode.env.clipboard.writeText(codexOtelBlock(this.port()));
    }
  }

  private async undo(): Promise<void> {
    const s = this.state();
    const undone: string[] = [];
    if (s.copilot) {
      await restoreCopilotSettings(s.copilot);
      undone.push('Copilot Chat settings');
    }
    for (const name of Object.keys(s.terminals ?? {})) this.env.delete(name);
    if (s.terminals) undone.push('terminal variables');
    await this.save({});
    void vscode.window.showInformationMessage(
      undone.length ? `Unmetered: telemetry metering undone (${undone.join(', ')}).` : 'Unmetered: telemetry metering was not on.',
    );
  }

  private async show(): Promise<void> {
    const s = this.state();
    const st = this.otlp.stats();
    const j = this.join.stats();
    const lines = [
      `Receiver: http://127.0.0.1:${this.port()}/v1/logs and /v1/metrics (on the gateway's port)`,
      `Copilot Chat: ${s.copilot ? `github.copilot.chat.otel.* set by Unmetered` : 'not set by Unmetered'}`,
      `New terminals: ${s.terminals ? Object.keys(s.terminals).join(', ') : 'no variables set'}`,
      '',
      `This session: ${st.requests} exports, ${st.interactions} requests read, ${j.recorded} recorded, ` +
        `${j.joined} already seen in a log or the gateway, ${st.rejected} unreadable.`,
    ];
    const act = await vscode.window.showInformationMessage(
      'Unmetered telemetry',
      { modal: true, detail: lines.join('\n') },
      ...(s.copilot || s.terminals ? ['Undo Telemetry Metering'] : ['Turn On…']),
    );
    if (act === 'Undo Telemetry Metering') await this.undo();
    if (act === 'Turn On…') await this.meter();
  }

  private menu(): MenuItem[] {
    return [
      this.isOn()
        ? { label: '$(pulse) Telemetry metering is on', description: 'Copilot Chat and agents', run: () => this.show() }
        : { label: '$(pulse) Meter Copilot Chat and agent telemetry…', run: () => this.meter() },
    ];
  }
}

/** Writes Copilot's user settings, keeping the value each had before Unmetered first wrote it. */
async function writeCopilotSettings(
  writes: Record<string, unknown>,
  previous: Record<string, unknown>,
): Promise<NonNullable<SetupState['copilot']>> {
  const config = vscode.workspace.getConfiguration();
  for (const [key, value] of Object.entries(writes)) {
    if (!(key in previous)) previous[key] = config.inspect(key)?.globalValue ?? null;
    await config.update(key, value, vscode.ConfigurationTarget.Global);
  }
  return { previous, written: writes };
}

async function restoreCopilotSettings(copilot: NonNullable<SetupState['copilot']>): Promise<void> {
  const config = vscode.workspace.getConfiguration();
  for (const [key, previous] of Object.entries(copilot.previous)) {
    // A value the user changed since is theirs now: only what Unmetered wrote is put back.
    if (JSON.stringify(config.inspect(key)?.globalValue) !== JSON.stringify(copilot.written[key])) continue;
    await config.update(key, previous ?? undefined, vscode.ConfigurationTarget.Global);
  }
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
