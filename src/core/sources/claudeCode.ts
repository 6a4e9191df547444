/**
 * Claude Code (CLI and its VS Code extension): `<config>/projects/**.jsonl`, one JSON object per line.
 *
 * Rules (see shared/reference/agent-logs.md):
 * - only top-level `message.usage` is spend; `progress` lines carry copies of a subagent's usage
 *   at data.message.message.usage, which the subagent's own transcript already holds;
 * - `<synthetic>` lines are local placeholders, not requests;
 * - id = `anthropic:<message.id>`, the id the API returned, so the same response seen by the
 *   gateway is stored once. The content-block copies of one response share it, and the ledger
 *   keeps the copy with the most tokens (early copies carry a partial output count);
 * - a sidechain copy (a `/btw` replay of a parent message) never replaces the parent's copy;
 * - cache writes split into 5-minute and 1-hour from usage.cache_creation (all 5-minute without it);
 * - usage.speed "fast" marks fast mode, billed at a multiple.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { count, isObject, parseObject, projectOf, str, unpriced, utcIso } from './util';

function configDirs(ctx: RootContext): string[] {
  const configured = ctx.env.CLAUDE_CONFIG_DIR?.trim();
  if (configured) {
    return configured
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean);
  }
  const xdg = ctx.env.XDG_CONFIG_HOME?.trim() || path.join(ctx.home, '.config');
  return [path.join(ctx.home, '.claude'), path.join(xdg, 'claude')];
}

function parser(file: string): LineParser {
  const fallbackSession = path.basename(file, '.jsonl');
  return {
    line(text, lineNo): ParsedRecord[] {
      const o = parseObject(text);
      const m = o.message;
      // Progress lines and every line without a top-level message.usage carry no spend of their own.
      if (o.type === 'progress' || !isObject(m) || !isObject(m.usage)) return [];
      if (m.model === '<synthetic>') return [];
      const u = m.usage as Record<string, unknown>;
      const where = 'message.usage';
      const cc = u.cache_creation;
      let w5: number;
      let w1h: number;
      if (isObject(cc)) {
        w5 = count(cc, 'ephemeral_5m_input_tokens', `${where}.cache_creation`);
        w1h = count(cc, 'ephemeral_1h_input_tokens', `${where}.cache_creation`);
      } else {
        w5 = count(u, 'cache_creation_input_tokens', where);
        w1h = 0;
      }
      const t = tokens({
        input: count(u, 'input_tokens', where),
        output: count(u, 'output_tokens', where),
        cacheRead: count(u, 'cache_read_input_tokens', where),
        cacheWrite5m: w5,
        cacheWrite1h: w1h,
      });
      const at = utcIso(o.timestamp, 'timestamp');
      const messageId = str(m.id);
      const id = messageId ? `anthropic:${messageId}` : `claude-code:${str(o.sessionId) ?? fallbackSession}:${str(o.uuid) ?? `line${lineNo}`}`;
      const record: ParsedRecord = {
        interaction: unpriced({
          id,
          at,
          agent: 'claude-code',
          project: projectOf(o.cwd),
          model: str(m.model) ?? 'unknown',
          tokens: t,
          fast: u.speed === 'fast',
        }),
      };
      if (o.isSidechain === true) record.sidechain = true;
      return [record];
    },
  };
}

export const claudeCode: SourceAdapter = {
  id: 'claude-code',
  agent: 'claude-code',
  label: 'Claude Code',
  settingsKey: 'claudeCode',
  defaultRoots: (ctx) => configDirs(ctx).map((d) => path.join(d, 'projects')),
  rootsFromSetting: (p) => [path.basename(p) === 'projects' ? p : path.join(p, 'projects')],
  matches: (file) => file.endsWith('.jsonl'),
  readMode: () => 'lines',
  needles: ['"usage"'],
  // Parents before subagent transcripts, so a replayed parent message finds the parent's copy stored.
  order: (file) => (/[\\/]subagents[\\/]/.test(file) ? 1 : 0),
  createParser: (file) => parser(file),
};
