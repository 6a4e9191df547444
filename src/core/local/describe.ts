/** Words for people about Ollama models and pulls (status bar menu, progress notification, CLI). */
import type { LocalModel, PullProgress } from './ollama';

/**
 * Bytes as `ollama list` prints them (ollama/ollama format/bytes.go HumanBytes): decimal units, a whole
 * number from 10 up (truncated), one decimal below. One function for every place a model size shows, so
 * the menu, the chat picker and Ollama's own CLI agree on a model's size.
 */
export function formatBytes(n: number): string {
  const units: [number, string][] = [
    [1e12, 'TB'],
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'KB'],
  ];
  const hit = units.find(([size]) => n >= size);
  if (!hit) return `${n} B`;
  const v = n / hit[0];
  return `${v >= 10 ? Math.trunc(v) : Number.isInteger(v) ? v : v.toFixed(1)} ${hit[1]}`;
}

/** "30.5B · Q4_K_M · 17.3 GB" */
export function describeModel(m: LocalModel): string {
  return [m.parameterSize, m.quantization, m.size > 0 ? formatBytes(m.size) : null].filter(Boolean).join(' · ');
}

/** One line for a progress notification: the layer's bytes and percent, and the whole pull's. */
export function describePull(p: PullProgress): string {
  if (!p.layer) return p.status === 'success' ? 'done' : p.status;
  const layer =
    `layer ${p.layer.digest.replace(/^sha256:/, '').slice(0, 12)}: ${formatBytes(p.layer.completed)} of ${formatBytes(p.layer.total)} (` +
    `${p.layer.percent}%)`;
  return p.percent === null ? layer : `${layer} · overall ${p.percent}%`;
}
