/**
 * The switch: runs (or follows) the metering gateway, offers Cloud / Local: <model> / Pull / Route my agents
 * in the status bar menu, and points agents at the gateway on request. Everything that can be decided
 * without VS Code lives in core (gateway, local/ollama, gateway/agents); this file only applies it.
 */
import * as vscode from 'vscode';
import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { ensureDir } from '../core/privateFs';
import {
  CLAUDE_BASE_URL_VAR,
  CODEX_PROFILE,
  codexFlag,
  createGateway,
  gatewayUrl,
  hasCodexProfile,
  hostGateway,
  loadGatewaySecret,
  isClaudeCodeRouted,
  withClaudeCodeRoute,
  withCodexProfile,
  withoutClaudeCodeRoute,
  withoutCodexProfile,
  type GatewayHost,
  type GatewayOptions,
  type GatewaySettings,
  type HostState,
} from '../core/gateway';
import { gatewayConfigOf, isModelName } from '../core/gateway/settings';
import { createOllama } from '../core/local/ollama';
import { localCandidates, notLocalReason } from '../core/local/where';
import { describeModel, describePull } from '../core/local/describe';
import { localHosts } from '../core/gateway/settings';
import { createBackend } from '../core/local/servers';
import type { LocalKind } from '../core/local/backend';
import { localMenuItems } from './localMenu';
import { UnmeteredError } from '../core/errors';
import type { MenuItem, Services } from './services';

const ROUTING_COMMANDS = {
  useCloud: 'unmetered.useCloud',
  useLocal: 'unmetered.useLocalModel',
  pullModel: 'unmetered.pullModel',
  routeAgents: 'unmetered.routeAgents',
  showRouting: 'unmetered.showRouting',
  undoRouting: 'unmetered.undoRouting',
} as const;

const TERMINAL_STATE = 'unmetered.routing.terminals';
/** Set when the Codex flag was copied: an agent may be pointed at the gateway by hand. */
const CODEX_FLAG_STATE = 'unmetered.routing.codexFlag';
/** How often a window re-checks whether the gateway is needed (another window may have routed an agent). */
const NEED_CHECK_MS = 60_000;
const SUGGESTED_MODELS = ['qwen3-coder:30b', 'gpt-oss:20b', 'devstral:24b', 'qwen2.5-coder:7b'];

/** What another feature (telemetry.ts) adds to the gateway: its OTLP receiver, and a reason to listen. */
export interface GatewayGuests {
  otlp: NonNullable<GatewayOptions['otlp']>;
  needed(): string | null;
  onDidChangeNeed: vscode.Event<void>;
}

export function registerRouting(services: Services, guests?: GatewayGuests): vscode.Disposable {
  const routing = new Routing(services, guests);
  return new vscode.Disposable(() => routing.dispose());
}

/** The switch's state (settings, the gateway host, what needs it) and one method per command and handler. */
class Routing {
  private readonly context: vscode.ExtensionContext;
  private readonly logger: Services['logger'];
  private readonly disposables: vscode.Disposable[] = [];
  private settings: GatewaySettings;
  // The gateway reads `settings` on every request: a switch applies to the next one, nothing restarts.
  // It listens only while something needs it (see whyGatewayNeeded): an idle port is noise in every
  // window's "port forwarded" notification, and an attack surface for nothing.
  private host: GatewayHost | undefined;
  private needWhy: string | null = null;
  // The secret that proves to other windows and the CLI that a gateway on the port is ours (loaded once).
  private readonly secret: ReturnType<typeof loadGatewaySecret>;
  private generation = 0;
  private disposed = false;
  /** Whether this window means to run the gateway (it starts once the secret is loaded). */
  private wanted = false;
  private reconciling = Promise.resolve();
  private readonly env: vscode.GlobalEnvironmentVariableCollection;

  constructor(
    private readonly services: Services,
    private readonly guests?: GatewayGuests,
  ) {
    this.context = services.context;
    this.logger = services.logger;
    this.settings = this.read();
    this.secret = loadGatewaySecret(services.dataDir);
    const needTimer = setInterval(() => void this.reconcile(), NEED_CHECK_MS);
    this.disposables.push({ dispose: () => clearInterval(needTimer) });
    if (guests) this.disposables.push(guests.onDidChangeNeed(() => void this.reconcile()));
    this.paint();
    void this.reconcile();

    // Terminals: keep ANTHROPIC_BASE_URL in step with the port, writing only on a real change (a write makes
    // VS Code ask to relaunch every used terminal).
    this.env = this.context.environmentVariableCollection;
    this.env.description = 'Unmetered: routes Claude Code through the local metering gateway';
    this.syncTerminals();
    this.register();
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.disposables) d.dispose();
    void this.host?.stop();
  }

  private register(): void {
    this.disposables.push(
      this.services.settings.onDidChange((e) => this.onSettingsChange(e)),
      vscode.commands.registerCommand(ROUTING_COMMANDS.useCloud, () => this.useCloud()),
      vscode.commands.registerCommand(ROUTING_COMMANDS.useLocal, (model?: string, kind?: LocalKind) => this.useLocal(model, kind)),
      vscode.commands.registerCommand(ROUTING_COMMANDS.pullModel, (model?: string) => this.pull(model)),
      vscode.commands.registerCommand(ROUTING_COMMANDS.routeAgents, () => this.routeAgents()),
      vscode.commands.registerCommand(ROUTING_COMMANDS.showRouting, () => this.showRouting()),
      vscode.commands.registerCommand(ROUTING_COMMANDS.undoRouting, () => this.undoRouting()),
      this.services.addMenuSection('Route', 0, () => this.menu()),
    );
  }

  // The settings module validates and logs; this keeps the value the running gateway reads on each request.
  private read(): GatewaySettings {
    return this.services.settings.current.gateway;
  }

  private ollama() {
    return createOllama({ host: this.settings.ollamaHost });
  }

  /** The server that serves the chosen local model (or `kind`). */
  private server(kind: LocalKind = this.settings.localServer) {
    return createBackend(kind, localHosts(this.settings)[kind]);
  }

  private start(): void {
    const g = ++this.generation;
    this.secret.then(
      (key) => {
        if (g !== this.generation || this.disposed) return;
        const gateway = createGateway({
          config: () => gatewayConfigOf(this.settings),
          onInteraction: (i) => this.services.record(i),
          budget: this.services.budgetGate,
          logger: this.logger,
          version: extensionVersion(this.context),
          secret: key,
          otlp: this.guests?.otlp,
        });
        this.host = hostGateway({ gateway, port: this.settings.port, logger: this.logger, secret: key, onChange: () => this.paint() });
        this.paint();
      },
      (err: Error) => this.logger.error(`gateway: not started: ${err.message}`),
    );
  }

  /** Why this window should run (or stand by for) the gateway, or null when nothing needs it. */
  private async whyGatewayNeeded(): Promise<string | null> {
    if (this.services.settings.current.gatewayListen === 'always') return 'unmetered.gateway.listen is "always"';
    const s = await this.routedState();
    if (s.terminals || s.claudeExt || s.codexProfile) return 'agents are routed through it';
    if (this.context.globalState.get<boolean>(CODEX_FLAG_STATE, false)) return 'the Codex flag was copied';
    if (this.settings.route === 'local') return 'the local route is on';
    return this.guests?.needed() ?? null;
  }

  /** Starts or stops the gateway to match what needs it; serialised so two calls never race. */
  private reconcile(): Promise<void> {
    return (this.reconciling = this.reconciling.then(async () => {
      this.needWhy = await this.whyGatewayNeeded().catch((err) => {
        this.logger.warn(`could not tell whether the gateway is needed: ${(err as Error).message}`);
        return this.needWhy;
      });
      if (this.needWhy && !this.wanted) {
        this.logger.info(`gateway: starting (${this.needWhy})`);
        this.wanted = true;
        this.start();
      } else if (!this.needWhy && this.wanted) {
        this.logger.info('gateway: stopping, nothing is routed through it');
        await this.stopGateway();
      }
      this.paint();
    }));
  }

  /** Stops the gateway, and a start still waiting for the secret. */
  private async stopGateway(): Promise<void> {
    this.wanted = false;
    this.generation++;
    const h = this.host;
    this.host = undefined;
    await h?.stop();
  }

  private paint(): void {
    const settings = this.settings;
    this.services.setStatusExtras(
      settings.route === 'local'
        ? { routeIcon: '$(vm)', routeLabel: `local: ${settings.localModel ?? 'no model chosen'}` }
        : { routeIcon: '$(cloud)', routeLabel: 'cloud' },
    );
    this.services.setTooltipSection('routing', tooltip(this.host?.state(), settings, this.context, this.needWhy));
  }

  private syncTerminals(): void {
    const on = this.context.globalState.get<boolean>(TERMINAL_STATE, false);
    const want = gatewayUrl(this.settings.port);
    const have = this.env.get(CLAUDE_BASE_URL_VAR)?.value;
    if (on && have !== want) this.env.replace(CLAUDE_BASE_URL_VAR, want);
    if (!on && have !== undefined) this.env.delete(CLAUDE_BASE_URL_VAR);
  }

  private async onSettingsChange(e: vscode.ConfigurationChangeEvent): Promise<void> {
    const ours = [
      'unmetered.route',
      'unmetered.localModel',
      'unmetered.localServer',
      'unmetered.ollama',
      'unmetered.lmstudio',
      'unmetered.llamacpp',
    ];
    if (![...ours, 'unmetered.gateway'].some((s) => e.affectsConfiguration(s))) return;
    const before = this.settings;
    this.settings = this.read();
    if (this.settings.port !== before.port) {
      await this.stopGateway();
      this.syncTerminals();
      await this.followPort(before.port);
    }
    await this.reconcile();
  }

  private async menu(): Promise<MenuItem[]> {
    const current = (here: boolean) => (here ? '$(check) ' : '');
    const items: MenuItem[] = [
      {
        label: `${current(this.settings.route === 'cloud')}$(cloud) Cloud (metered)`,
        description: 'agents reach their vendor',
        run: () => this.useCloud(),
      },
    ];
    items.push(...(await localMenuItems(this.settings, (model, kind) => this.useLocal(model, kind))));
    if (this.settings.route === 'local') {
      const r = await this.routedState();
      if (!r.terminals && !r.claudeExt && !r.codexProfile) {
        items.push({
          label: '$(info) No agent is routed yet',
          description: 'Claude Code and Codex still reach the cloud: route them…',
          run: () => this.routeAgents(),
        });
      }
    }
    items.push(
      { label: '$(cloud-download) Pull a model…', run: () => this.pull() },
      { label: '$(plug) Route my agents through Unmetered…', run: () => this.routeAgents() },
      { label: '$(list-unordered) Show what is routed (and undo)…', run: () => this.showRouting() },
    );
    return items;
  }

  private async setRoute(route: 'cloud' | 'local', model?: string, kind?: LocalKind): Promise<void> {
    const c = this.services.settings;
    if (kind !== undefined && kind !== this.settings.localServer) await c.update('localServer', kind);
    if (model !== undefined) await c.update('localModel', model);
    await c.update('route', route);
    this.settings = this.read();
    await this.reconcile();
  }

  private async useCloud(): Promise<void> {
    await this.setRoute('cloud');
    void vscode.window.setStatusBarMessage('Unmetered: agents routed through Unmetered now reach the cloud (metered).', 4000);
  }

  private async useLocal(model?: string, kind: LocalKind = this.settings.localServer): Promise<void> {
    const o = this.server(kind);
    const status = await o.status();
    if (!status.running) return void vscode.window.showErrorMessage(status.error);
    if (!model) {
      const models = await o.list();
      if (models.length === 0) {
        if (!o.puller) return void vscode.window.showInformationMessage(`${o.info.label} has no models yet. ${o.pullUnsupported ?? ''}`);
        const act = await vscode.window.showInformationMessage(`Ollama ${status.version ?? ''} has no models yet.`, 'Pull a model…');
        if (act) await this.pull();
        return;
      }
      const judged = await localCandidates(o, models);
      const pick = await vscode.window.showQuickPick(
        judged.map(({ model: m, reason }) => ({
          label: m.name,
          description: reason ? `not offered: ${reason}` : describeModel(m),
          reason,
        })),
        { title: 'Unmetered: serve agents with which local model?' },
      );
      if (pick?.reason)
        return void vscode.window.showWarningMessage(`Unmetered: ${pick.label} is not offered for the local route: ${pick.reason}.`);
      if (!pick) return;
      model = pick.label;
    }
    const remote = notLocalReason(model, o.host, kind);
    if (remote)
      void vscode.window.showWarningMessage(`Unmetered: ${remote}. Its interactions are recorded as cloud, not as spend avoided.`);
    await this.setRoute('local', model, kind);
    const routed = await this.routedState();
    if (routed.terminals || routed.claudeExt || routed.codexProfile) {
      void vscode.window.setStatusBarMessage(`Unmetered: agents routed through Unmetered now use ${model} (local).`, 4000);
    } else {
      // The switch only moves agents that talk to the gateway: say so, or "local" looks like it took effect.
      void vscode.window
        .showInformationMessage(
          `Unmetered: ${model} is the local model, but no agent is routed through Unmetered yet: Claude Code and Codex still reach the cloud.`,
          'Route My Agents…',
        )
        .then((a) => a && this.routeAgents());
    }
    try {
      const ctx = await o.loadedContextLength(model);
      if (ctx.warning) void vscode.window.showWarningMessage(ctx.warning);
    } catch (err) {
      this.logger.warn(`could not read ${model}'s context length: ${(err as Error).message}`);
    }
  }

  private async pull(model?: string): Promise<void> {
    if (!model) {
      const qp = vscode.window.createQuickPick();
      qp.title = 'Unmetered: pull which model from the Ollama library?';
      qp.placeholder = 'a model name such as qwen3-coder:30b';
      qp.items = SUGGESTED_MODELS.map((label) => ({ label }));
      model = await new Promise<string | undefined>((resolve) => {
        qp.onDidAccept(() => resolve((qp.selectedItems[0]?.label ?? qp.value).trim()));
        qp.onDidHide(() => resolve(undefined));
        qp.show();
      });
      qp.dispose();
      if (!model) return;
    }
    if (!isModelName(model))
      return void vscode.window.showErrorMessage(`Unmetered: "${model}" is not an Ollama model name (expected e.g. qwen3-coder:30b).`);
    const name = model;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Pulling ${name}`, cancellable: true },
        async (progress, token) => {
          const ac = new AbortController();
          token.onCancellationRequested(() => ac.abort());
          let shown = 0;
          await this.ollama().pull(
            name,
            (p) => {
              const pct = p.percent ?? shown;
              progress.report({ increment: Math.max(0, pct - shown), message: describePull(p) });
              shown = Math.max(shown, pct);
            },
            ac.signal,
          );
        },
      );
    } catch (err) {
      // A cancelled or failed pull changes no setting: nothing half-registered.
      if (err instanceof UnmeteredError && err.code === 'E_CANCELLED')
        return void vscode.window.setStatusBarMessage(`Unmetered: pulling ${name} was cancelled.`, 4000);
      return void vscode.window.showErrorMessage((err as Error).message);
    }
    const act = await vscode.window.showInformationMessage(`${name} is ready in Ollama.`, 'Use it now');
    if (act) await this.useLocal(name, 'ollama');
  }

  private codexConfigPath(): string {
    return path.join(process.env.CODEX_HOME || path.join(os.homedir(), '.codex'), 'config.toml');
  }

  private async routeAgents(): Promise<void> {
    const url = gatewayUrl(this.settings.port);
    const picks = await vscode.window.showQuickPick(
      [
        { id: 'terminals', label: 'Claude Code in new terminals', description: `${CLAUDE_BASE_URL_VAR}=${url}`, picked: true },
        // Without the Claude Code extension its setting is not registered and VS Code refuses to write it.
        ...(claudeCodeSettingDeclared()
          ? [
              {
                id: 'claudeExt',
                label: 'Claude Code extension',
                description: `adds ${CLAUDE_BASE_URL_VAR} to the setting claudeCode.environmentVariables`,
                picked: true,
              },
            ]
          : []),
        {
          id: 'codexProfile',
          label: `Codex: a profile "${CODEX_PROFILE}" in ${this.codexConfigPath()}`,
          description: `then run codex --profile ${CODEX_PROFILE}`,
        },
        { id: 'codexFlag', label: 'Codex: copy the command-line flag', description: codexFlag(this.settings.port) },
      ],
      { title: 'Unmetered: route which agents through the metering gateway?', canPickMany: true },
    );
    if (!picks || picks.length === 0) return;
    const want = new Set(picks.map((p) => p.id));
    const writes: string[] = [];
    if (want.has('claudeExt')) writes.push(`the user setting claudeCode.environmentVariables: ${CLAUDE_BASE_URL_VAR}=${url}`);
    if (want.has('codexProfile'))
      writes.push(`${this.codexConfigPath()}: [model_providers.${CODEX_PROFILE}] and [profiles.${CODEX_PROFILE}] pointing at ${url}/v1`);
    if (writes.length) {
      const ok = await vscode.window.showWarningMessage(
        'Unmetered will write:',
        { modal: true, detail: `${writes.map((w) => `• ${w}`).join('\n')}\n\n"Unmetered: Show What Is Routed" undoes it.` },
        'Write',
      );
      if (ok !== 'Write') {
        want.delete('claudeExt');
        want.delete('codexProfile');
      }
    }
    const done: string[] = [];
    if (want.has('terminals')) {
      await this.context.globalState.update(TERMINAL_STATE, true);
      this.syncTerminals();
      done.push('new terminals');
    }
    if (want.has('claudeExt')) {
      const c = vscode.workspace.getConfiguration('claudeCode');
      const r = withClaudeCodeRoute(c.inspect('environmentVariables')?.globalValue, this.settings.port);
      const failed = 'error' in r ? r.error : r.changed ? await writeClaudeCodeEnv(r.value) : null;
      if (failed) void vscode.window.showErrorMessage(failed);
      else done.push('the Claude Code extension (its next session)');
    }
    if (want.has('codexProfile')) {
      const file = this.codexConfigPath();
      const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
      const r = withCodexProfile(text, this.settings.port);
      if ('error' in r) void vscode.window.showErrorMessage(r.error);
      else {
        if (r.changed) await writeAtomically(file, r.text);
        done.push(`Codex with --profile ${CODEX_PROFILE}`);
      }
    }
    if (want.has('codexFlag')) {
      await this.context.globalState.update(CODEX_FLAG_STATE, true);
      await vscode.env.clipboard.writeText(`codex ${codexFlag(this.settings.port)}`);
      done.push('Codex flag copied to the clipboard');
    }
    await this.reconcile();
    if (done.length)
      void vscode.window.showInformationMessage(
        `Unmetered routes: ${done.join('; ')}. Switch cloud/local from the status bar at any time.`,
      );
  }

  private async routedState() {
    const codexText = await readFile(this.codexConfigPath(), 'utf8').catch(() => '');
    return {
      terminals: this.context.globalState.get<boolean>(TERMINAL_STATE, false),
      claudeExt: isClaudeCodeRouted(
        vscode.workspace.getConfiguration('claudeCode').inspect('environmentVariables')?.globalValue,
        this.settings.port,
      ),
      codexProfile: hasCodexProfile(codexText),
    };
  }

  private async showRouting(): Promise<void> {
    const s = await this.routedState();
    const url = gatewayUrl(this.settings.port);
    const lines = [
      `Route: ${this.settings.route === 'local' ? `local (${this.settings.localModel ?? 'no model chosen'})` : 'cloud (metered)'}`,
      `Gateway: ${hostLine(this.host?.state())}`,
      '',
      `Claude Code in new terminals: ${s.terminals ? `${CLAUDE_BASE_URL_VAR}=${url}` : 'not routed'}`,
      `Claude Code extension: ${s.claudeExt ? 'routed (claudeCode.environmentVariables)' : 'not routed'}`,
      `Codex profile "${CODEX_PROFILE}": ${s.codexProfile ? `in ${this.codexConfigPath()}` : 'not written'}`,
      `Codex flag: codex ${codexFlag(this.settings.port)}`,
    ];
    const anything = s.terminals || s.claudeExt || s.codexProfile;
    const act = await vscode.window.showInformationMessage(
      'Unmetered routing',
      { modal: true, detail: lines.join('\n') },
      ...(anything ? ['Undo All Routing'] : []),
      'Copy Codex Flag',
    );
    if (act === 'Undo All Routing') await this.undoRouting();
    if (act === 'Copy Codex Flag') {
      await this.context.globalState.update(CODEX_FLAG_STATE, true);
      await vscode.env.clipboard.writeText(`codex ${codexFlag(this.settings.port)}`);
      await this.reconcile();
    }
  }

  private async undoRouting(port = this.settings.port): Promise<void> {
    const undone: string[] = [];
    if (this.context.globalState.get<boolean>(TERMINAL_STATE, false) || this.env.get(CLAUDE_BASE_URL_VAR)) {
      await this.context.globalState.update(TERMINAL_STATE, false);
      this.syncTerminals();
      undone.push('terminals');
    }
    const c = vscode.workspace.getConfiguration('claudeCode');
    const r = withoutClaudeCodeRoute(c.inspect('environmentVariables')?.globalValue, port);
    if (r.changed) {
      const failed = await writeClaudeCodeEnv(r.value.length ? r.value : undefined);
      if (failed)
        void vscode.window.showErrorMessage(
          `${failed} Remove ${CLAUDE_BASE_URL_VAR} from claudeCode.environmentVariables in your user settings.json by hand.`,
        );
      else undone.push('Claude Code extension');
    }
    const file = this.codexConfigPath();
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text !== null) {
      const w = withoutCodexProfile(text);
      if (w.changed) {
        await writeAtomically(file, w.text);
        undone.push('Codex profile');
      }
    }
    if (this.context.globalState.get<boolean>(CODEX_FLAG_STATE, false)) {
      await this.context.globalState.update(CODEX_FLAG_STATE, false);
      undone.push('Codex flag');
    }
    await this.reconcile();
    void vscode.window.showInformationMessage(
      undone.length ? `Unmetered: routing undone (${undone.join(', ')}).` : 'Unmetered: nothing was routed.',
    );
  }

  /** After a port change, entries written for the old port move to the new one. */
  private async followPort(oldPort: number): Promise<void> {
    const c = vscode.workspace.getConfiguration('claudeCode');
    const current = c.inspect('environmentVariables')?.globalValue;
    if (isClaudeCodeRouted(current, oldPort)) {
      const r = withClaudeCodeRoute(withoutClaudeCodeRoute(current, oldPort).value, this.settings.port);
      const failed = !('error' in r) && r.changed ? await writeClaudeCodeEnv(r.value) : null;
      if (failed) this.logger.warn(failed);
    }
    const file = this.codexConfigPath();
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text !== null && hasCodexProfile(text)) {
      const r = withCodexProfile(text, this.settings.port);
      if (!('error' in r) && r.changed) await writeAtomically(file, r.text);
    }
  }
}

/** Whether an installed extension (Claude Code's) declares claudeCode.environmentVariables: VS Code writes only declared settings. */
function claudeCodeSettingDeclared(): boolean {
  return vscode.extensions.all.some((e) => {
    const c: unknown = (e.packageJSON as { contributes?: { configuration?: unknown } } | undefined)?.contributes?.configuration;
    return (Array.isArray(c) ? c : [c]).some(
      (x) =>
        !!x && typeof x === 'object' && Object.hasOwn((x as { properties?: object }).properties ?? {}, 'claudeCode.environmentVariables'),
    );
  });
}

/** Writes the user setting; resolves with what went wrong instead of throwing, so the other agents' routing still happens. */
async function writeClaudeCodeEnv(value: unknown): Promise<string | null> {
  try {
    await vscode.workspace.getConfiguration('claudeCode').update('environmentVariables', value, vscode.ConfigurationTarget.Global);
    return null;
  } catch (err) {
    return `Unmetered could not write claudeCode.environmentVariables: ${(err as Error).message}`;
  }
}

/** Replaces an agent's config file: its mode is kept, and a link (a dotfiles repository) is written through. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await ensureDir(path.dirname(file));
  await writeFileAtomic(file, text);
}

function hostLine(s: HostState | undefined): string {
  if (!s) return 'not listening (nothing is routed through it)';
  switch (s.role) {
    case 'owner':
      return `http://127.0.0.1:${s.port}, served by this window`;
    case 'follower':
      return `http://127.0.0.1:${s.port}, served by another window or the CLI (pid ${s.owner.pid}); this window takes over if it closes`;
    case 'blocked':
      return s.error;
    case 'starting':
      return `starting on port ${s.port}`;
    case 'stopped':
      return 'stopped';
  }
}

function tooltip(s: HostState | undefined, settings: GatewaySettings, context: vscode.ExtensionContext, needWhy: string | null): string {
  const kind = settings.localServer;
  const remote = settings.localModel ? notLocalReason(settings.localModel, localHosts(settings)[kind], kind) : null;
  const route =
    settings.route === 'local'
      ? `local, **${settings.localModel ?? 'no model chosen'}** (${remote ? `not really local: ${remote}; recorded as cloud` : 'avoided spend counted'})`
      : 'cloud (metered)';
  const terminals = context.globalState.get<boolean>(TERMINAL_STATE, false) ? ' · new terminals routed' : '';
  const hint =
    settings.route === 'local' && needWhy === 'the local route is on'
      ? '  \nNo agent is routed through Unmetered yet: they still reach the cloud.'
      : '';
  return `**Route:** ${route}  \n**Gateway:** ${hostLine(s)}${terminals}${hint}`;
}

/** The version in the extension's manifest, or 'dev' when run from source without one. */
function extensionVersion(context: vscode.ExtensionContext): string {
  const v = (context.extension.packageJSON as { version?: unknown }).version;
  return typeof v === 'string' ? v : 'dev';
}
