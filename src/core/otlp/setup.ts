/**
 * What "Meter Copilot Chat and agent telemetry…" writes, decided without VS Code: Copilot Chat's OpenTelemetry
 * settings, the variables for new terminals (Claude Code, Gemini CLI) and the Codex `[otel]` block. A user who
 * already sends an agent's telemetry somewhere keeps it: that agent is skipped, with the reason.
 *
 * Names, from each writer's source or documentation (test/otlp/fixtures/README.md):
 * - Copilot Chat: `github.copilot.chat.otel.enabled`, `.exporterType` (`otlp-http`), `.otlpEndpoint` (a base URL:
 *   it appends /v1/traces, /v1/logs, /v1/metrics); `COPILOT_OTEL_ENDPOINT` and `OTEL_EXPORTER_OTLP_ENDPOINT`
 *   in its environment win over the settings (otelConfig.ts).
 * - Claude Code: `CLAUDE_CODE_ENABLE_TELEMETRY=1`, `OTEL_LOGS_EXPORTER=otlp`, and the logs-only
 *   `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL` / `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (a full URL), so a general
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` someone relies on for other programs is not touched. Its settings.json `env`
 *   wins over the terminal's variables.
 * - Gemini CLI: `GEMINI_TELEMETRY_ENABLED`, `GEMINI_TELEMETRY_TARGET=local`, `GEMINI_TELEMETRY_OTLP_PROTOCOL=http`,
 *   `GEMINI_TELEMETRY_OTLP_ENDPOINT` (a base URL; it appends v1/logs), `GEMINI_TELEMETRY_LOG_PROMPTS=false`;
 *   variables win over its settings.json `telemetry` (packages/core/src/telemetry/config.ts).
 * - Codex: `[otel]` in config.toml, `exporter = { otlp-http = { endpoint = "…/v1/logs", protocol = "binary" } }`.
 */

export const COPILOT_OTEL = {
  enabled: 'github.copilot.chat.otel.enabled',
  exporterType: 'github.copilot.chat.otel.exporterType',
  otlpEndpoint: 'github.copilot.chat.otel.otlpEndpoint',
} as const;

export function telemetryUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Whether `endpoint` (a base or a /v1/<signal> URL) is this receiver on `port`. */
export function isOurEndpoint(endpoint: unknown, port: number): boolean {
  if (typeof endpoint !== 'string') return false;
  try {
    const u = new URL(endpoint.trim().replace(/^["']|["']$/g, ''));
    return /^(127\.0\.0\.1|localhost|\[::1\])$/i.test(u.hostname) && Number(u.port) === port && u.protocol === 'http:';
  } catch {
    return false;
  }
}

export type SetupPlan = { writes: Record<string, unknown> } | { skip: string };

const set = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** Copilot Chat's settings to write, from the user's current (user-level) values and the extension host's env. */
export function copilotPlan(current: Record<string, unknown>, env: NodeJS.ProcessEnv, port: number): SetupPlan {
  for (const name of ['COPILOT_OTEL_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    if (set(env[name]) && !isOurEndpoint(env[name], port))
      return { skip: `Copilot Chat takes its endpoint from ${name}=${env[name]} in VS Code's environment, which wins over settings.` };
  }
  const endpoint = current[COPILOT_OTEL.otlpEndpoint];
  if (set(endpoint) && !isOurEndpoint(endpoint, port))
    return { skip: `Copilot Chat already sends its telemetry to ${endpoint} (github.copilot.chat.otel.otlpEndpoint).` };
  const type = current[COPILOT_OTEL.exporterType];
  if (current[COPILOT_OTEL.enabled] === true && set(type) && type !== 'otlp-http')
    return { skip: `Copilot Chat already exports its telemetry with "${type}" (github.copilot.chat.otel.exporterType).` };
  return {
    writes: { [COPILOT_OTEL.enabled]: true, [COPILOT_OTEL.exporterType]: 'otlp-http', [COPILOT_OTEL.otlpEndpoint]: telemetryUrl(port) },
  };
}

export interface AgentConfigs {
  /** ~/.claude/settings.json, or null when absent. */
  claudeSettings: string | null;
  /** ~/.gemini/settings.json, or null when absent. */
  geminiSettings: string | null;
}

/** Variables for new terminals, per agent, or why an agent is left as it is. */
export function terminalPlan(env: NodeJS.ProcessEnv, files: AgentConfigs, port: number): { claudeCode: SetupPlan; geminiCli: SetupPlan } {
  return { claudeCode: claudePlan(env, files.claudeSettings, port), geminiCli: geminiPlan(env, files.geminiSettings, port) };
}

function claudePlan(env: NodeJS.ProcessEnv, settingsText: string | null, port: number): SetupPlan {
  const claudeEnv = objectAt(parseJson(settingsText), 'env');
  for (const [where, e] of [
    ['the environment', env],
    ['~/.claude/settings.json', claudeEnv],
  ] as const) {
    for (const name of ['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
      const v = e[name];
      if (set(v) && !isOurEndpoint(v, port)) return { skip: `Claude Code already sends telemetry to ${String(v)} (${name} in ${where}).` };
    }
    const logs = e.OTEL_LOGS_EXPORTER;
    if (set(logs) && !/\botlp\b/.test(logs)) return { skip: `Claude Code's events go to "${logs}" (OTEL_LOGS_EXPORTER in ${where}).` };
  }
  return {
    writes: {
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${telemetryUrl(port)}/v1/logs`,
    },
  };
}

function geminiPlan(env: NodeJS.ProcessEnv, settingsText: string | null, port: number): SetupPlan {
  for (const name of ['GEMINI_TELEMETRY_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    if (set(env[name]) && !isOurEndpoint(env[name], port))
      return { skip: `Gemini CLI already sends telemetry to ${env[name]} (${name} in the environment).` };
  }
  if (set(env.GEMINI_TELEMETRY_OUTFILE)) return { skip: `Gemini CLI writes its telemetry to ${env.GEMINI_TELEMETRY_OUTFILE}.` };
  const t = objectAt(parseJson(settingsText), 'telemetry');
  if (set(t.otlpEndpoint) && !isOurEndpoint(t.otlpEndpoint, port))
    return { skip: `Gemini CLI already sends telemetry to ${t.otlpEndpoint} (telemetry.otlpEndpoint in ~/.gemini/settings.json).` };
  if (t.target === 'gcp')
    return { skip: 'Gemini CLI sends its telemetry to Google Cloud (telemetry.target "gcp" in ~/.gemini/settings.json).' };
  if (set(t.outfile)) return { skip: `Gemini CLI writes its telemetry to ${t.outfile} (telemetry.outfile).` };
  return {
    writes: {
      GEMINI_TELEMETRY_ENABLED: 'true',
      GEMINI_TELEMETRY_TARGET: 'local',
      GEMINI_TELEMETRY_OTLP_PROTOCOL: 'http',
      GEMINI_TELEMETRY_OTLP_ENDPOINT: telemetryUrl(port),
      GEMINI_TELEMETRY_LOG_PROMPTS: 'false',
    },
  };
}

/** Whether config.toml already has an `[otel]` table (or an inline `otel = …`): then the user's stays. */
export function codexHasOtel(configToml: string): boolean {
  return /^\s*\[otel(\.[^\]]*)?\]\s*(#.*)?$/m.test(configToml) || /^\s*otel\s*=/m.test(configToml);
}

/** The block offered for ~/.codex/config.toml (copied for the user to paste: Codex has one [otel] table). */
export function codexOtelBlock(port: number): string {
  return [
    '[otel]',
    '# Unmetered meters Codex from these events; prompts are not logged.',
    'log_user_prompt = false',
    `exporter = { otlp-http = { endpoint = "${telemetryUrl(port)}/v1/logs", protocol = "binary" } }`,
    '',
  ].join('\n');
}

function parseJson(text: string | null): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function objectAt(v: unknown, key: string): Record<string, unknown> {
  const o = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : {};
}
