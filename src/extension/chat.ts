/**
 * The editor's own chat, metered: contributes the local servers' models (Ollama, LM Studio, llama-server), cloud models of an OpenAI-compatible endpoint
 * and "Unmetered: Auto" to VS Code's chat model picker (Language Model Chat Provider API). The logic
 * lives in core/chat; this file only adapts VS Code's types, settings, secrets and cancellation to it.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ChatError } from '../core/chat/errors';
import { type ChatModelInfo, type ChatSettings, type RouteState } from '../core/chat/models';
import { ChatService } from '../core/chat/service';
import { cachedGitAttribution } from '../core/git';
import { localHosts } from '../core/gateway/settings';
import type { LocalHosts } from '../core/local/servers';
import type { Interaction } from '../core/interaction';
import { systemClock, type Logger } from '../core/ports';
import { disposeTokenizers } from '../core/tokens';
import type { Settings } from './settings';

const CHAT_VENDOR = 'unmetered';
const CHAT_COMMANDS = { setApiKey: 'unmetered.chat.setApiKey', showModels: 'unmetered.chat.showModels' } as const;
// One key for the configured endpoint, kept in SecretStorage (encrypted, never synced, never in settings).
const API_KEY_SECRET = 'unmetered.chat.apiKey';

export interface ChatDeps {
  /** Prices an Interaction and appends it to the ledger. */
  record(i: Interaction): Promise<void> | void;
  logger: Logger;
  /** The one reader of the unmetered.* settings (settings.ts). */
  settings: Pick<Settings, 'current' | 'onDidChange'>;
  /** The status bar switch; defaults to the settings unmetered.route and unmetered.localModel. */
  route?: () => RouteState;
  /** The local servers' base URLs; default to the settings unmetered.ollama.host, .lmstudio.host, .llamacpp.host. */
  localHosts?: () => LocalHosts;
}

export function registerChatModels(context: vscode.ExtensionContext, deps: ChatDeps): ChatService {
  // The settings module validates and logs the chat and gateway settings; read its snapshot on each use.
  const gateway = () => deps.settings.current.gateway;
  const settings = (): ChatSettings => deps.settings.current.chat;

  const service = new ChatService({
    settings,
    route:
      deps.route ??
      (() => {
        const g = gateway();
        return { route: g.route, localModel: g.localModel, localServer: g.localServer };
      }),
    localHosts: deps.localHosts ?? (() => localHosts(gateway())),
    apiKey: async () => (await context.secrets.get(API_KEY_SECRET)) || undefined,
    record: (i) => deps.record(i),
    clock: systemClock,
    logger: deps.logger,
    project: () => vscode.workspace.name ?? null,
    attribution: () => {
      const dir = workspaceDir();
      return dir ? workspaceGit(dir) : {};
    },
    // vscode.env.sessionId is a fixed placeholder in code-server ("someValue.sessionId"): make our own.
    sessionId: randomUUID(),
  });

  const changed = new vscode.EventEmitter<void>();
  const provider = chatProvider(service, changed.event, deps.logger);

  // VS Code resolves a vendor's models only when something asks for them; without a Copilot sign-in
  // nothing does (code-server 4.139 showed an empty picker until an extension called selectChatModels).
  // Asking for our own vendor after each change puts the models in the picker either way.
  let lastRefresh = 0;
  let resolveTimer: NodeJS.Timeout | undefined;
  const refresh = () => {
    lastRefresh = Date.now();
    changed.fire();
    clearTimeout(resolveTimer);
    resolveTimer = setTimeout(
      () =>
        void vscode.lm
          .selectChatModels({ vendor: CHAT_VENDOR })
          .then(undefined, (err) => deps.logger.warn(`chat: listing models failed: ${err}`)),
      250,
    );
  };
  // Off the activation path: the first listing asks Ollama (and maybe the endpoint) over HTTP.
  resolveTimer = setTimeout(refresh, 1_000);

  context.subscriptions.push(
    changed,
    { dispose: () => clearTimeout(resolveTimer) },
    // The encoders hold a few MB of WebAssembly memory each.
    { dispose: disposeTokenizers },
    vscode.lm.registerLanguageModelChatProvider(CHAT_VENDOR, provider),
    deps.settings.onDidChange((e) => {
      const ours = ['unmetered.chat', 'unmetered.route', 'unmetered.localModel', 'unmetered.localServer', 'unmetered.ollama'];
      if ([...ours, 'unmetered.lmstudio', 'unmetered.llamacpp'].some((s) => e.affectsConfiguration(s))) refresh();
    }),
    vscode.window.onDidChangeWindowState((s) => {
      if (s.focused && Date.now() - lastRefresh > 30_000) refresh();
    }),
    vscode.commands.registerCommand(CHAT_COMMANDS.setApiKey, async () => {
      if (await askApiKey(context.secrets, settings().openaiBaseUrl)) refresh();
    }),
    vscode.commands.registerCommand(CHAT_COMMANDS.showModels, () => showModels()),
    context.secrets.onDidChange((e) => e.key === API_KEY_SECRET && refresh()),
  );
  return service;
}

/** The chat provider VS Code calls: answers through the service, cancels with the request's token. */
function chatProvider(service: ChatService, changed: vscode.Event<void>, logger: Logger): vscode.LanguageModelChatProvider<ChatModelInfo> {
  return {
    onDidChangeLanguageModelChatInformation: changed,
    provideLanguageModelChatInformation: () => service.listModels(),
    async provideLanguageModelChatResponse(model, messages, options, progress, token) {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      if (token.isCancellationRequested) ac.abort();
      try {
        await service.respond(
          model,
          messages,
          options,
          (p) =>
            progress.report(
              p.type === 'text'
                ? new vscode.LanguageModelTextPart(p.value)
                : new vscode.LanguageModelToolCallPart(p.callId, p.name, p.input),
            ),
          ac.signal,
        );
      } catch (err) {
        if (err instanceof ChatError && err.code === 'E_CHAT_CANCELLED') return;
        logger.warn(`chat: ${model.id}: ${(err as Error).message}`);
        throw toLanguageModelError(err);
      } finally {
        sub.dispose();
      }
    },
    provideTokenCount: (model, text) => service.countTokens(model, text),
  };
}

/** Asks for the chat API key and stores it in secret storage (empty removes it); true when it changed. */
async function askApiKey(secrets: vscode.SecretStorage, baseUrl: string): Promise<boolean> {
  const key = await vscode.window.showInputBox({
    title: 'Unmetered: Set Chat API Key',
    prompt:
      `API key for ${baseUrl} (unmetered.chat.openaiBaseUrl). Stored in VS Code's secret storage,` +
      ` never in settings. Leave empty to remove the stored key.`,
    password: true,
    ignoreFocusOut: true,
    placeHolder: 'sk-…',
  });
  if (key === undefined) return false;
  if (key.trim()) await secrets.store(API_KEY_SECRET, key.trim());
  else await secrets.delete(API_KEY_SECRET);
  void vscode.window.showInformationMessage(
    key.trim() ? `Unmetered: chat API key stored for ${baseUrl}.` : 'Unmetered: chat API key removed.',
  );
  return true;
}

/** Re-read at most every 5 s: a checkout changes branch, but a chat burst must not stat the tree per reply. */
const workspaceGit = cachedGitAttribution(5_000);

/**
 * The folder a chat reply belongs to: the only workspace folder, else the folder of the active editor;
 * with several folders and no editor, none (attribution is never a guess).
 */
function workspaceDir(): string | null {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const active = vscode.window.activeTextEditor?.document.uri;
  const folder = folders.length === 1 ? folders[0] : active ? vscode.workspace.getWorkspaceFolder(active) : undefined;
  return folder && folder.uri.scheme === 'file' ? folder.uri.fsPath : null;
}

function toLanguageModelError(err: unknown): Error {
  const message = (err as Error)?.message ?? String(err);
  if (err instanceof ChatError) {
    if (err.code === 'E_CHAT_MODEL_NOT_FOUND') return vscode.LanguageModelError.NotFound(message);
    if (err.code === 'E_CHAT_AUTH') return vscode.LanguageModelError.NoPermissions(message);
  }
  return new Error(message);
}

/**
 * What VS Code itself lists for the Unmetered vendor (through the public `vscode.lm` API, not our own
 * list), so a person can check the picker's contents without a chat participant; picking one sends a
 * one-line test request through VS Code, which is metered like any other.
 */
async function showModels(): Promise<void> {
  const models = await vscode.lm.selectChatModels({ vendor: CHAT_VENDOR });
  if (models.length === 0) {
    void vscode.window.showInformationMessage(
      'Unmetered: VS Code lists no Unmetered chat models. Start Ollama, LM Studio or llama-server, or set unmetered.chat.cloudModels and the chat API key.',
    );
    return;
  }
  const pick = await vscode.window.showQuickPick(
    models.map((m) => ({
      label: m.name,
      description: m.id,
      detail: `family ${m.family} · up to ${m.maxInputTokens.toLocaleString('en-US')} input tokens`,
      model: m,
    })),
    {
      title: `Unmetered chat models (${models.length})`,
      placeHolder: 'As listed by VS Code for the chat model picker. Pick one to send it a test message.',
    },
  );
  if (pick) await testModel(pick.model);
}

async function testModel(model: vscode.LanguageModelChat): Promise<void> {
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Unmetered: asking ${model.name}…`, cancellable: true },
    async (_p, token) => {
      try {
        const response = await model.sendRequest(
          [vscode.LanguageModelChatMessage.User('Reply with one word: ready')],
          { justification: 'Unmetered checks that this model answers.' },
          token,
        );
        let text = '';
        for await (const chunk of response.text) text += chunk;
        if (token.isCancellationRequested) return;
        void vscode.window.showInformationMessage(
          `Unmetered: ${model.name} answered "${text.trim().slice(0, 120)}". The request was metered.`,
        );
      } catch (err) {
        // model.name may already start with "Unmetered:" and so may the message: say it once.
        const name = model.name.replace(/^Unmetered:\s*/, '');
        const why = (err as Error).message.replace(/^Unmetered:\s*/, '');
        if (!token.isCancellationRequested) void vscode.window.showErrorMessage(`Unmetered: ${name} did not answer. ${why}`);
      }
    },
  );
}
