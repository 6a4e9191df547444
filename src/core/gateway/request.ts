/**
 * What a request is: which API, which agent sent it, and whether it may be served at all.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Api } from './usage';
import type { ErrorShape } from './errors';

export type Endpoint =
  | { kind: 'generate'; api: Api; path: string }
  | { kind: 'count_tokens'; path: string }
  | { kind: 'models'; shape: ErrorShape }
  | { kind: 'probe' }
  | { kind: 'health' }
  | { kind: 'unknown'; shape: ErrorShape };

const header = (h: IncomingHttpHeaders, name: string): string => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
};

/** Anthropic clients send anthropic-version (and x-api-key); everything else is answered like OpenAI. */
function shapeOf(h: IncomingHttpHeaders, path: string): ErrorShape {
  return path.startsWith('/v1/messages') || header(h, 'anthropic-version') !== '' || header(h, 'x-api-key') !== '' ? 'anthropic' : 'openai';
}

/**
 * Maps method and path to an endpoint. Paths are matched without the query (Claude Code sends
 * `/v1/messages?beta=true`), and OpenAI paths are accepted with or without the `/v1` prefix, since a
 * base URL is easily set either way.
 */
export function classify(method: string, rawPath: string, h: IncomingHttpHeaders): Endpoint {
  const q = rawPath.indexOf('?');
  const path = (q < 0 ? rawPath : rawPath.slice(0, q)).replace(/\/+$/, '') || '/';
  if (path === '/' && (method === 'HEAD' || method === 'GET')) return { kind: 'probe' };
  if (path === '/unmetered/health' && method === 'GET') return { kind: 'health' };
  if (method === 'POST') {
    if (path === '/v1/messages') return { kind: 'generate', api: 'anthropic', path: '/v1/messages' };
    if (path === '/v1/messages/count_tokens') return { kind: 'count_tokens', path: '/v1/messages/count_tokens' };
    if (path === '/v1/chat/completions' || path === '/chat/completions')
      return { kind: 'generate', api: 'openai-chat', path: '/v1/chat/completions' };
    if (path === '/v1/responses' || path === '/responses') return { kind: 'generate', api: 'openai-responses', path: '/v1/responses' };
  }
  if (method === 'GET' && (path === '/v1/models' || path === '/models')) return { kind: 'models', shape: shapeOf(h, path) };
  return { kind: 'unknown', shape: shapeOf(h, path) };
}

/** The agent behind a request, from what Claude Code and Codex send about themselves. */
export function detectAgent(h: IncomingHttpHeaders): string {
  const ua = header(h, 'user-agent').toLowerCase();
  if (header(h, 'x-claude-code-session-id') !== '' || ua.startsWith('claude-cli/') || ua.includes('claude-code')) return 'claude-code';
  const originator = header(h, 'originator').toLowerCase();
  if (originator.startsWith('codex') || ua.startsWith('codex')) return 'codex';
  return 'gateway';
}

const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;

/**
 * Refuses what a web page could send: any Origin (browsers add it to cross-origin and POST requests),
 * a Sec-Fetch-Site other than "none" (a browser request that a page started), and a Host that is not
 * loopback (a DNS-rebinding page reaches us under its own name). Returns the reason, or null when fine.
 */
export function refusal(h: IncomingHttpHeaders): string | null {
  const origin = header(h, 'origin');
  if (origin !== '')
    return (
      `The Unmetered gateway does not serve web` +
      ` pages (Origin ${JSON.stringify(origin.slice(0, 100))}). Only local programs such as coding agents may use it.`
    );
  const site = header(h, 'sec-fetch-site');
  if (site !== '' && site !== 'none') return 'The Unmetered gateway does not serve requests started by web pages.';
  const host = header(h, 'host');
  if (!LOOPBACK_HOST.test(host))
    return `The Unmetered gateway only answers requests addressed to 127.0.0.1 or localhost, not ${JSON.stringify(host.slice(0, 100))}.`;
  return null;
}
