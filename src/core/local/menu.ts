/**
 * The status bar menu's local rows, decided without VS Code: every local server that answers on its
 * configured address, each model as "Local: <model> (<server>)" or listed with why it is not offered, and
 * for a server that cannot pull, a row saying so (and what to do instead) rather than a pull that fails.
 * The extension only adds icons and actions (src/extension/localMenu.ts).
 */
import { localHosts, type GatewaySettings } from '../gateway/settings';
import type { LocalKind } from './backend';
import { describeModel } from './describe';
import { detectBackends, type BackendOptions } from './servers';
import { localCandidates } from './where';

export type LocalMenuRow =
  /** A model offered for the local route; `current` when the switch is on it. */
  | { kind: 'use'; server: LocalKind; model: string; label: string; description: string; current: boolean }
  /** Rows that only explain: clicking one shows `message`. */
  | { kind: 'notOffered' | 'notListed' | 'cannotPull'; label: string; description: string; message: string }
  | { kind: 'noServer'; label: string; description: string; detail: string; message: string };

export async function localMenuRows(settings: GatewaySettings, opts: BackendOptions = {}): Promise<LocalMenuRow[]> {
  const detected = await detectBackends(localHosts(settings), opts);
  const rows: LocalMenuRow[] = [];
  for (const { backend, status } of detected) {
    if (!status.running) continue;
    const label = backend.info.label;
    let judged;
    try {
      judged = await localCandidates(backend, await backend.list());
    } catch (err) {
      rows.push({ kind: 'notListed', label: `${label}: models not listed`, description: backend.host, message: (err as Error).message });
      continue;
    }
    for (const { model: m, reason } of judged) {
      // A model that cannot serve an agent (or is not on this machine) is listed with the reason, not offered.
      if (reason)
        rows.push({
          kind: 'notOffered',
          label: `${m.name} (${label})`,
          description: `not offered: ${reason}`,
          message: `Unmetered: ${m.name} is not offered for the local route: ${reason}.`,
        });
      else
        rows.push({
          kind: 'use',
          server: backend.kind,
          model: m.name,
          label: `Local: ${m.name} (${label})`,
          description: describeModel(m),
          current: settings.route === 'local' && settings.localModel === m.name && settings.localServer === backend.kind,
        });
    }
    if (!backend.puller && backend.pullUnsupported)
      rows.push({
        kind: 'cannotPull',
        label: `${label} cannot pull models here`,
        description: backend.pullUnsupported,
        message: `Unmetered: ${backend.pullUnsupported}`,
      });
  }
  if (!detected.some((d) => d.status.running)) {
    const ollama = detected[0]!.status;
    rows.push({
      kind: 'noServer',
      label: 'No local model server is reachable',
      description: `Ollama ${settings.ollamaHost}, LM Studio ${settings.lmstudioHost}, llama.cpp ${settings.llamacppHost}`,
      detail: 'Start Ollama, LM Studio or llama-server, or set their addresses (unmetered.ollama.host …). Click for details.',
      message: ollama.running ? '' : ollama.error,
    });
  }
  return rows;
}
