/**
 * What the CLI and the extension call: the resource this process reports as, the privacy mapping, and
 * the SDK transport, loaded on first use. A long-running process (the extension, `telemetry --watch`)
 * runs passes on a timer with bounded back-off when the collector refuses or is unreachable.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Clock, Logger } from '../../ports';
import type { BudgetStatus } from '../../budgets/evaluate';
import { loadOrCreateSalt, pseudonym } from '../../report/summary/pseudonym';
import type { TelemetryConfig } from './config';
import { exportPass, type PassResult, type Transport } from './exporter';
import type { Attributes } from './records';

/** One per process, so parallel processes (editor windows, a CLI) never fold into one delta series. */
const INSTANCE_ID = randomUUID();

export interface SessionOptions {
  config: TelemetryConfig;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  version: string;
  priceTable: string;
  copilotBilledPerToken: boolean;
  budgets?: () => readonly BudgetStatus[];
  /** Tests give their own; otherwise the SDK's exporters (sdk.ts). */
  transport?: Transport;
  /** The login name hashed into user.id when no userId is set; tests pin it. */
  loginName?: string;
}

export interface Identity {
  key: Buffer;
  resource: Attributes;
}

/**
 * The resource: OTEL_RESOURCE_ATTRIBUTES first, then what Unmetered fixes (service.*, user.id, team; the
 * transport adds service.instance.id per batch),
 * which they may not override: an organisation's dashboards group by these.
 */
async function identity(o: Pick<SessionOptions, 'config' | 'dataDir' | 'version' | 'loginName'>): Promise<Identity> {
  const c = o.config;
  const key = c.hashKey !== null ? Buffer.from(c.hashKey, 'utf8') : await loadOrCreateSalt(o.dataDir);
  const login = o.loginName ?? safeLogin();
  const user = c.userId ?? `user-${createHmac('sha256', key).update(login, 'utf8').digest('hex').slice(0, 16)}`;
  const resource: Attributes = {
    ...c.resource,
    'service.name': 'unmetered',
    'service.version': o.version,
    'user.id': user,
  };
  if (c.team) resource['unmetered.team'] = c.team;
  return { key, resource };
}

function safeLogin(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function projectMapper(c: TelemetryConfig, key: Buffer): (name: string | null) => string | null {
  if (c.projects === 'drop') return () => null;
  if (c.projects === 'keep') return (n) => n;
  const seen = new Map<string, string>();
  return (n) => {
    if (n === null) return null;
    let p = seen.get(n);
    if (p === undefined) seen.set(n, (p = pseudonym(n, key)));
    return p;
  };
}

export interface ExportSession {
  pass(): Promise<PassResult>;
  close(): Promise<void>;
}

export async function openExportSession(o: SessionOptions): Promise<ExportSession> {
  const id = await identity(o);
  const c = o.config;
  const transport =
    o.transport ??
    // A separate chunk in the bundles (esbuild.mjs): required here, on first export, and nowhere else.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./sdk') as typeof import('./sdk')).createSdkTransport({
      logsUrl: c.logsUrl,
      metricsUrl: c.metricsUrl,
      headers: c.headers,
      timeoutMs: c.timeoutMs,
      resource: id.resource,
      version: o.version,
    });
  const project = projectMapper(c, id.key);
  let running: Promise<PassResult> | null = null;
  return {
    pass: () =>
      (running ??= exportPass({
        dataDir: o.dataDir,
        endpoint: c.logsUrl,
        transport,
        batchSize: c.batchSize,
        instance: INSTANCE_ID,
        clock: o.clock,
        logger: o.logger,
        budgets: o.budgets,
        project,
        allow: c.allow,
        copilotBilledPerToken: o.copilotBilledPerToken,
        priceTable: o.priceTable,
      }).finally(() => (running = null))),
    close: () => transport.shutdown(),
  };
}

/** Seconds to wait after `failures` failed passes in a row: the interval, doubling, at most an hour. */
export function backoffSeconds(intervalSeconds: number, failures: number): number {
  return Math.min(3600, intervalSeconds * 2 ** Math.min(failures, 12));
}

/**
 * Runs passes until stopped: every interval, sooner when `nudge()` says the ledger grew, later after
 * failures (bounded back-off). Never throws: an error is logged once per change of message.
 */
export function runPeriodically(session: ExportSession, intervalSeconds: number, logger: Logger): { nudge(): void; stop(): Promise<void> } {
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let lastError = '';
  const tick = async () => {
    timer = null;
    const r = await session.pass().catch((e: Error) => ({ error: e.message, sent: 0 }) as PassResult);
    if (r.error) {
      failures++;
      if (r.error !== lastError) logger.warn(`telemetry export: ${r.error}; the backlog is kept and sent when the collector takes it`);
      lastError = r.error;
    } else {
      if (failures > 0) logger.info(`telemetry export: the collector takes events again`);
      failures = 0;
      lastError = '';
    }
    if (!stopped) timer = setTimeout(() => void tick(), backoffSeconds(intervalSeconds, failures) * 1000);
  };
  timer = setTimeout(() => void tick(), 1000);
  return {
    nudge() {
      if (stopped || failures > 0 || !timer) return;
      clearTimeout(timer);
      timer = setTimeout(() => void tick(), 1000);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await session.close();
    },
  };
}
