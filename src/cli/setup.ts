/** Shared start-up for the commands that read the meter: settings, ledger, prices, log import. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UnmeteredError, errorMessage } from '../core/errors';
import { openLedger, type Ledger } from '../core/ledger';
import type { RollupIndex } from '../core/ledger/rollup';
import { commandRollup } from './aggregate';
import { currentlyPriced, loadPriceTable, type PriceTable } from '../core/pricing';
import type { Interaction } from '../core/interaction';
import { Recorder } from '../core/record/recorder';
import { normaliseMeterSettings } from '../core/meter/settings';
import { normaliseBudgetSettings, type BudgetSettings } from '../core/budgets/settings';
import { normalisePlans, type PlanSettings } from '../core/plans/plans';
import { cachedSystemTimeZone } from '../core/systemZone';
import { plural } from './args';
import type { CliContext } from './context';
import { progressLine, SHOW_AFTER_MS } from './progress';
import { toldDaily } from './told';
import { importAgentLogs, type ImportSummary } from './scan';
import type { SessionOptions } from '../core/import/session';
import { logCountsOf } from '../core/aggregate/sources';

/** The import status's per-agent counts from the rollup (log records are never telemetry twins: exact either way). */
async function logCountsFrom(rollup: RollupIndex) {
  await rollup.refresh();
  return logCountsOf(rollup.rollup());
}

export interface CliSettings {
  budgetNanos: number | null;
  timeZone: string;
  prices: unknown;
  /** The raw `unmetered.sources` object; normalised (with warnings) by the importer. */
  sources: unknown;
  /** Every budget (the monthly one as above, daily, per project), thresholds and enforcement. */
  budgets: BudgetSettings;
  /** Which agent is on which subscription (`unmetered.plans`). */
  plans: PlanSettings;
}

/**
 * The extension mirrors the settings the CLI needs into <data dir>/settings.json; flags and
 * UNMETERED_BUDGET / UNMETERED_TZ override them. A bad value falls back with a warning on stderr.
 */
export async function cliSettings(ctx: CliContext, flags: { budget?: number; tz?: string } = {}): Promise<CliSettings> {
  // First: a configured zone that is this machine's is then checked without Intl's start-up.
  const systemZone = machineZone(ctx);
  const mirrored = await readMirroredSettings(ctx);
  const { value, warnings } = normaliseMeterSettings({
    monthlyBudget: flags.budget ?? (ctx.env.UNMETERED_BUDGET || undefined) ?? mirrored.monthlyBudget,
    timezone: flags.tz ?? (ctx.env.UNMETERED_TZ || undefined) ?? mirrored.timezone,
  });
  // The monthly budget is normalised above (with its flag and variable); the rest come from the mirror.
  const budgets = normaliseBudgetSettings({
    dailyBudget: mirrored.dailyBudget,
    projectBudgets: mirrored.projectBudgets,
    budgetThresholds: mirrored.budgetThresholds,
    budgetEnforcement: mirrored.budgetEnforcement,
  });
  const plans = normalisePlans(mirrored.plans);
  for (const w of [...warnings, ...budgets.warnings, ...plans.warnings]) ctx.logger.warn(w);
  return {
    budgetNanos: value.budgetNanos,
    timeZone: value.timeZone ?? systemZone,
    prices: mirrored.prices,
    sources: mirrored.sources,
    budgets: { ...budgets.value, monthlyNanos: value.budgetNanos },
    plans: plans.value,
  };
}

/**
 * This machine's time zone, read from the cache folder where it was found before (core/systemZone.ts):
 * call it before checking a zone a person gave, which is then this one without asking Intl. Read once
 * per command: a view asks before its arguments are checked, and again through cliSettings.
 */
let machine: { dataDir: string; zone: string } | null = null;
export function machineZone(ctx: Pick<CliContext, 'dataDir' | 'platform'>): string {
  if (machine?.dataDir !== ctx.dataDir)
    machine = { dataDir: ctx.dataDir, zone: cachedSystemTimeZone(path.join(ctx.dataDir, 'cache'), ctx.platform) };
  return machine.zone;
}

/** The settings the extension mirrored into <data dir>/settings.json; {} when there are none. */
export async function readMirroredSettings(ctx: CliContext): Promise<Record<string, unknown>> {
  const file = path.join(ctx.dataDir, 'settings.json');
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    ctx.logger.warn(`${file}: expected a JSON object; using defaults`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') ctx.logger.warn(`${file}: ${errorMessage(err)}; using defaults`);
  }
  return {};
}

export interface Opened {
  settings: CliSettings;
  ledger: Ledger;
  prices: PriceTable;
  /** The ledger's records as the current price settings price them (what every command shows); opened `lazy`, after ledger.load(). */
  records: () => readonly Interaction[];
  /** What the agent-log import found, when it ran. */
  imported?: ImportSummary;
  /** Opened `lazy`: the rollup of the settings' zone, which the import stored through and a report can answer from. */
  rollup?: RollupIndex;
}

/** What every command's import of the agents' logs is given: this run's context, the ledger, the mirrored settings. */
export function importFor(ctx: CliContext, ledger: Ledger, prices: PriceTable, settings: CliSettings): SessionOptions {
  return {
    dataDir: ctx.dataDir,
    env: ctx.env,
    home: ctx.home,
    platform: ctx.platform,
    recorder: new Recorder({ ledger, prices: () => prices }),
    logger: ctx.logger,
    sources: settings.sources,
    // A prompt, a status line or a script runs this over and over: a standing warning is told there once a day.
    told: ctx.stdout.isTTY ? undefined : toldDaily(ctx.dataDir),
  };
}

/**
 * Opens the ledger and, unless `scan` is false, first imports what the agents' logs gained since the
 * last run (everything, on a fresh machine), so the figures include the latest interactions.
 */
export async function openForCli(
  ctx: CliContext,
  opts: {
    scan: boolean;
    budget?: number;
    tz?: string;
    lazy?: boolean;
    /** Whether `imported.sources` is wanted (per-agent status, which `status` alone prints: it costs a count). */
    sources?: boolean;
  },
): Promise<Opened> {
  const settings = await cliSettings(ctx, opts);
  // lazy: a command answered from the rollup reads no record unless the import has news to store.
  // Its id index lets the import store news without reading the ledger's records either.
  const rollup = opts.lazy ? commandRollup(ctx.dataDir, settings.timeZone) : undefined;
  const ledger = await openLedger({
    dir: ctx.dataDir,
    logger: ctx.logger,
    ownsDir: !ctx.env.UNMETERED_HOME,
    lazy: opts.lazy,
    index: rollup && (() => rollup),
  });
  const prices = loadPriceTable({ overrides: settings.prices, logger: ctx.logger });
  let imported: ImportSummary | undefined;
  if (opts.scan) {
    ctx.answer?.expectScan();
    const progress = progressLine(ctx.stderr, ctx.env);
    try {
      const summary = (imported = await importAgentLogs({
        ...importFor(ctx, ledger, prices, settings),
        onProgress: progress.update,
        // Per-agent status, only where it is shown: it counts the ledger's records, unless the rollup (lazy) counts them.
        sourcesInSummary: !!opts.sources,
        logCounts: rollup && (() => logCountsFrom(rollup)),
        watch: ctx.answer,
      }));
      progress.done();
      ctx.answer?.imported();
      if (summary.filesRead > 0 && summary.threads === 0) ctx.codePath?.('read');
      // Told to a person at a terminal, and after an import long enough to be waited for (a first one). A shell prompt,
      // a status line or a script that runs the command after each agent turn is not told of every line stored: the
      // note went to the terminal under every prompt.
      if (summary.written > 0 && (ctx.stdout.isTTY === true || summary.durationMs >= SHOW_AFTER_MS))
        ctx.logger.info(
          `imported ${plural(summary.written, 'interaction')} from ${plural(summary.filesRead, 'agent log file')}` +
            ` in ${(summary.durationMs / 1000).toFixed(1)} s`,
        );
    } catch (err) {
      progress.done();
      // A full or read-only disk must not hide what is already stored: report that, and say why the
      // news is missing (offsets are saved only past stored records, so the next run imports it).
      if (err instanceof UnmeteredError && err.code === 'E_LEDGER_WRITE') {
        ctx.logger.warn(`could not store what the agents' logs gained (${err.message}); showing what the ledger already holds`);
      } else {
        await ledger.close();
        throw err;
      }
    }
  }
  return { settings, ledger, prices, records: () => currentlyPriced(ledger.records(), prices), imported, rollup };
}
