/**
 * What Cline, Roo Code and Kilo Code share (Roo is a fork of Cline, Kilo a fork of Roo): task
 * histories `<storage>/tasks/<taskId>/ui_messages.json`, a JSON array rewritten whole as the task
 * runs (Cline: `JSON.stringify(messages)`, apps/vscode/src/core/storage/disk.ts; Roo and Kilo:
 * `safeWriteJson`, src/core/task-persistence/taskMessages.ts). Each request is an entry
 * `{ts, type:"say", say:"api_req_started", text}` whose text is itself JSON:
 * `{tokensIn, tokensOut, cacheWrites, cacheReads, cost}`, filled in when the response ends.
 *
 * Usage entries read besides `api_req_started`, as each writer's own task totals read them:
 * - `deleted_api_reqs` (Cline) / `api_req_deleted` (Roo, Kilo): written by a checkpoint restore,
 *   the summed usage of the requests it removed from the file. See `deletedResidual`.
 * - `subagent_usage` (Cline): the summed usage of a batch of subagents; no model.
 * - `condense_context` (Roo, Kilo): `contextCondense.cost` of the summarising call; no tokens.
 *
 * What `tokensIn` means differs (see `splitInput`), and where the model is written differs:
 * Cline puts `modelInfo {providerId, modelId}` on every say entry; Roo and Kilo only write it as
 * `<model>` in the environment details of `api_conversation_history.json` beside ui_messages.json.
 * Where neither says, the model stays 'unknown' and the cost the agent reported stands in.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { tokens } from '../interaction';
import { usdToNanos } from '../money';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter, SourceId } from './types';
import { MalformedLine } from './types';
import { count, isObject, projectOf, str, unpriced } from './util';
import { errorMessage } from '../errors';

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

/** How a family member writes `tokensIn`. */
export type Flavour = 'cline' | 'roo';

/** The numbers of one usage entry as the agent wrote them (nanos for the reported cost). */
type Raw = [tokensIn: number, tokensOut: number, cacheWrites: number, cacheReads: number, costNanos: number];

/**
 * What a task parser remembers between reads: the entries it handed over (by ts) and the sum of
 * what they wrote, the part a later restore sum may repeat. Entries are final once handed over,
 * so the part of that sum now gone from the file is the sum less the entries still there.
 */
interface Saved {
  v: 2;
  ts: number[];
  sum: Raw;
}

const ZERO: Raw = [0, 0, 0, 0, 0];

function readSaved(saved: unknown): Saved {
  if (!isObject(saved) || saved.v !== 2 || !Array.isArray(saved.ts) || !Array.isArray(saved.sum) || saved.sum.length !== 5)
    return { v: 2, ts: [], sum: [...ZERO] };
  if (!saved.sum.every((n) => Number.isSafeInteger(n)) || !saved.ts.every((n) => typeof n === 'number'))
    return { v: 2, ts: [], sum: [...ZERO] };
  return saved as unknown as Saved;
}

/** Beyond this, `api_conversation_history.json` is not read for the model (a whole task is rarely over a few MB). */
const MAX_HISTORY_BYTES = 64 * 1024 * 1024;

const PRICE_BY_INPUT_TOTAL = new Set(['openai', 'litellm']);

/**
 * The disjoint uncached input from `tokensIn`.
 * - Cline: `tokensIn` is the provider's input count. Its OpenAI-compatible handler writes
 *   `prompt_tokens` and LiteLLM's too, which include cached tokens (and `prompt_cache_miss_tokens`
 *   as cacheWrites): for providerId `openai` / `litellm` the cache counts are subtracted; every
 *   other provider reports disjoint counts (Anthropic, OpenRouter, Gemini, …).
 * - Roo Code ≥ 3.29.5 and Kilo Code after the same change (Roo commit 416fa572, `calculateApiCost*`
 *   returning `totalInputTokens`): `tokensIn` is the total input, uncached + cache writes + cache
 *   reads, for both API protocols. Before, `tokensIn` was the provider's count: disjoint for the
 *   anthropic protocol, total for the openai one. The file carries no version, so: an entry marked
 *   `apiProtocol:"openai"` is a total; otherwise a `tokensIn` smaller than the cache counts can only
 *   be the older disjoint count and is kept; else it is a total. (An old anthropic-protocol entry
 *   whose uncached input exceeds its cached input would be under-counted; with prompt caching on,
 *   every request after the first reads far more from the cache than it sends anew.)
 */
export function splitInput(
  flavour: Flavour,
  tokensIn: number,
  cacheWrites: number,
  cacheReads: number,
  protocolOrProvider: string | null,
): number {
  const cached = cacheWrites + cacheReads;
  if (flavour === 'cline')
    return protocolOrProvider && PRICE_BY_INPUT_TOTAL.has(protocolOrProvider) ? Math.max(0, tokensIn - cached) : tokensIn;
  if (protocolOrProvider === 'openai') return Math.max(0, tokensIn - cached);
  return tokensIn < cached ? tokensIn : tokensIn - cached;
}

/** The model (and workspace) each Roo/Kilo request ran with, from the environment details sent with it. */
interface ModelTimeline {
  /** [ts of the user message, model], ascending by ts. */
  points: [number, string][];
  cwd: string | null;
}

const MODEL_RE = /<model>([^<\n]{1,200})<\/model>/;
const CWD_RE = /# Current Workspace Directory \(([^)\n]{1,1000})\) Files/;

/** Reads `api_conversation_history.json` beside a task's ui_messages.json; nothing when absent, too big or unreadable. */
export function readModelTimeline(taskDir: string, maxBytes = MAX_HISTORY_BYTES): ModelTimeline {
  const out = readEnvironmentDetails(taskDir, maxBytes);
  out.cwd ??= historyItemWorkspace(taskDir);
  return out;
}

function readEnvironmentDetails(taskDir: string, maxBytes: number): ModelTimeline {
  const out: ModelTimeline = { points: [], cwd: null };
  let list: unknown;
  try {
    const text = readBounded(path.join(taskDir, 'api_conversation_history.json'), maxBytes);
    if (text === null) return out;
    list = JSON.parse(text);
  } catch {
    return out; // caught mid-rewrite or damaged: the model stays unknown for now, the agent's cost stands in
  }
  if (!Array.isArray(list)) return out;
  for (const m of list) {
    if (!isObject(m) || m.role !== 'user' || typeof m.ts !== 'number' || !Array.isArray(m.content)) continue;
    for (const b of m.content) {
      if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string' || !b.text.includes('<environment_details>')) continue;
      const model = MODEL_RE.exec(b.text)?.[1]?.trim();
      if (model) out.points.push([m.ts, model]);
      out.cwd ??= CWD_RE.exec(b.text)?.[1] ?? null;
    }
  }
  out.points.sort((a, b) => a[0] - b[0]);
  return out;
}

/**
 * Roo Code since 3.49 (TaskHistoryStore, RooCodeInc/Roo-Code b598efb4) keeps the task's history item
 * beside it, with the `workspace` the task ran in: the project when no environment details name it.
 */
function historyItemWorkspace(taskDir: string): string | null {
  try {
    const text = readBounded(path.join(taskDir, 'history_item.json'), 1024 * 1024);
    const item: unknown = text === null ? null : JSON.parse(text);
    return isObject(item) ? str(item.workspace) : null;
  } catch {
    return null;
  }
}

/** A whole small file as text, or null when absent, not a regular file or over `maxBytes`. */
export function readBounded(file: string, maxBytes: number): string | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return null;
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.toString('utf8', 0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * The model of a request, given when the next request started (`next`): Roo says
 * `api_req_started` first, then adds the user message with the environment details (ts a moment
 * later); a retry adds none. So the last environment details before the next request are this
 * one's. When a condense removed those messages, the earliest known model is the best guess left.
 */
export function modelAt(t: ModelTimeline, next: number): string | null {
  const p = t.points;
  let lo = 0;
  let hi = p.length; // first point at or after `next`
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (p[mid]![0] < next) lo = mid + 1;
    else hi = mid;
  }
  return (lo > 0 ? p[lo - 1]![1] : p[0]?.[1]) ?? null;
}

const DELETED = new Set(['deleted_api_reqs', 'api_req_deleted']);
const MAX_TS = 8.64e15; // the largest instant a Date holds

interface Entry {
  ts: number;
  kind: 'request' | 'deleted' | 'subagents' | 'condense';
  raw: Raw;
  /** Whether the entry says what it cost (absent: unpriced when the model is unknown, never $0). */
  hasCost: boolean;
  model: string | null;
  protocol: string | null;
}

/** One usage-carrying entry of ui_messages.json, or null (not usage, or a request still running). */
function readEntry(
  m: Record<string, unknown>,
  i: number,
  flavour: Flavour,
  lastModel: { id: string | null; provider: string | null },
): Entry | null {
  if (isObject(m.modelInfo)) {
    lastModel.id = str(m.modelInfo.modelId) ?? lastModel.id;
    lastModel.provider = str(m.modelInfo.providerId) ?? lastModel.provider;
  }
  if (m.type !== 'say') return null;
  const where = `[${i}]`;
  let kind: Entry['kind'];
  let info: Record<string, unknown>;
  if (m.say === 'condense_context' && flavour === 'roo') {
    const c = m.contextCondense;
    if (!isObject(c) || c.cost === undefined) return null;
    if (typeof c.cost !== 'number' || !Number.isFinite(c.cost) || c.cost < 0)
      throw new MalformedLine(
        `${where}.contextCondense.cost: expected a non-negative number of dollars, got ${JSON.stringify(c.cost)?.slice(0, 40)}`,
      );
    if (c.cost === 0) return null;
    kind = 'condense';
    info = { cost: c.cost };
  } else {
    if (m.say === 'api_req_started') kind = 'request';
    else if (typeof m.say === 'string' && DELETED.has(m.say)) kind = 'deleted';
    else if (m.say === 'subagent_usage' && flavour === 'cline') kind = 'subagents';
    else return null;
    if (typeof m.text !== 'string') return null;
    info = parseInfo(m.text, `${where}.text`);
    if (info.tokensIn === undefined && info.tokensOut === undefined && info.cost === undefined) return null; // still running
  }
  const ts = m.ts;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || Math.abs(ts) > MAX_TS)
    throw new MalformedLine(`${where}.ts: expected epoch milliseconds, got ${JSON.stringify(ts)?.slice(0, 40)}`);
  const w = `${where}.text`;
  const cost = costNanos(info.cost);
  const raw: Raw = [
    count(info, 'tokensIn', w),
    count(info, 'tokensOut', w),
    count(info, 'cacheWrites', w),
    count(info, 'cacheReads', w),
    cost ?? 0,
  ];
  const own = isObject(m.modelInfo) ? m.modelInfo : null;
  const model = kind === 'request' ? (str(own?.modelId) ?? lastModel.id ?? str(info.modelId) ?? str(info.model)) : null;
  const protocol = flavour === 'cline' ? (str(own?.providerId) ?? lastModel.provider) : str(info.apiProtocol);
  return { ts, kind, raw, model, protocol, hasCost: cost !== null };
}

function parseInfo(text: string, where: string): Record<string, unknown> {
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch {
    throw new MalformedLine(`${where}: expected JSON with tokensIn/tokensOut, got ${JSON.stringify(text).slice(0, 40)}`);
  }
  if (!isObject(info)) throw new MalformedLine(`${where}: expected a JSON object, got ${typeof info}`);
  return info;
}

/** The reported cost in nanos; null when absent or not a sane number of dollars (the tokens still count, priced by our table or unpriced). */
function costNanos(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e9 ? usdToNanos(v) : null;
}

/**
 * A restore writes the summed usage of the requests it removed. Those removed requests this parser
 * already handed over are in the ledger: only the rest is new. So the residual is the entry's sum
 * less what was handed over from this file and is gone from it now. With no saved state (a file
 * first seen after the restore) nothing was handed over and the whole sum is new.
 */
function deletedResidual(e: Entry, gone: Raw): Raw {
  const r = [...e.raw] as Raw;
  for (let k = 0; k < 5; k++) {
    r[k] = Math.max(0, r[k]! - gone[k]!); // below zero: a sum written before one of its parts was read
    gone[k] = 0;
  }
  return r;
}

function toRecord(
  agent: SourceId,
  task: string,
  flavour: Flavour,
  e: Entry,
  raw: Raw,
  model: string | null,
  project: string | null,
): ParsedRecord {
  const [tokensIn, output, cacheWrite5m, cacheRead, reported] = raw;
  const input = e.kind === 'condense' ? 0 : splitInput(flavour, tokensIn, cacheWrite5m, cacheRead, e.protocol);
  const r: ParsedRecord = {
    interaction: unpriced({
      id: `${agent}:${task}:${e.ts}`,
      at: new Date(e.ts).toISOString(),
      agent,
      project,
      // Summed entries mix requests (and models): only the agent's own cost can price them.
      model: (e.kind === 'request' && model) || 'unknown',
      tokens: tokens({ input, output, cacheWrite5m, cacheRead }),
    }),
  };
  if (e.hasCost) r.reportedCostNanos = reported;
  return r;
}

export interface TaskParserOptions {
  agent: SourceId;
  flavour: Flavour;
  /** Roo and Kilo: read the model from api_conversation_history.json beside the file. */
  siblingHistory: boolean;
  maxHistoryBytes?: number;
}

export function taskParser(file: string, o: TaskParserOptions, saved?: unknown): LineParser {
  const task = path.basename(path.dirname(file));
  const before = readSaved(saved);
  let state: Saved = before;
  return {
    line(text, _lineNo, malformed): ParsedRecord[] {
      let list: unknown;
      try {
        list = JSON.parse(text);
      } catch (err) {
        throw new MalformedLine(`not JSON (${errorMessage(err).slice(0, 60)})`);
      }
      if (!Array.isArray(list)) throw new MalformedLine(`expected a JSON array of messages, got ${typeof list}`);
      const { entries, starts } = readEntries(list, o.flavour, malformed);
      const timeline = o.siblingHistory ? readModelTimeline(path.dirname(file), o.maxHistoryBytes) : null;
      const result = build(entries, starts, before, task, o, timeline);
      state = result.state;
      return result.records;
    },
    save: () => state,
  };
}

/** The usage entries, and when every request started (those still running too: their environment details may be written already). */
function readEntries(list: unknown[], flavour: Flavour, malformed?: (reason: string) => void): { entries: Entry[]; starts: number[] } {
  const out: Entry[] = [];
  const starts: number[] = [];
  const lastModel = { id: null as string | null, provider: null as string | null };
  list.forEach((m, i) => {
    if (!isObject(m)) return;
    if (m.say === 'api_req_started' && typeof m.ts === 'number' && Number.isFinite(m.ts)) starts.push(m.ts);
    try {
      const e = readEntry(m, i, flavour, lastModel);
      if (e) out.push(e);
    } catch (err) {
      if (!(err instanceof MalformedLine)) throw err;
      malformed?.(err.message);
    }
  });
  starts.sort((a, b) => a - b);
  return { entries: out, starts };
}

/**
 * Which entries a restore sum repeats: Cline's (getApiMetrics) adds requests, earlier restore sums and
 * subagent sums; Roo's and Kilo's (consolidateTokenUsage) add requests and condense costs only.
 */
function repeatedBySum(flavour: Flavour, e: Entry): boolean {
  return flavour === 'cline' || e.kind !== 'deleted';
}

function build(
  entries: Entry[],
  starts: number[],
  before: Saved,
  task: string,
  o: TaskParserOptions,
  timeline: ModelTimeline | null,
): { records: ParsedRecord[]; state: Saved } {
  const handed = new Set(before.ts);
  const gone = [...before.sum] as Raw;
  for (const e of entries) if (handed.has(e.ts) && repeatedBySum(o.flavour, e)) for (let k = 0; k < 5; k++) gone[k]! -= e.raw[k]!;
  const state: Saved = { v: 2, ts: [], sum: [...ZERO] };
  const records: ParsedRecord[] = [];
  const project = projectOf(timeline?.cwd);
  entries.forEach((e) => {
    // Nothing billed (a failed retry writes all zeros): no interaction to record.
    if (e.raw[0] + e.raw[1] + e.raw[2] + e.raw[3] + e.raw[4] === 0) return;
    state.ts.push(e.ts);
    if (repeatedBySum(o.flavour, e)) for (let k = 0; k < 5; k++) state.sum[k]! += e.raw[k]!;
    if (e.kind === 'deleted' && handed.has(e.ts)) return; // its new part is stored already
    const raw = e.kind === 'deleted' ? deletedResidual(e, gone) : e.raw;
    if (raw[0] + raw[1] + raw[2] + raw[3] + raw[4] === 0) return; // a restore sum whose parts are all stored
    const model = e.kind === 'request' && timeline ? (modelAt(timeline, firstAfter(starts, e.ts)) ?? e.model) : e.model;
    records.push(toRecord(o.agent, task, o.flavour, e, raw, model, project));
  });
  return { records, state };
}

/** The first of the sorted `xs` above `x`, or Infinity. */
function firstAfter(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo < xs.length ? xs[lo]! : Infinity;
}

export interface TaskAgent {
  id: SourceId;
  label: string;
  settingsKey: SourceAdapterKey;
  /** VS Code extension id, the folder under globalStorage. */
  extensionId: string;
  flavour: Flavour;
  siblingHistory: boolean;
  /** Task folders outside globalStorage (Cline's CLI and JetBrains plugin). */
  extraRoots?(ctx: RootContext): string[];
}

type SourceAdapterKey = SourceAdapter['settingsKey'];

export function vscodeTaskAdapter(p: TaskAgent): SourceAdapter {
  return {
    id: p.id,
    agent: p.id,
    label: p.label,
    settingsKey: p.settingsKey,
    defaultRoots: (ctx) => [
      ...globalStorageDirs(ctx).map((d) => path.join(d, p.extensionId, 'tasks')),
      ...(ctx.customStoragePaths?.[p.id] ?? []).map((d) => path.join(d, 'tasks')),
      ...(p.extraRoots?.(ctx) ?? []),
    ],
    rootsFromSetting: (dir) => {
      const base = path.basename(dir);
      if (base === 'tasks') return [dir];
      if (base.toLowerCase() === p.extensionId) return [path.join(dir, 'tasks')];
      // A globalStorage folder, or a custom storage path (Roo/Kilo `customStoragePath`: `<path>/tasks/<id>`).
      return [path.join(dir, p.extensionId, 'tasks'), path.join(dir, 'tasks')];
    },
    matches: (file) => path.basename(file) === 'ui_messages.json',
    readMode: () => 'document',
    createParser: (file, saved) => taskParser(file, { agent: p.id, flavour: p.flavour, siblingHistory: p.siblingHistory }, saved),
  };
}
