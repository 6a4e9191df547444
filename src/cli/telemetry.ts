/**
 * `unmetered telemetry`: sends the ledger to an OpenTelemetry collector over OTLP/HTTP (what the
 * collector has not accepted yet; see src/core/otlp/export), once or, with --watch, every interval;
 * with --prometheus PORT it also serves a Prometheus scrape endpoint on loopback.
 */
import { evaluateBudgets, type BudgetStatus } from '../core/budgets/evaluate';
import { spendsOf } from '../core/aggregate/budgets';
import { normaliseTelemetry } from '../core/otlp/export/config';
import { openExportSession, runPeriodically } from '../core/otlp/export/session';
import { prometheusText, servePrometheus } from '../core/otlp/export/prometheus';
import { plural } from './args';
import { EXIT, UsageError, type CliContext } from './context';
import { parseCommand } from './options';
import { openForCli, readMirroredSettings, type Opened } from './setup';
import { entriesFromRollup } from './aggregate';
import { specOf } from './specs';

export interface TelemetryCliContext extends CliContext {
  /** Stops --watch / --prometheus (tests); without it SIGINT and SIGTERM do. */
  signal?: AbortSignal;
  /** Told the scrape port once it listens (tests use --prometheus 0). */
  onListening?: (port: number) => void;
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

export async function telemetryCommand(args: string[], ctx: TelemetryCliContext): Promise<number> {
  const { values } = parseCommand(specOf('telemetry')!, args);
  let promPort: number | null = null;
  if (typeof values.prometheus === 'string') {
    promPort = /^\d+$/.test(values.prometheus) ? Number(values.prometheus) : NaN;
    if (!(promPort === 0 || (promPort >= 1024 && promPort <= 65535)))
      throw new UsageError(
        `--prometheus: expected a port from 1024 to 65535 (or 0 for any free port), got ${JSON.stringify(values.prometheus)}`,
      );
  }
  const mirrored = await readMirroredSettings(ctx);
  const raw = typeof mirrored.telemetry === 'object' && mirrored.telemetry !== null ? (mirrored.telemetry as Record<string, unknown>) : {};
  const { value: config, warnings } = normaliseTelemetry(
    { ...raw, ...(typeof values.endpoint === 'string' ? { endpoint: values.endpoint } : {}) },
    ctx.env,
  );
  for (const w of warnings) ctx.logger.warn(w);
  const otlp = values['no-otlp'] !== true;
  const watch = values.watch === true || promPort !== null;
  if (!otlp && promPort === null) throw new UsageError('--no-otlp: only with --prometheus PORT (otherwise there is nothing to do)');

  // lazy: an OTLP pass reads the ledger's lines after its cursor itself, and the budgets it reports come from the
  // rollup, so no stored record is read at open. Prometheus' scrapes are built from every record.
  const lazy = promPort === null;
  const opened = await openForCli(ctx, { scan: values['no-scan'] !== true, lazy });
  const { ledger, settings, prices } = opened;
  const copilotBilledPerToken = (mirrored.copilot as { billedPerToken?: unknown } | undefined)?.billedPerToken === true;
  // Evaluated before each pass, as the extension does: the session asks for them while it sends.
  let budgetsNow: readonly BudgetStatus[] = [];
  const budgets = () => budgetsNow;
  const refreshBudgets = async () => {
    budgetsNow = await budgetsOf(ctx, opened, lazy);
  };
  const session = otlp
    ? await openExportSession({
        config,
        dataDir: ctx.dataDir,
        clock: ctx.clock,
        logger: ctx.logger,
        version: VERSION,
        priceTable: prices.version,
        copilotBilledPerToken,
        budgets,
      })
    : null;
  try {
    if (!watch) {
      await refreshBudgets();
      const r = await session!.pass();
      if (values.json === true) ctx.stdout.write(JSON.stringify({ endpoint: config.logsUrl, ...r }, null, 2) + '\n');
      else if (r.busy) ctx.stderr.write('unmetered telemetry: another Unmetered process is exporting to this collector; nothing to do\n');
      else
        ctx.stderr.write(
          `unmetered telemetry: sent ${plural(r.sent, 'interaction')} in ${plural(r.batches, 'batch', 'batches')}` +
            ` to ${config.logsUrl}${r.error ? `; stopped: ${r.error} (the rest is sent next time)` : ''}\n`,
        );
      return r.error ? EXIT.failure : EXIT.ok;
    }
    const loop = session
      ? runPeriodically(
          { pass: async () => (await refreshBudgets(), session.pass()), close: () => session.close() },
          config.intervalSeconds,
          ctx.logger,
        )
      : null;
    const prom =
      promPort === null
        ? null
        : await servePrometheus(promPort, async () => {
            await refreshBudgets();
            return prometheusText(opened.records(), { timeZone: settings.timeZone, copilotBilledPerToken, budgets: budgets() });
          });
    if (prom) {
      ctx.stderr.write(`unmetered telemetry: Prometheus metrics at http://127.0.0.1:${prom.port}/metrics (days in ${settings.timeZone})\n`);
      ctx.onListening?.(prom.port);
    }
    if (loop)
      ctx.stderr.write(`unmetered telemetry: exporting to ${config.logsUrl} every ${config.intervalSeconds} s. Stop with Ctrl-C.\n`);
    await untilStopped(ctx);
    await prom?.close();
    await loop?.stop();
    return EXIT.ok;
  } finally {
    if (!watch) await session?.close();
    await ledger.close();
  }
}

/**
 * The budgets as of now: from the rollup when it answers alone (no stored record read), else from every record,
 * brought up to date (what the rollup cannot answer, and what a Prometheus scrape serves).
 */
async function budgetsOf(ctx: CliContext, opened: Opened, lazy: boolean): Promise<readonly BudgetStatus[]> {
  const { settings, prices, ledger } = opened;
  const o = { now: ctx.clock.now(), timeZone: settings.timeZone, settings: settings.budgets };
  const entries = lazy ? await entriesFromRollup(ctx.dataDir, prices, settings.timeZone, ctx.logger, opened.rollup) : null;
  if (entries) return evaluateBudgets(spendsOf(entries), o);
  await ledger.load();
  await ledger.refresh();
  return evaluateBudgets(opened.records(), o);
}

/** Until the test's signal aborts, or else SIGINT or SIGTERM arrives. */
function untilStopped(ctx: TelemetryCliContext): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ctx.signal) {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
