/** Words for people about Ollama models and pulls (status bar menu, progress notification, CLI). */
import type { LocalModel, PullProgress } from './ollama';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** "30.5B · Q4_K_M · 17.3 GB" */
export function describeModel(m: LocalModel): string {
  return [m.parameterSize, m.quantization, m.size > 0 ? formatBytes(m.size) : null].filter(Boolean).join(' · ');
}

/** One line for a progress notification: the layer's bytes and percent, and the whole pull's. */
export function describePull(p: PullProgress): string {
  if (!p.layer) return p.status === 'success' ? 'done' : p.status;
  const layer = `layer ${p.layer.digest.replace(/^sha256:/, '').slice(0, 12)}: ${formatBytes(p.layer.completed)} of ${formatBytes(p.layer.total)} (${p.layer.percent}%)`;
  return p.percent === null ? layer : `${layer} · overall ${p.percent}%`;
}
