/**
 * Per-source settings: `unmetered.sources.<key>.enabled` and `.paths`. The schema lives in
 * package.json; the extension reads the `unmetered.sources` object and passes it here. A bad value
 * falls back to the default with a warning that says what was expected and what arrived.
 */
import path from 'node:path';
import { SOURCE_KEYS, type SourceId } from './registry';

/** A `paths` entry that keeps the default locations alongside the configured ones. */
export const DEFAULTS_TOKEN = '<defaults>';

export interface SourceSetting {
  enabled: boolean;
  /** Configured directories (`~` allowed); empty = the default locations. */
  paths: string[];
}

export type SourceSettings = Record<SourceId, SourceSetting>;

export { SOURCE_KEYS };

export function defaultSourceSettings(): SourceSettings {
  const out = {} as SourceSettings;
  for (const id of Object.keys(SOURCE_KEYS) as SourceId[]) out[id] = { enabled: true, paths: [] };
  return out;
}

const isAbsoluteAnywhere = (p: string) =>
  path.isAbsolute(p) || path.win32.isAbsolute(p) || p === '~' || p.startsWith('~/') || p.startsWith('~\\');

export function normaliseSourceSettings(value: unknown): { settings: SourceSettings; warnings: string[] } {
  const settings = defaultSourceSettings();
  const warnings: string[] = [];
  if (value === undefined || value === null) return { settings, warnings };
  if (typeof value !== 'object' || Array.isArray(value)) {
    warnings.push(
      `unmetered.sources: expected an object of per-agent settings, got ${JSON.stringify(value)?.slice(0, 60)}; using the defaults`,
    );
    return { settings, warnings };
  }
  const raw = value as Record<string, unknown>;
  for (const [id, key] of Object.entries(SOURCE_KEYS) as [SourceId, string][]) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    const name = `unmetered.sources.${key}`;
    if (typeof v !== 'object' || Array.isArray(v)) {
      warnings.push(
        `${name}: expected an object like {"enabled": true, "paths": []}, got ${JSON.stringify(v)?.slice(0, 60)}; using the defaults`,
      );
      continue;
    }
    const o = v as Record<string, unknown>;
    if (o.enabled !== undefined) {
      if (typeof o.enabled === 'boolean') settings[id].enabled = o.enabled;
      else
        warnings.push(`${name}.enabled: expected true or false, got ${JSON.stringify(o.enabled)?.slice(0, 40)}; reading this agent's logs`);
    }
    if (o.paths !== undefined && o.paths !== null) {
      if (!Array.isArray(o.paths)) {
        warnings.push(
          `${name}.paths: expected a list of folders, got ${JSON.stringify(o.paths)?.slice(0, 60)}; using the default locations`,
        );
        continue;
      }
      for (const p of o.paths) {
        if (typeof p !== 'string' || p.trim() === '') {
          warnings.push(`${name}.paths: expected a folder path, got ${JSON.stringify(p)?.slice(0, 40)}; ignored`);
        } else if (p.trim() !== DEFAULTS_TOKEN && !isAbsoluteAnywhere(p.trim())) {
          warnings.push(`${name}.paths: expected an absolute folder (or one starting with ~), got ${JSON.stringify(p)}; ignored`);
        } else if (!settings[id].paths.includes(p.trim())) {
          settings[id].paths.push(p.trim());
        }
      }
    }
  }
  for (const k of Object.keys(raw)) {
    if (!Object.values(SOURCE_KEYS).includes(k))
      warnings.push(`unmetered.sources.${k}: not an agent Unmetered reads (known: ${Object.values(SOURCE_KEYS).join(', ')}); ignored`);
  }
  return { settings, warnings };
}
