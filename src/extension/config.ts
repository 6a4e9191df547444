import * as vscode from 'vscode';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ensurePrivateDir } from '../core/privateFs';
import path from 'node:path';
import type { Logger } from '../core/ports';
import { normaliseMeterSettings, type MeterSettings } from '../core/settings';
import { normalisePlans, type PlanSettings } from '../core/plans/plans';
import { errorMessage } from '../core/errors';

const warned = new Set<string>();

/** Reads the meter settings; a bad value falls back to its default with a warning, shown once. */
export function readMeterSettings(logger: Logger): MeterSettings {
  const c = vscode.workspace.getConfiguration('unmetered');
  const { value, warnings } = normaliseMeterSettings({ monthlyBudget: c.get('monthlyBudget'), timezone: c.get('timezone') });
  warn(warnings, logger);
  return value;
}

/** Reads `unmetered.plans`; a bad entry is dropped (that agent pays per token) with a warning, shown once. */
export function readPlans(logger: Logger): PlanSettings {
  const { value, warnings } = normalisePlans(vscode.workspace.getConfiguration('unmetered').get('plans'));
  warn(warnings, logger);
  return value;
}

function warn(warnings: string[], logger: Logger): void {
  for (const w of warnings) {
    logger.warn(w);
    if (!warned.has(w)) {
      warned.add(w);
      void vscode.window
        .showWarningMessage(`Unmetered: ${w}`, 'Open Settings')
        .then((a) => a && vscode.commands.executeCommand('workbench.action.openSettings', 'unmetered'));
    }
  }
}

/**
 * The CLI has no VS Code settings: mirror the ones it needs (budget, time zone, price overrides,
 * export and source settings; never a secret) into <data dir>/settings.json, writing only when they
 * changed. The CLI reads it with readMirroredSettings (src/cli/setup.ts).
 */
export async function mirrorSettingsForCli(dataDir: string, logger: Logger): Promise<void> {
  const c = vscode.workspace.getConfiguration('unmetered');
  const body =
    JSON.stringify(
      {
        monthlyBudget: c.get('monthlyBudget') ?? null,
        dailyBudget: c.get('dailyBudget') ?? null,
        projectBudgets: c.get('projectBudgets') ?? {},
        budgetThresholds: c.get('budgetThresholds') ?? null,
        budgetEnforcement: c.get('budgetEnforcement') ?? {},
        timezone: c.get('timezone') || null,
        prices: c.get('prices') ?? {},
        export: c.get('export') ?? {},
        sources: c.get('sources') ?? {},
        plans: c.get('plans') ?? {},
      },
      null,
      2,
    ) + '\n';
  const file = path.join(dataDir, 'settings.json');
  try {
    if ((await readFile(file, 'utf8').catch(() => '')) === body) return;
    await ensurePrivateDir(dataDir, { tightenExisting: false });
    await writeFile(`${file}.tmp`, body);
    await rename(`${file}.tmp`, file);
  } catch (err) {
    logger.warn(`could not write ${file} for the CLI: ${errorMessage(err)}`);
  }
}
