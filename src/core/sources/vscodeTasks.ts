/**
 * What Cline and Roo Code share (Roo Code is a fork of Cline): task histories in VS Code's
 * globalStorage, `<globalStorage>/<extension id>/tasks/<taskId>/ui_messages.json`, a JSON array
 * rewritten whole as the task runs. Each request is an entry `{ts, type:"say", say:"api_req_started",
 * text}` whose text is itself JSON: `{tokensIn, tokensOut, cacheWrites, cacheReads, cost}`, filled
 * in when the response ends (an entry without token counts yet is a request still running).
 * Newer Cline writes the model on the entry (`modelInfo.modelId`); without it the model is unknown
 * and the cost the agent reported stands in.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import { usdToNanos } from '../money';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, isObject, str, unpriced } from './util';

const EDITORS = ['Code', 'Code - Insiders', 'VSCodium', 'Cursor', 'Windsurf'];

/** Every `User/globalStorage` folder an editor of the VS Code family keeps on this platform. */
export function globalStorageDirs(ctx: RootContext): string[] {
  const { env, home, platform } = ctx;
  let base: string;
  if (platform === 'win32') base = env.APPDATA || path.join(home, 'AppData', 'Roaming');
  else if (platform === 'darwin') base = path.join(home, 'Library', 'Application Support');
  else base = env.XDG_CONFIG_HOME?.trim() || path.join(home, '.config');
  const dirs = EDITORS.map((e) => path.join(base, e, 'User', 'globalStorage'));
  const dataHome = (platform === 'win32' ? null : env.XDG_DATA_HOME?.trim()) || path.join(home, '.local', 'share');
  dirs.push(path.join(dataHome, 'code-server', 'User', 'globalStorage'));
  // Remote-SSH and dev containers run extensions on the remote side, which keeps its own storage.
  dirs.push(path.join(home, '.vscode-server', 'data', 'User', 'globalStorage'));
  dirs.push(path.join(home, '.vscode-server-insiders', 'data', 'User', 'globalStorage'));
  for (const d of ctx.globalStorageDirs ?? []) if (!dirs.includes(d)) dirs.push(d);
  return dirs;
}

function parser(file: string, agent: 'cline' | 'roo-code'): LineParser {
  const task = path.basename(path.dirname(file));
  return {
    line(text, _lineNo, malformed): ParsedRecord[] {
      let list: unknown;
      try {
        list = JSON.parse(text);
      } catch (err) {
        throw new MalformedLine(`not JSON (${(err as Error).message.slice(0, 60)})`);
      }
      if (!Array.isArray(list)) throw new MalformedLine(`expected a JSON array of messages, got ${typeof list}`);
      const out: ParsedRecord[] = [];
      let model: string | null = null;
      list.forEach((m, i) => {
        if (!isObject(m)) return;
        if (isObject(m.modelInfo) && str(m.modelInfo.modelId)) model = m.modelInfo.modelId as string;
        if (m.type !== 'say' || m.say !== 'api_req_started' || typeof m.text !== 'string') return;
        const where = `[${i}].text`;
        try {
          const r = record(m, where, task, agent, model);
          if (r) out.push(r);
        } catch (err) {
          if (!(err instanceof MalformedLine)) throw err;
          malformed?.(err.message);
        }
      });
      return out;
    },
  };
}

function record(m: Record<string, unknown>, where: string, task: string, agent: 'cline' | 'roo-code', model: string | null): ParsedRecord | null {
  let info: unknown;
  try {
    info = JSON.parse(m.text as string);
  } catch {
    throw new MalformedLine(`${where}: expected JSON with tokensIn/tokensOut, got ${JSON.stringify(m.text).slice(0, 40)}`);
  }
  if (!isObject(info)) throw new MalformedLine(`${where}: expected a JSON object, got ${typeof info}`);
  if (info.tokensIn === undefined && info.tokensOut === undefined) return null; // still running
  if (typeof m.ts !== 'number' || !Number.isFinite(m.ts)) throw new MalformedLine(`${where.replace('.text', '.ts')}: expected epoch milliseconds, got ${JSON.stringify(m.ts)}`);
  const t = tokens({
    input: count(info, 'tokensIn', where),
    output: count(info, 'tokensOut', where),
    cacheWrite5m: count(info, 'cacheWrites', where),
    cacheRead: count(info, 'cacheReads', where),
  });
  const r: ParsedRecord = {
    interaction: unpriced({
      id: `${agent}:${task}:${m.ts}`,
      at: new Date(m.ts).toISOString(),
      agent,
      project: null,
      model: model ?? str(info.modelId) ?? str(info.model) ?? 'unknown',
      tokens: t,
    }),
  };
  if (typeof info.cost === 'number' && Number.isFinite(info.cost) && info.cost >= 0) r.reportedCostNanos = usdToNanos(info.cost);
  return r;
}

export function vscodeTaskAdapter(p: { id: 'cline' | 'roo-code'; label: string; settingsKey: 'cline' | 'rooCode'; extensionId: string }): SourceAdapter {
  return {
    id: p.id,
    agent: p.id,
    label: p.label,
    settingsKey: p.settingsKey,
    defaultRoots: (ctx) => globalStorageDirs(ctx).map((d) => path.join(d, p.extensionId, 'tasks')),
    rootsFromSetting: (dir) => {
      const base = path.basename(dir);
      if (base === 'tasks') return [dir];
      if (base.toLowerCase() === p.extensionId) return [path.join(dir, 'tasks')];
      return [path.join(dir, p.extensionId, 'tasks')];
    },
    matches: (file) => path.basename(file) === 'ui_messages.json',
    readMode: () => 'document',
    createParser: (file) => parser(file, p.id),
  };
}
