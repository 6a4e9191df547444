/**
 * `unmetered gateway`: the metering gateway, headless, recording into the same ledger as the extension.
 * Runs until SIGINT/SIGTERM (or the context's signal). Exit codes: 0 stopped cleanly, 1 could not serve
 * (port taken, ledger unreadable), 2 bad arguments.
 */
import { createGateway, hostGateway, loadGatewaySecret, type Gateway, type GatewayConfig } from '../core/gateway';
import {
  gatewayConfigOf,
  isLocalModelName,
  normaliseBaseUrl,
  normaliseGatewaySettings,
  normaliseLocalServer,
  DEFAULT_GATEWAY_PORT,
} from '../core/gateway/settings';
import { openLedger, type Ledger } from '../core/ledger';
import { createBudgetGate } from '../core/budgets/gate';
import { createOtlpReceiver, telemetryJoin, type OtlpReceiver } from '../core/otlp';
import { currentlyPriced, loadPriceTable } from '../core/pricing';
import { Recorder } from '../core/record/recorder';
import { formatUSD } from '../core/money';
import type { Interaction } from '../core/interaction';
import { parse } from './args';
import { BACKENDS, type LocalKind } from '../core/local/backend';
import { createBackend } from '../core/local/servers';
import { notLocalReason, notOfferedReason } from '../core/local/where';
import { errorMessage } from '../core/errors';
import { EXIT, UsageError, type CliContext } from './context';
import { cliSettings } from './setup';

const SLOW_BATCH_MS = 500;

export interface GatewayCliContext extends CliContext {
  /** Stops the gateway (tests); without it SIGINT and SIGTERM do. */
  signal?: AbortSignal;
  /** Told the port once the gateway listens (tests use --port 0). */
  onListening?: (port: number) => void;
}

function urlFlag(flag: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const r = normaliseBaseUrl(`--${flag}`, v, '');
  if (r.warnings.length > 0) throw new UsageError(`--${flag}: expected an http:// or https:// URL, got ${JSON.stringify(v)}`);
  return r.value;
}

export async function gatewayCommand(args: string[], ctx: GatewayCliContext): Promise<number> {
  const { port, config } = parseGatewayFlags(args);
  if (config.route === 'local' && config.localModel) {
    const local = localOf(config);
    await warnIfNotOffered(config.localModel, local.kind, local.host, ctx);
  }
  const session = await CliGateway.open(config, ctx);
  try {
    return await session.run(port ?? DEFAULT_GATEWAY_PORT);
  } finally {
    await session.close();
  }
}

/** The flags, checked: a bad one is a UsageError (exit 2) before anything is opened. */
function parseGatewayFlags(args: string[]): { port: number | undefined; config: GatewayConfig } {
  const { values } = parse(args, {
    port: { type: 'string' },
    route: { type: 'string' },
    'local-model': { type: 'string' },
    'anthropic-upstream': { type: 'string' },
    'openai-upstream': { type: 'string' },
    'ollama-host': { type: 'string' },
    'local-server': { type: 'string' },
    'lmstudio-host': { type: 'string' },
    'llamacpp-host': { type: 'string' },
  });
  let port: number | undefined;
  if (values.port !== undefined) {
    port = /^\d+$/.test(values.port) ? Number(values.port) : NaN;
    if (!(port === 0 || (port >= 1024 && port <= 65535)))
      throw new UsageError(
        `--port: expected a port number from 1024 to 65535 (or 0 for any free port), got ${JSON.stringify(values.port)}`,
      );
  }
  if (values.route !== undefined && values.route !== 'cloud' && values.route !== 'local')
    throw new UsageError(`--route: expected cloud or local, got ${JSON.stringify(values.route)}`);
  const server = localServerFlag(values['local-server']);
  const localModel = values['local-model'];
  if (localModel !== undefined && !isLocalModelName(localModel, server))
    throw new UsageError(
      server === 'ollama'
        ? `--local-model: expected an Ollama model name such as qwen3-coder:30b, got ${JSON.stringify(localModel)}`
        : `--local-model: expected the model's name as ${BACKENDS[server].label} lists it, got ${JSON.stringify(localModel)}`,
    );
  if (values.route === 'local' && !localModel)
    throw new UsageError(
      `--local-model: expected the ${BACKENDS[server].label} model to serve requests with --route local ` +
        `(e.g. --local-model ${EXAMPLE_MODEL[server]})`,
    );
  // The extension's settings, by the same normaliser: the CLI picks the local server as the extension does.
  const { value: settingsValue } = normaliseGatewaySettings({
    route: values.route,
    localModel,
    localServer: server,
    'gateway.anthropicUpstream': urlFlag('anthropic-upstream', values['anthropic-upstream']),
    'gateway.openaiUpstream': urlFlag('openai-upstream', values['openai-upstream']),
    'ollama.host': urlFlag('ollama-host', values['ollama-host']),
    'lmstudio.host': urlFlag('lmstudio-host', values['lmstudio-host']),
    'llamacpp.host': urlFlag('llamacpp-host', values['llamacpp-host']),
  });
  const config: GatewayConfig = gatewayConfigOf(settingsValue);
  return { port, config };
}

/** One run of the headless gateway: the ledger it records into, its budget gate, its OTLP receiver. */
class CliGateway {
  private constructor(
    private readonly ctx: GatewayCliContext,
    private readonly config: GatewayConfig,
    private readonly ledger: Ledger,
    private readonly recorder: Recorder,
    private readonly join: ReturnType<typeof telemetryJoin>,
    private readonly otlp: OtlpReceiver,
    private readonly gateway: Gateway,
    private readonly secret: Buffer,
  ) {}

  static async open(config: GatewayConfig, ctx: GatewayCliContext): Promise<CliGateway> {
    const settings = await cliSettings(ctx);
    const prices = loadPriceTable({ overrides: settings.prices, logger: ctx.logger });
    const ledger = await openLedger({ dir: ctx.dataDir, logger: ctx.logger });
    // Group commit: interactions answered while a batch is being written go out together in the next one.
    // Durability lags by up to two batch writes: it says so when one is slow (a busy disk, an overloaded machine).
    const recorder = new Recorder({
      ledger,
      prices: () => prices,
      logger: ctx.logger,
      slowBatchMs: SLOW_BATCH_MS,
      onWritten: (written) => written.forEach((p) => ctx.logger.info(recordedLine(p))),
    });
    // The month's segment is ready before the first answer, so the first batch is as quick as the rest.
    await ledger.prepare(new Date(ctx.clock.now()).toISOString());
    const secret = await loadGatewaySecret(ctx.dataDir);
    // Budgets as the extension mirrored them; other processes' appends (log imports, other gateways) are read in.
    const gate = createBudgetGate({
      records: async () => {
        await ledger.refresh();
        return currentlyPriced(ledger.records(), prices);
      },
      settings: () => settings.budgets,
      timeZone: () => settings.timeZone,
      clock: ctx.clock,
      logger: ctx.logger,
      onChange: (s) => {
        if (s.capped)
          ctx.logger.warn(
            `budgets: the ${s.capped.budget.kind} budget is used up; ` +
              `cloud requests are ${s.capped.action === 'fallback' ? 'served with the local model' : 'refused'}`,
          );
      },
    });
    // The agents' telemetry (OTLP/HTTP /v1/logs, /v1/metrics) is received on the same port, as in the extension.
    const join = telemetryJoin({
      stored: () => ledger.records(),
      record: async (batch) => void (await Promise.all(batch.map((i) => recorder.record(i)))),
      logger: ctx.logger,
    });
    const otlp = createOtlpReceiver({ onInteractions: (items) => join.offer(items), clock: ctx.clock, logger: ctx.logger });
    const gateway = createGateway({
      config: () => config,
      onInteraction: async (i) => {
        await recorder.record(i);
        gate.invalidate();
      },
      budget: gate,
      clock: ctx.clock,
      logger: ctx.logger,
      version: 'cli',
      secret,
      otlp,
    });
    return new CliGateway(ctx, config, ledger, recorder, join, otlp, gateway, secret);
  }

  /** Serves on `wanted` (0: any free port) until stopped; EXIT.failure when another process holds the port. */
  async run(wanted: number): Promise<number> {
    const { ctx } = this;
    if (wanted === 0) return await this.serve(await this.gateway.listen(0));
    const host = hostGateway({ gateway: this.gateway, port: wanted, logger: ctx.logger, secret: this.secret });
    const s = await host.ready;
    if (s.role === 'owner') {
      try {
        return await this.serve(wanted);
      } finally {
        await host.stop();
      }
    }
    await host.stop();
    if (s.role === 'follower') {
      ctx.stderr.write(
        `unmetered gateway: an Unmetered gateway already serves port ${wanted} (pid ${s.owner.pid}, route ${s.owner.route}); ` +
          'agents can use it as it is, or choose another --port\n',
      );
    } else if (s.role === 'blocked') {
      ctx.stderr.write(`unmetered gateway: ${s.error}\n`);
    }
    return EXIT.failure;
  }

  /** Closes in order: no new request, then the receiver, then what waits to be written. */
  async close(): Promise<void> {
    await this.gateway.close();
    await this.otlp.flushMetrics();
    this.otlp.dispose();
    await this.join.flush();
    this.join.dispose();
    await this.recorder.flush();
    await this.ledger.close();
  }

  private async serve(p: number): Promise<number> {
    const { ctx, config } = this;
    const base = `http://127.0.0.1:${p}`;
    const where = localOf(config);
    const local = config.route === 'local' ? `, model ${config.localModel} on ${BACKENDS[where.kind].label} at ${where.host}` : '';
    ctx.stderr.write(
      [
        `unmetered gateway: listening on ${base} (route ${config.route}${local})`,
        `  Claude Code:  ANTHROPIC_BASE_URL=${base} claude`,
        `  Codex:        codex -c openai_base_url="${base}/v1"`,
        `  Telemetry:    OTLP/HTTP ${base}/v1/logs and /v1/metrics (Copilot Chat, Claude Code, Gemini CLI, Codex)`,
        `  Recording into ${ctx.dataDir}. Stop with Ctrl-C.`,
        '',
      ].join('\n'),
    );
    ctx.onListening?.(p);
    await stopRequested(ctx.signal);
    await this.gateway.settled();
    return EXIT.ok;
  }
}

/** Resolves when `signal` aborts, or without one on SIGINT or SIGTERM. */
function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal) {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** The log line of one recorded interaction. */
function recordedLine(priced: Interaction): string {
  const money = priced.route === 'local' ? `saved ${formatUSD(priced.avoidedNanos)}` : formatUSD(priced.costNanos);
  const t = priced.tokens;
  const input = t.input + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h;
  return (
    `${priced.agent} ${priced.model}${priced.replaces ? ` (for ${priced.replaces})` : ''}: ` +
    `${input} in, ${t.output} out, ${money}${priced.estimated ? ' (estimated)' : ''}`
  );
}

/** The local server the config names; Ollama at its host when none is named. */
function localOf(config: GatewayConfig): { kind: LocalKind; host: string } {
  return config.localServer ?? { kind: 'ollama', host: config.ollamaHost };
}

const EXAMPLE_MODEL: Record<LocalKind, string> = {
  ollama: 'qwen3-coder:30b',
  lmstudio: 'qwen/qwen3-coder-30b',
  llamacpp: 'the id llama-server lists',
};

function localServerFlag(v: string | undefined): LocalKind {
  const r = normaliseLocalServer(v);
  if (r.warnings.length > 0) throw new UsageError(`--local-server: expected ollama, lmstudio or llamacpp, got ${JSON.stringify(v)}`);
  return r.value;
}

/**
 * Says on stderr why the chosen local model would not be offered (not local, no tools, a small window, not
 * on the server, the server not running: with what to do, e.g. that LM Studio and llama-server cannot be
 * made to pull it); the gateway still serves, and answers each request with the server's own error.
 */
async function warnIfNotOffered(model: string, kind: LocalKind, host: string, ctx: CliContext): Promise<void> {
  const remote = notLocalReason(model, host, kind);
  if (remote) return ctx.logger.warn(`${remote}: its interactions are recorded as cloud, not as spend avoided`);
  const server = createBackend(kind, host, { timeoutMs: 2_000 });
  let details = null;
  try {
    details = await server.show(model);
  } catch (err) {
    // Each server's message says what to do (pull it, `lms get` it, restart llama-server with -m).
    return ctx.logger.warn(`${model} cannot be served yet: ${errorMessage(err)}`);
  }
  const why = notOfferedReason(model, host, details, kind);
  if (why) ctx.logger.warn(`${model} is not suited to the local route: ${why}`);
}
