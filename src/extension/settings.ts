/**
 * The one reader of the `unmetered.*` settings in the extension. Every key is read once per change, validated
 * by core's normaliser for it (a bad value falls back to its default with a warning, logged and said once),
 * and kept as one typed snapshot; features read `settings.current` and listen to `onDidChange`, which fires
 * after the snapshot is fresh, so no listener sees a half-read state. The schema lives in package.json.
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { normaliseMeterSettings, type MeterSettings } from '../core/meter/settings';
import { normalisePlans, type PlanSettings } from '../core/plans/plans';
import { normaliseBudgetSettings, type BudgetSettings } from '../core/budgets';
import { normaliseExportSettings, type ExportSettings } from '../core/report/summary/exportSettings';
import { normaliseSourceSettings, type SourceSettings } from '../core/import';
import { normaliseGatewayListen, normaliseGatewaySettings, type GatewayListen, type GatewaySettings } from '../core/gateway/settings';
import { normaliseChatSettings, type ChatSettings } from '../core/chat/models';
import { normaliseFlag, type Normalised } from '../core/normalise';

const SECTION = 'unmetered';

/** Every `unmetered.*` setting, validated. */
export interface UnmeteredSettings {
  /** unmetered.monthlyBudget and unmetered.timezone. */
  meter: MeterSettings;
  /** unmetered.plans. */
  plans: PlanSettings;
  /** unmetered.dailyBudget, projectBudgets, budgetThresholds, budgetEnforcement; the monthly budget is the meter's. */
  budgets: BudgetSettings;
  /** unmetered.export.*. */
  export: ExportSettings;
  /** unmetered.sources.*. */
  sources: SourceSettings;
  /** unmetered.route, localModel, ollama.host and gateway.port / anthropicUpstream / openaiUpstream. */
  gateway: GatewaySettings;
  /** unmetered.gateway.listen. */
  gatewayListen: GatewayListen;
  /** unmetered.chat.*. */
  chat: ChatSettings;
  /** unmetered.copilot.billedPerToken. */
  copilotBilledPerToken: boolean;
  /** unmetered.prices as written: core's loadPriceTable validates it and warns about a bad entry. */
  prices: unknown;
}

/** Where a group's warnings are said: every one is logged; some also pop up (once) with a way to the settings. */
type Surface = 'toast' | 'log';

/** The values as VS Code returns them, read once per change. */
type Raw = (key: string) => unknown;

export class Settings implements vscode.Disposable {
  private snapshot: UnmeteredSettings;
  /** VS Code's own snapshot of the section, taken with `snapshot`: the values as written. */
  private section!: vscode.WorkspaceConfiguration;
  private readonly warned = new Set<string>();
  private readonly changed = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  private readonly subscription: vscode.Disposable;
  /** Fires after a change to any `unmetered.*` key, once `current` holds the new values. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly logger: Logger) {
    this.snapshot = this.read();
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      this.refresh();
      this.changed.fire(e);
    });
  }

  get current(): UnmeteredSettings {
    return this.snapshot;
  }

  /** Reads the settings again now (after a write of our own, whose change event may come later). */
  refresh(): UnmeteredSettings {
    return (this.snapshot = this.read());
  }

  /** Writes a user setting (`key` without the `unmetered.` prefix) and reads the settings again. */
  async update(key: string, value: unknown): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
    this.refresh();
  }

  /** The value as written in the settings, before validation (what the budget input box starts from). */
  written(key: string): unknown {
    return this.section.get(key);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private read(): UnmeteredSettings {
    const c = (this.section = vscode.workspace.getConfiguration(SECTION));
    const raw: Raw = (key) => c.get(key);
    const meter = this.take('toast', normaliseMeterSettings({ monthlyBudget: raw('monthlyBudget'), timezone: raw('timezone') }));
    const budgets = this.take(
      'toast',
      normaliseBudgetSettings({
        dailyBudget: raw('dailyBudget'),
        projectBudgets: raw('projectBudgets'),
        budgetThresholds: raw('budgetThresholds'),
        budgetEnforcement: raw('budgetEnforcement'),
      }),
    );
    const sources = normaliseSourceSettings(raw('sources'));
    return {
      meter,
      plans: this.take('toast', normalisePlans(raw('plans'))),
      budgets: { ...budgets, monthlyNanos: meter.budgetNanos },
      export: this.take(
        'toast',
        normaliseExportSettings({
          weekStart: raw('export.weekStart'),
          pseudonymiseProjects: raw('export.pseudonymiseProjects'),
          developer: raw('export.developer'),
          folder: raw('export.folder'),
          formats: raw('export.formats'),
        }),
      ),
      sources: this.take('log', { value: sources.settings, warnings: sources.warnings }),
      gateway: this.take('log', normaliseGatewaySettings(gatewayRaw(raw))),
      gatewayListen: this.take('log', normaliseGatewayListen(raw('gateway.listen'))),
      chat: this.take(
        'log',
        normaliseChatSettings({
          openaiBaseUrl: raw('chat.openaiBaseUrl'),
          cloudModels: raw('chat.cloudModels'),
          cloudModel: raw('chat.cloudModel'),
        }),
      ),
      copilotBilledPerToken: this.take('log', normaliseFlag('unmetered.copilot.billedPerToken', raw('copilot.billedPerToken'))),
      prices: raw('prices'),
    };
  }

  /** A normaliser's value; its warnings are said once each, however often the settings are read. */
  private take<T>(surface: Surface, r: Normalised<T>): T {
    for (const w of r.warnings) {
      if (this.warned.has(w)) continue;
      this.warned.add(w);
      this.logger.warn(w);
      if (surface === 'toast')
        void vscode.window
          .showWarningMessage(`Unmetered: ${w}`, 'Open Settings')
          .then((a) => a && vscode.commands.executeCommand('workbench.action.openSettings', SECTION));
    }
    return r.value;
  }
}

function gatewayRaw(raw: Raw): Parameters<typeof normaliseGatewaySettings>[0] {
  return {
    localServer: raw('localServer'),
    'lmstudio.host': raw('lmstudio.host'),
    'llamacpp.host': raw('llamacpp.host'),
    'ollama.host': raw('ollama.host'),
    'gateway.port': raw('gateway.port'),
    'gateway.anthropicUpstream': raw('gateway.anthropicUpstream'),
    'gateway.openaiUpstream': raw('gateway.openaiUpstream'),
    route: raw('route'),
    localModel: raw('localModel'),
  };
}
