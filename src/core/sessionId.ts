import type { Interaction } from './interaction';

/**
 * The session a record's id names, or null when it names none (report/views.ts's sessionOf then groups the
 * record by agent, project and day):
 * - codex:<rollout>:<ms>:<key>, gemini-cli:<session>:<id>, cline|roo-code:<task>:<ts>,
 *   claude-code:<sessionId>:<uuid> (Claude Code lines without a message id): the id's second part;
 * - anthropic:<message id> / openai:<id> (Claude Code lines with a message id), and whatever the gateway,
 *   the editor chat or telemetry recorded: none (the id names the API response, not the session).
 */
export function namedSession(r: Pick<Interaction, 'id' | 'source'>): string | null {
  const id = r.id;
  // Most ids are an API's (anthropic:…, openai:…): none of the prefixes below starts as they do.
  const c0 = id.charCodeAt(0);
  if (r.source !== 'log' || (c0 !== 99 && c0 !== 103 && c0 !== 114)) return null; // c, g, r
  const colon = id.indexOf(':');
  const prefix = colon > 0 ? id.slice(0, colon) : '';
  // Only the agents' logs name sessions; the gateway's own ids (<agent>:gateway:<uuid>) do not.
  if (prefix === 'codex' || prefix === 'gemini-cli' || prefix === 'cline' || prefix === 'roo-code' || prefix === 'claude-code') {
    const rest = id.slice(colon + 1);
    // A Codex id ends in :<ms>:<key>; the rollout id between may itself hold no colon, but be safe.
    const parts = rest.split(':');
    const session = prefix === 'codex' && parts.length >= 3 ? parts.slice(0, -2).join(':') : parts[0];
    if (session) return `${prefix}:${session}`;
  }
  return null;
}
