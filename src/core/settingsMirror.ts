import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from './ports';
import { ensurePrivateDir } from './privateFs';
import { replaceFile } from './atomicFile';

/**
 * The CLI has no VS Code settings: mirror the ones it needs (budget, time zone, price overrides,
 * export and source settings; never a secret) into <data dir>/settings.json, writing only when they
 * changed. The CLI reads it with readMirroredSettings (src/cli/setup.ts). Here, not in the
 * extension, so a unit test can run two writers at once. The values go as written,
 * not as validated: the CLI validates them itself and says so in its own words.
 */
export async function mirrorSettingsForCli(dataDir: string, settings: { written(key: string): unknown }, logger: Logger): Promise<void> {
  const c = { get: (key: string) => settings.written(key) };
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
        telemetry: c.get('telemetry') ?? {},
        copilot: c.get('copilot') ?? {},
      },
      null,
      2,
    ) + '\n';
  const file = path.join(dataDir, 'settings.json');
  try {
    if ((await readFile(file, 'utf8').catch(() => '')) === body) return;
    await ensurePrivateDir(dataDir, { tightenExisting: false });
    // A unique temporary name per write: two windows mirroring at once never write into each other's.
    await replaceFile(file, body);
  } catch (err) {
    logger.warn(`could not write ${file} for the CLI: ${(err as Error).message}`);
  }
}
