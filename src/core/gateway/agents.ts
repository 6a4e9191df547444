/**
 * What pointing the agents at the gateway writes, as pure functions: the terminal variable for Claude
 * Code, the Claude Code extension's `claudeCode.environmentVariables` entries, Codex's `-c` flag and a
 * Codex profile in ~/.codex/config.toml. Each has its undo, which removes only what we wrote.
 */

export const CLAUDE_BASE_URL_VAR = 'ANTHROPIC_BASE_URL';
export const CODEX_PROFILE = 'unmetered';
const BEGIN = '# >>> unmetered (written by the Unmetered VS Code extension; remove with "Unmetered: Undo Agent Routing") >>>';
const END = '# <<< unmetered <<<';

export function gatewayUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Claude Code appends /v1/messages itself; Codex appends /responses to a base that ends in /v1. */
function codexBaseUrl(port: number): string {
  return `${gatewayUrl(port)}/v1`;
}

export function codexFlag(port: number): string {
  return `-c openai_base_url="${codexBaseUrl(port)}"`;
}

export interface EnvEntry {
  name: string;
  value: string;
}

/** The setting's value as Claude Code reads it: a list of {name, value}; anything else is kept aside untouched. */
function entries(v: unknown): { list: EnvEntry[]; ok: boolean } {
  if (v === undefined || v === null) return { list: [], ok: true };
  if (!Array.isArray(v)) return { list: [], ok: false };
  const list = v.filter((e): e is EnvEntry => !!e && typeof e === 'object' && typeof (e as EnvEntry).name === 'string');
  return { list, ok: list.length === v.length };
}

/**
 * `claudeCode.environmentVariables` with ANTHROPIC_BASE_URL pointing at the gateway; other entries kept
 * in order. `changed` is false when it already does (nothing to write).
 */
export function withClaudeCodeRoute(current: unknown, port: number): { value: EnvEntry[]; changed: boolean } | { error: string } {
  const { list, ok } = entries(current);
  if (!ok)
    return {
      error:
        `claudeCode.environmentVariables: expected a list of {"name", "value"}` +
        ` entries, got ${JSON.stringify(current)?.slice(0, 100)}; leaving it as it is`,
    };
  const url = gatewayUrl(port);
  const i = list.findIndex((e) => e.name === CLAUDE_BASE_URL_VAR);
  if (i >= 0 && list[i]!.value === url) return { value: list, changed: false };
  const value =
    i >= 0
      ? list.map((e, k) => (k === i ? { name: CLAUDE_BASE_URL_VAR, value: url } : e))
      : [...list, { name: CLAUDE_BASE_URL_VAR, value: url }];
  return { value, changed: true };
}

/** Removes our ANTHROPIC_BASE_URL entry (only if it still points at a loopback Unmetered URL we would write). */
export function withoutClaudeCodeRoute(current: unknown, port: number): { value: EnvEntry[]; changed: boolean } {
  const { list } = entries(current);
  const url = gatewayUrl(port);
  const value = list.filter((e) => !(e.name === CLAUDE_BASE_URL_VAR && e.value === url));
  return { value, changed: value.length !== list.length };
}

export function isClaudeCodeRouted(current: unknown, port: number): boolean {
  return entries(current).list.some((e) => e.name === CLAUDE_BASE_URL_VAR && e.value === gatewayUrl(port));
}

function tomlString(s: string): string {
  return JSON.stringify(s); // a TOML basic string has JSON's escapes for what a URL can hold
}

function codexProfileBlock(port: number): string {
  return [
    BEGIN,
    `[model_providers.${CODEX_PROFILE}]`,
    `name = "Unmetered gateway"`,
    `base_url = ${tomlString(codexBaseUrl(port))}`,
    `wire_api = "responses"`,
    // Keep Codex's own OpenAI sign-in: the gateway passes the credentials through untouched.
    `requires_openai_auth = true`,
    '',
    `[profiles.${CODEX_PROFILE}]`,
    `model_provider = "${CODEX_PROFILE}"`,
    END,
  ].join('\n');
}

/** Our block's span in a config.toml, or null. */
function ourBlock(text: string): { start: number; end: number } | null {
  const start = text.indexOf(BEGIN);
  if (start < 0) return null;
  const endAt = text.indexOf(END, start);
  if (endAt < 0) return null;
  let end = endAt + END.length;
  if (text[end] === '\r') end++;
  if (text[end] === '\n') end++;
  return { start, end };
}

/**
 * config.toml with our provider and profile (`codex --profile unmetered`). Replaces a block we wrote
 * before; refuses when the user already has tables of that name (TOML forbids defining a table twice).
 */
export function withCodexProfile(text: string, port: number): { text: string; changed: boolean } | { error: string } {
  const block = ourBlock(text);
  const outside = block ? text.slice(0, block.start) + text.slice(block.end) : text;
  const clash = new RegExp(`^\\s*\\[\\s*(model_providers|profiles)\\s*\\.\\s*"?${CODEX_PROFILE}"?\\s*\\]`, 'm').exec(outside);
  if (clash)
    return {
      error:
        `~/.codex/config.toml already defines [${clash[1]}.${CODEX_PROFILE}] outside Unmetered's block;` +
        ` rename or remove it, or use the flag ${codexFlag(port)} instead`,
    };
  const body = codexProfileBlock(port);
  if (block) {
    const next = text.slice(0, block.start) + body + '\n' + text.slice(block.end);
    return { text: next, changed: next !== text };
  }
  const sep = text.length === 0 ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  return { text: `${text}${sep}${body}\n`, changed: true };
}

export function withoutCodexProfile(text: string): { text: string; changed: boolean } {
  const block = ourBlock(text);
  if (!block) return { text, changed: false };
  let before = text.slice(0, block.start);
  // Drop the blank line we put before the block.
  if (before.endsWith('\n\n')) before = before.slice(0, -1);
  return { text: before + text.slice(block.end), changed: true };
}

export function hasCodexProfile(text: string): boolean {
  return ourBlock(text) !== null;
}
