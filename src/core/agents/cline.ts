/**
 * Cline. Three places, one agent:
 * - the VS Code extension (`saoudrizwan.claude-dev`) up to 3.x: `<globalStorage>/saoudrizwan.claude-dev/tasks/<id>/ui_messages.json`;
 * - the CLI and the JetBrains plugin: the same files under `<data>/tasks/<id>/`;
 * - the 4.x SDK bundle (CLI and extension): `<data>/sessions/<id>/<id>.messages.json`, subagents'
 *   transcripts beside it as `<id>__<agent>.messages.json` (sdk/packages/core/docs/messages-contract-v1.md).
 * `<data>` is `CLINE_DATA_DIR`, else `CLINE_DIR/data`, else `~/.cline/data`; the sessions folder
 * `CLINE_SESSION_DATA_DIR` when set (apps/vscode/src/shared/storage/storage-context.ts, apps/cli/src/utils/helpers.ts).
 * ui_messages.json is read in vscodeTasks.ts; the SDK file here.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import { usdToNanos } from '../money';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, isObject, projectOf, str, unpriced } from './util';
import { readBounded, splitInput, vscodeTaskAdapter } from './vscodeTasks';
import { errorMessage } from '../errors';

function clineDataDir(ctx: RootContext): string {
  const explicit = ctx.env.CLINE_DATA_DIR?.trim();
  if (explicit) return explicit;
  const dir = ctx.env.CLINE_DIR?.trim();
  return dir ? path.join(dir, 'data') : path.join(ctx.home, '.cline', 'data');
}

function sessionsDir(ctx: RootContext): string {
  return ctx.env.CLINE_SESSION_DATA_DIR?.trim() || path.join(clineDataDir(ctx), 'sessions');
}

const SDK_SUFFIX = '.messages.json';
const isSdkFile = (file: string) => path.basename(file).endsWith(SDK_SUFFIX);
const MAX_TS = 8.64e15;

/**
 * One SDK transcript: every assistant message carrying `metrics` is one turn's usage, with the
 * model on `modelInfo.id`. `metrics.inputTokens` comes from the AI SDK's `usage.inputTokens.total`
 * (sdk/packages/llms/src/providers/ai-sdk.ts), which includes cache reads and writes: split as Roo's.
 */
function sdkParser(file: string): LineParser {
  const stem = path.basename(file).slice(0, -SDK_SUFFIX.length);
  let project: string | null | undefined;
  return {
    line(text, _lineNo, malformed): ParsedRecord[] {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new MalformedLine(`not JSON (${errorMessage(err).slice(0, 60)})`);
      }
      if (!isObject(doc) || !Array.isArray(doc.messages))
        throw new MalformedLine('expected {"version":1,"messages":[…]} (Cline SDK messages.json)');
      const out: ParsedRecord[] = [];
      doc.messages.forEach((m, i) => {
        if (!isObject(m) || m.role !== 'assistant' || !isObject(m.metrics)) return;
        try {
          project ??= sessionProject(path.dirname(file));
          out.push(sdkRecord(m, `messages[${i}]`, stem, project));
        } catch (err) {
          if (!(err instanceof MalformedLine)) throw err;
          malformed?.(err.message);
        }
      });
      return out;
    },
  };
}

/**
 * The workspace of a session, from the manifest `<sessions>/<rootId>/<rootId>.json` written when it
 * started (`workspace_root`, else `cwd`; sdk/packages/core/src/session/models/session-manifest.ts).
 * Subagents' transcripts sit in their root session's folder, so they share its workspace.
 */
function sessionProject(dir: string): string | null {
  try {
    const text = readBounded(path.join(dir, `${path.basename(dir)}.json`), 4 * 1024 * 1024);
    const m: unknown = text === null ? null : JSON.parse(text);
    return isObject(m) ? projectOf(m.workspace_root ?? m.cwd) : null;
  } catch {
    return null; // caught mid-write or damaged: the project stays unknown
  }
}

function sdkRecord(m: Record<string, unknown>, where: string, stem: string, project: string | null): ParsedRecord {
  const x = m.metrics as Record<string, unknown>;
  const w = `${where}.metrics`;
  if (typeof m.ts !== 'number' || !Number.isFinite(m.ts) || Math.abs(m.ts) > MAX_TS)
    throw new MalformedLine(`${where}.ts: expected epoch milliseconds, got ${JSON.stringify(m.ts)?.slice(0, 40)}`);
  const cacheRead = count(x, 'cacheReadTokens', w);
  const cacheWrite5m = count(x, 'cacheWriteTokens', w);
  const input = splitInput('roo', count(x, 'inputTokens', w), cacheWrite5m, cacheRead, null);
  const r: ParsedRecord = {
    interaction: unpriced({
      id: `cline:${stem}:${str(m.id) ?? m.ts}`,
      at: new Date(m.ts).toISOString(),
      agent: 'cline',
      project,
      model: (isObject(m.modelInfo) && str(m.modelInfo.id)) || 'unknown',
      tokens: tokens({ input, output: count(x, 'outputTokens', w), cacheWrite5m, cacheRead }),
    }),
  };
  if (typeof x.cost === 'number' && Number.isFinite(x.cost) && x.cost >= 0 && x.cost <= 1e9) r.reportedCostNanos = usdToNanos(x.cost);
  return r;
}

const tasks = vscodeTaskAdapter({
  id: 'cline',
  label: 'Cline',
  settingsKey: 'cline',
  extensionId: 'saoudrizwan.claude-dev',
  flavour: 'cline',
  siblingHistory: false,
  extraRoots: (ctx) => [path.join(clineDataDir(ctx), 'tasks'), sessionsDir(ctx)],
});

export const cline: SourceAdapter = {
  ...tasks,
  rootsFromSetting: (dir) =>
    path.basename(dir) === 'sessions'
      ? [dir]
      : [...tasks.rootsFromSetting(dir), path.join(dir, 'sessions'), path.join(dir, 'data', 'tasks'), path.join(dir, 'data', 'sessions')],
  matches: (file) => tasks.matches(file) || isSdkFile(file),
  createParser: (file, saved) => (isSdkFile(file) ? sdkParser(file) : tasks.createParser(file, saved)),
};
