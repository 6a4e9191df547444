/**
 * The extension's side of OTLP export (src/core/otlp/export): while `unmetered.telemetry.enabled` is on,
 * export on a timer and soon after the ledger grows; off, nothing of the exporter or the SDK is loaded.
 * Several windows may run this at once: a lock per collector lets one of them send (cursor.ts).
 */
import * as vscode from 'vscode';
import { evaluateBudgets, type BudgetStatus } from '../core/budgets/evaluate';
import { normaliseTelemetry } from '../core/otlp/export/config';
import { openExportSession, runPeriodically } from '../core/otlp/export/session';
import { systemClock } from '../core/ports';
import type { Services } from './services';

export function registerTelemetryExport(services: Services, version: string): vscode.Disposable {
  let loop: ReturnType<typeof runPeriodically> | null = null;
  let budgets: readonly BudgetStatus[] = [];
  let generation = 0;

  const start = async () => {
    const mine = ++generation;
    await loop?.stop();
    loop = null;
    const { value: config, warnings } = normaliseTelemetry(services.settings.written('telemetry') ?? {}, process.env);
    for (const w of warnings) services.logger.warn(w);
    if (!config.enabled) return;
    const session = await openExportSession({
      config,
      dataDir: services.dataDir,
      clock: systemClock,
      logger: services.logger,
      version,
      priceTable: services.prices().version,
      copilotBilledPerToken: services.settings.current.copilotBilledPerToken,
      budgets: () => budgets,
    });
    if (mine !== generation) return void (await session.close());
    const refreshBudgets = async () => {
      const settings = services.settings.current.budgets;
      budgets = evaluateBudgets(await services.spends(), { now: Date.now(), timeZone: services.timeZone(), settings });
    };
    await refreshBudgets().catch(() => {});
    loop = runPeriodically(
      { pass: async () => (await refreshBudgets().catch(() => {}), session.pass()), close: () => session.close() },
      config.intervalSeconds,
      services.logger,
    );
  };

  void start().catch((e: Error) => services.logger.warn(`telemetry export could not start: ${e.message}`));
  const subs = [
    services.onDidChangeLedger(() => loop?.nudge()),
    services.settings.onDidChange((e) => {
      if (e.affectsConfiguration('unmetered.telemetry'))
        void start().catch((err: Error) => services.logger.warn(`telemetry export: ${err.message}`));
    }),
  ];
  return new vscode.Disposable(() => {
    generation++;
    for (const s of subs) s.dispose();
    void loop?.stop();
  });
}
