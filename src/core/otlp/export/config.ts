/**
 * Telemetry export settings: the `unmetered.telemetry.*` settings (schema in package.json, read by the
 * extension, mirrored to the CLI) and the standard OpenTelemetry variables, normalised into one value.
 * Off by default. A bad value falls back to its default with a warning saying what arrived.
 *
 * Where both name the same thing, the setting wins over the variable only when it is set: an
 * organisation that rolls out `OTEL_EXPORTER_OTLP_ENDPOINT` to every machine needs no per-user setting.
 */
import type { Normalised } from '../../normalise';

export type ProjectMode = 'pseudonymise' | 'drop' | 'keep';

export interface TelemetryConfig {
  enabled: boolean;
  /** Base URL; `/v1/logs` and `/v1/metrics` are appended (OTLP/HTTP's rule for OTEL_EXPORTER_OTLP_ENDPOINT). */
  endpoint: string;
  /** Per-signal URLs, used as they are (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT / _METRICS_ENDPOINT). */
  logsUrl: string;
  metricsUrl: string;
  headers: Record<string, string>;
  /** Resource attributes from OTEL_RESOURCE_ATTRIBUTES (they never override service.instance.id or user.id). */
  resource: Record<string, string>;
  /** A chosen user id; null: a keyed hash of the login name. */
  userId: string | null;
  /** Shared key for user and project hashes, so one organisation's machines agree; null: this installation's salt. */
  hashKey: string | null;
  team: string | null;
  projects: ProjectMode;
  /** Attribute names sent on log events; null: every attribute Unmetered defines. */
  allow: ReadonlySet<string> | null;
  /** Seconds between export passes in a long-running process (the extension, `telemetry --watch`). */
  intervalSeconds: number;
  /** Interactions per OTLP request. */
  batchSize: number;
  /** Milliseconds one request may take (the SDK exporter's timeoutMillis, its own retries included). */
  timeoutMs: number;
}

const DEFAULTS = {
  endpoint: 'http://localhost:4318',
  intervalSeconds: 60,
  batchSize: 2000,
  timeoutMs: 10_000,
} as const;

export interface RawTelemetrySettings {
  enabled?: unknown;
  endpoint?: unknown;
  headers?: unknown;
  userId?: unknown;
  hashKey?: unknown;
  team?: unknown;
  projects?: unknown;
  attributes?: unknown;
  intervalSeconds?: unknown;
  batchSize?: unknown;
}

/** `key1=value1,key2=value2` with percent-encoded values: the W3C Baggage form OTEL_*_HEADERS and OTEL_RESOURCE_ATTRIBUTES use. */
function parseKeyValueList(text: string | undefined, name: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!key) {
      warnings.push(`${name}: expected key=value pairs separated by commas, got ${JSON.stringify(part.slice(0, 40))}; skipped`);
      continue;
    }
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // kept as written: a literal % is better sent than dropped
    }
    out[key] = value;
  }
  return out;
}

function str(v: unknown, name: string, warnings: string[], max = 200): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string' && v.length <= max) return v.trim() || null;
  warnings.push(
    `unmetered.telemetry.${name}: expected a string of at most ${max} characters, got ${JSON.stringify(v)?.slice(0, 60)}; ignored`,
  );
  return null;
}

function int(v: unknown, name: string, min: number, max: number, dflt: number, warnings: string[]): number {
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  warnings.push(`unmetered.telemetry.${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}; using ${dflt}`);
  return dflt;
}

function url(v: string | null, name: string, warnings: string[]): string | null {
  if (v === null) return null;
  try {
    const u = new URL(v);
    if (u.protocol === 'http:' || u.protocol === 'https:') return v;
  } catch {
    // falls through to the warning
  }
  warnings.push(`${name}: expected an http(s) URL, got ${JSON.stringify(v.slice(0, 80))}; ignored`);
  return null;
}

const join = (base: string, signal: string) => `${base.replace(/\/+$/, '')}/v1/${signal}`;

export function normaliseTelemetry(raw: RawTelemetrySettings, env: NodeJS.ProcessEnv): Normalised<TelemetryConfig> {
  const warnings: string[] = [];
  const enabled = raw.enabled === true;
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean')
    warnings.push(`unmetered.telemetry.enabled: expected true or false, got ${JSON.stringify(raw.enabled)}; export stays off`);
  const endpoint =
    url(str(raw.endpoint, 'endpoint', warnings, 2000), 'unmetered.telemetry.endpoint', warnings) ??
    url(env.OTEL_EXPORTER_OTLP_ENDPOINT || null, 'OTEL_EXPORTER_OTLP_ENDPOINT', warnings) ??
    DEFAULTS.endpoint;
  const perSignal = (signal: 'logs' | 'metrics') =>
    (raw.endpoint
      ? null
      : url(
          env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`] || null,
          `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`,
          warnings,
        )) ?? join(endpoint, signal);
  const headers = parseKeyValueList(env.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS', warnings);
  if (raw.headers !== undefined && raw.headers !== null) {
    if (typeof raw.headers === 'object' && !Array.isArray(raw.headers) && Object.values(raw.headers).every((x) => typeof x === 'string'))
      Object.assign(headers, raw.headers);
    else
      warnings.push(
        `unmetered.telemetry.headers: expected an object of header names to strings, got ${JSON.stringify(raw.headers)?.slice(0, 60)}; ignored`,
      );
  }
  const projects: ProjectMode =
    raw.projects === undefined || raw.projects === null || raw.projects === ''
      ? 'pseudonymise'
      : raw.projects === 'pseudonymise' || raw.projects === 'drop' || raw.projects === 'keep'
        ? raw.projects
        : (warnings.push(
            `unmetered.telemetry.projects: expected "pseudonymise", "drop" or "keep", got ${JSON.stringify(raw.projects)}; pseudonymising`,
          ),
          'pseudonymise');
  let allow: Set<string> | null = null;
  if (Array.isArray(raw.attributes) && raw.attributes.every((x) => typeof x === 'string')) allow = new Set(raw.attributes);
  else if (raw.attributes !== undefined && raw.attributes !== null)
    warnings.push(
      `unmetered.telemetry.attributes: expected a list of attribute names, got ${JSON.stringify(raw.attributes)?.slice(0, 60)}; sending every attribute`,
    );
  return {
    value: {
      enabled,
      endpoint,
      logsUrl: perSignal('logs'),
      metricsUrl: perSignal('metrics'),
      headers,
      resource: parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES, 'OTEL_RESOURCE_ATTRIBUTES', warnings),
      userId: str(raw.userId, 'userId', warnings),
      hashKey: str(raw.hashKey, 'hashKey', warnings, 500),
      team: str(raw.team, 'team', warnings),
      projects,
      allow,
      intervalSeconds: int(raw.intervalSeconds, 'intervalSeconds', 5, 86_400, DEFAULTS.intervalSeconds, warnings),
      batchSize: int(raw.batchSize, 'batchSize', 1, 50_000, DEFAULTS.batchSize, warnings),
      timeoutMs: DEFAULTS.timeoutMs,
    },
    warnings,
  };
}
