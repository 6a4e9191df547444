/**
 * What the status bar item shows and offers: the meter computed from the ledger's rollup (core/aggregate's
 * meterOf; from the records only while the rollup cannot answer alone), repainted, coalesced, when
 * the ledger, a setting, a feature's extras or the clock change), the tooltip sections features add, and
 * the menu their sections make up. Features reach it through the StatusSurface part of Services.
 */
import * as vscode from 'vscode';
import type { Interaction } from '../core/interaction';
import { computeMeter, type Meter, type StatusExtras } from '../core/meter';
import { meterOf } from '../core/aggregate/meter';
import { LIMITS_FRESH_MS } from '../core/plans/view';
import type { Aggregate } from './ledgerAccess';
import { agentLabel, latestLimits, limitsStatusText, limitsTooltipSection } from '../core/plans';
import type { Logger } from '../core/ports';
import { COMMANDS, type MeterStatusBar } from './statusBar';
import type { MenuItem, StatusSurface } from './services';
import type { UnmeteredSettings } from './settings';

type MenuSection = { title: string; order: number; items: () => Promise<MenuItem[]> | MenuItem[] };

export class MeterView implements StatusSurface {
  private extras: StatusExtras = {};
  private budgetNote: StatusExtras['budgetNote'];
  private readonly sections = new Map<string, string>();
  private readonly menuSections: MenuSection[] = [];
  private queued = false;

  constructor(
    private readonly bar: MeterStatusBar,
    private readonly env: {
      log: vscode.LogOutputChannel;
      logger: Logger;
      dataDir: string;
      settings: () => UnmeteredSettings;
      timeZone: () => string;
      /** The meter's input without records; null when only the records can answer. */
      aggregate: () => Promise<Aggregate | null>;
      records: () => Promise<readonly Interaction[]>;
      /** Whether there is a ledger to draw yet (none is opened just to paint). */
      ready: () => boolean;
    },
  ) {}

  addMenuSection(title: string, order: number, items: MenuSection['items']): vscode.Disposable {
    const entry = { title, order, items };
    this.menuSections.push(entry);
    this.menuSections.sort((a, b) => a.order - b.order);
    return new vscode.Disposable(() => this.menuSections.splice(this.menuSections.indexOf(entry), 1));
  }

  setStatusExtras(next: StatusExtras): void {
    this.extras = next;
    this.render();
  }

  setTooltipSection(key: string, markdown: string | undefined): void {
    if (markdown === undefined) this.sections.delete(key);
    else this.sections.set(key, markdown);
    this.render();
  }

  setBudgetNote(note: StatusExtras['budgetNote']): void {
    this.budgetNote = note;
    this.render();
  }

  /** Repaints soon; a burst of changes paints once. */
  render(): void {
    if (this.queued || !this.env.ready()) return;
    this.queued = true;
    setTimeout(() => void this.paint(), 50);
  }

  /** Shows the error in the item itself: a meter that cannot read its ledger must not look like $0. */
  showError(message: string): void {
    this.bar.showError(message);
  }

  private async paint(): Promise<void> {
    this.queued = false;
    const { logger, dataDir } = this.env;
    try {
      const now = Date.now();
      const { meter: meterSettings, plans, copilotBilledPerToken } = this.env.settings();
      const { meter, recent, tz } = await this.measure({ now, budgetNanos: meterSettings.budgetNanos, copilotBilledPerToken });
      // Plan limits come from the latest records that carried them (core/plans): shown only while recent.
      const limits = latestLimits(recent, now);
      const limitRows = limitsTooltipSection(limits, plans, now, tz);
      this.bar.show(
        meter,
        tz,
        { ...this.extras, budgetNote: this.budgetNote, limits: limitsStatusText(limits, now, tz) ?? undefined },
        limitRows ? [...this.sections.values(), limitRows] : [...this.sections.values()],
        (agent) => agentLabel(agent, plans),
      );
    } catch (err) {
      logger.error(`could not compute the meter: ${(err as Error).message}`);
      this.bar.showError(`could not read the ledger in ${dataDir}: ${(err as Error).message}`);
    }
  }

  /** The meter and the records recent enough to carry plan limits: from the rollup when it can answer. */
  private async measure(o: {
    now: number;
    budgetNanos: number | null;
    copilotBilledPerToken: boolean;
  }): Promise<{ meter: Meter; recent: readonly Interaction[]; tz: string }> {
    const agg = await this.env.aggregate();
    if (agg) {
      const meter = meterOf(agg.entries, { ...o, timeZone: agg.timeZone });
      return { meter, recent: await agg.recent(new Date(o.now - LIMITS_FRESH_MS).toISOString()), tz: agg.timeZone };
    }
    const tz = this.env.timeZone();
    const records = await this.env.records();
    return { meter: computeMeter(records, { ...o, timeZone: tz }), recent: records, tz };
  }

  /** The status bar menu: each feature's section, then Unmetered's own items. */
  async showMenu(): Promise<void> {
    const log = this.env.log;
    const picks: (MenuItem | vscode.QuickPickItem)[] = [];
    for (const s of this.menuSections) {
      let items: MenuItem[] = [];
      try {
        items = await s.items();
      } catch (err) {
        log.warn(`menu section ${s.title}: ${(err as Error).message}`);
      }
      if (items.length === 0) continue;
      picks.push({ label: s.title, kind: vscode.QuickPickItemKind.Separator }, ...items);
    }
    picks.push(
      { label: 'Unmetered', kind: vscode.QuickPickItemKind.Separator },
      { label: '$(credit-card) Set monthly budget…', run: () => vscode.commands.executeCommand(COMMANDS.setBudget) },
      { label: '$(output) Show log', run: () => log.show() },
    );
    const choice = await vscode.window.showQuickPick(picks, { title: 'Unmetered', placeHolder: 'Switch model, budget, reports' });
    if (!choice || !('run' in choice)) return;
    try {
      await choice.run();
    } catch (err) {
      // An action that fails must say so: a silent menu item looks like one that worked.
      log.error(`${choice.label}: ${(err as Error).stack ?? String(err)}`);
      void vscode.window
        .showErrorMessage(`Unmetered: ${choice.label.replace(/\$\([\w-]+\)\s*/g, '')} failed: ${(err as Error).message}`, 'Show Log')
        .then((a) => a && log.show());
    }
  }
}
