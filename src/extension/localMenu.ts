/**
 * The status bar menu's local models: every local server that answers on its configured address (Ollama,
 * LM Studio, llama.cpp), each model as "Local: <model> (<server>)", the ones that cannot serve an agent
 * listed with the reason, and for a server that cannot pull, a line saying so instead of a pull that fails.
 */
import * as vscode from 'vscode';
import { localHosts, type GatewaySettings } from '../core/gateway/settings';
import { describeModel } from '../core/local/describe';
import { detectBackends } from '../core/local/servers';
import { localCandidates } from '../core/local/where';
import type { LocalKind } from '../core/local/backend';
import type { MenuItem } from './services';

export async function localMenuItems(
  settings: GatewaySettings,
  useLocal: (model: string, kind: LocalKind) => Promise<void>,
): Promise<MenuItem[]> {
  const detected = await detectBackends(localHosts(settings));
  const items: MenuItem[] = [];
  for (const { backend, status } of detected) {
    if (!status.running) continue;
    const label = backend.info.label;
    let judged;
    try {
      judged = await localCandidates(backend, await backend.list());
    } catch (err) {
      items.push({
        label: `$(warning) ${label}: models not listed`,
        description: backend.host,
        run: () => vscode.window.showErrorMessage((err as Error).message),
      });
      continue;
    }
    for (const { model: m, reason } of judged) {
      const here = settings.route === 'local' && settings.localModel === m.name && settings.localServer === backend.kind;
      // A model that cannot serve an agent (or is not on this machine) is listed with the reason, not offered.
      if (reason)
        items.push({
          label: `$(circle-slash) ${m.name} (${label})`,
          description: `not offered: ${reason}`,
          run: () => vscode.window.showInformationMessage(`Unmetered: ${m.name} is not offered for the local route: ${reason}.`),
        });
      else
        items.push({
          label: `${here ? '$(check) ' : ''}$(vm) Local: ${m.name} (${label})`,
          description: describeModel(m),
          run: () => useLocal(m.name, backend.kind),
        });
    }
    if (!backend.puller && backend.pullUnsupported) {
      const why = backend.pullUnsupported;
      items.push({
        label: `$(info) ${label} cannot pull models here`,
        description: why,
        run: () => vscode.window.showInformationMessage(`Unmetered: ${why}`),
      });
    }
  }
  if (!detected.some((d) => d.status.running)) {
    // A quick pick cuts a long detail mid-sentence: a short line here, the whole message on click.
    const ollama = detected[0].status;
    items.push({
      label: '$(warning) No local model server is reachable',
      description: `Ollama ${settings.ollamaHost}, LM Studio ${settings.lmstudioHost}, llama.cpp ${settings.llamacppHost}`,
      detail: 'Start Ollama, LM Studio or llama-server, or set their addresses (unmetered.ollama.host …). Click for details.',
      run: () => vscode.window.showErrorMessage(ollama.running ? '' : ollama.error),
    });
  }
  return items;
}
