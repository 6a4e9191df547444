/**
 * A synthetic but realistic Claude Code history, written the way Claude Code writes it: compact
 * JSON lines, one response as several content-block lines with growing output counts, big tool
 * results, resumed sessions that copy earlier lines, subagent transcripts with the parent's
 * `progress` copies, `/btw` sidechain replays, `<synthetic>` placeholders and lines crossing
 * midnight. Deterministic for a seed. Used by the ccusage comparison and the benchmark.
 *
 * Every prompt stays at or under 200k tokens (the long-context threshold), where our rules and
 * ccusage's agree; the differences are tested on purpose elsewhere.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { addDays } from '../../src/core/time';

export interface CorpusOptions {
  /** The CLAUDE_CONFIG_DIR to fill (files go under projects/). */
  root: string;
  seed?: number;
  startDay?: string;
  days?: number;
  /** Main session files (subagent and resumed files come on top). */
  sessions: number;
  /** Turns per session: each is a prompt, 1–3 response lines and a tool result. */
  turns: [number, number];
  /** Size of a tool result's text in bytes. */
  toolResultBytes: [number, number];
  /** Share of sessions that run subagents (default 1/8) and that have a /btw replay (default 1/16). */
  subagentSessions?: number;
  btwSessions?: number;
}

export interface Expected {
  model: string;
  at: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  fast: boolean;
}

export interface Corpus {
  files: string[];
  bytes: number;
  /** The interactions our rules must find: one per response id, its final copy. */
  expected: Map<string, Expected>;
}

export const CORPUS_MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-sonnet-4-5-20250929',
  'claude-sonnet-4-5-20250929',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-1-20250805',
  'claude-opus-4-6',
];

export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the function returns a promise that resolves when every test passes and the cache is warm so we refactor' +
  ' the handler to stream results back while keeping the public api stable'
).split(' ');

export async function generateClaudeCorpus(o: CorpusOptions): Promise<Corpus> {
  const rnd = prng(o.seed ?? 42);
  const int = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  // One big block of text to slice from: generating bytes must not dominate the benchmark's setup.
  const pool = Array.from({ length: 40_000 }, () => pick(WORDS)).join(' ') + '\n  return { ok: true, value: "\\u00e9t\\u00e9" };\n';
  const text = (n: number) => {
    const start = int(0, Math.max(0, pool.length - n - 1));
    let s = pool.slice(start, start + n);
    while (s.length < n) s += pool.slice(0, n - s.length);
    return s;
  };
  const days = o.days ?? 7;
  const start = o.startDay ?? '2025-10-27';
  const expected = new Map<string, Expected>();
  const files: string[] = [];
  let bytes = 0;
  let seq = 0;
  const id = (p: string) => `${p}_01${(++seq).toString(36).padStart(10, '0')}${Math.floor(rnd() * 1e9).toString(36)}`;
  const sessionsByProject: string[][][] = [];

  const open = (file: string) => {
    mkdirSync(path.dirname(file), { recursive: true });
    files.push(file);
    const ws = createWriteStream(file);
    const lines: string[] = [];
    return {
      lines,
      write(line: string) {
        if (lines.length < 20) lines.push(line); // enough for a resumed session to copy
        const ok = ws.write(line + '\n');
        bytes += Buffer.byteLength(line) + 1;
        return ok;
      },
      async close() {
        await new Promise<void>((r) => ws.end(r));
      },
    };
  };

  const usage = (model: string) => {
    const oneHour = rnd() < 0.1;
    const w = rnd() < 0.6 ? int(0, 6000) : 0;
    const u: Record<string, unknown> = {
      input_tokens: int(1, 40),
      cache_creation_input_tokens: w,
      cache_read_input_tokens: int(8000, 150_000),
      cache_creation: { ephemeral_5m_input_tokens: oneHour ? 0 : w, ephemeral_1h_input_tokens: oneHour ? w : 0 },
      output_tokens: int(20, 2500),
      service_tier: 'standard',
    };
    if (model === 'claude-opus-4-6' && rnd() < 0.3) u.speed = 'fast';
    return u;
  };
  const record = (mid: string, model: string, at: string, u: Record<string, unknown>) => {
    const cc = u.cache_creation as Record<string, number>;
    expected.set(mid, {
      model,
      at,
      input: u.input_tokens as number,
      output: u.output_tokens as number,
      cacheRead: u.cache_read_input_tokens as number,
      cacheWrite5m: cc.ephemeral_5m_input_tokens,
      cacheWrite1h: cc.ephemeral_1h_input_tokens,
      fast: u.speed === 'fast',
    });
  };

  for (let i = 0; i < o.sessions; i++) {
    const p = i % 7;
    const cwd = `/home/dev/proj-${p}`;
    const dir = path.join(o.root, 'projects', `-home-dev-proj-${p}`);
    const session = `${(0x10000000 + i).toString(16)}-1a2b-4c3d-8e9f-${(0xa00000000000 + i).toString(16)}`;
    const day = addDays(start, i % days);
    // Some sessions start shortly before midnight so their turns cross into the next day.
    let t = Date.parse(`${day}T00:00:00.000Z`) + (rnd() < 0.15 ? 86_400_000 - int(60, 1800) * 1000 : int(0, 86_000) * 1000);
    const iso = () => new Date(t).toISOString();
    const base = (extra: Record<string, unknown> = {}) => ({
      parentUuid: `p${seq}`,
      isSidechain: false,
      userType: 'external',
      cwd,
      sessionId: session,
      version: '2.0.31',
      gitBranch: 'main',
      ...extra,
    });
    const main = open(path.join(dir, `${session}.jsonl`));
    (sessionsByProject[p] ??= []).push(main.lines);
    // A resumed session opens by copying the start of an earlier one, same ids.
    const earlier = sessionsByProject[p].length > 1 && rnd() < 0.1 ? sessionsByProject[p][int(0, sessionsByProject[p].length - 2)] : null;
    if (earlier) for (const l of earlier.slice(0, Math.min(earlier.length, int(4, 20)))) main.write(l);
    let sub: ReturnType<typeof open> | null = null;
    let btw: ReturnType<typeof open> | null = null;
    // About one session in eight runs subagents, one in sixteen has a /btw side question.
    const subRate = rnd() < (o.subagentSessions ?? 0.125) ? 0.15 : 0;
    const btwRate = rnd() < (o.btwSessions ?? 0.0625) ? 0.1 : 0;
    const parentMsgs: { mid: string; line: Record<string, unknown> }[] = [];
    for (let turn = int(o.turns[0], o.turns[1]); turn > 0; turn--) {
      t += int(5, 240) * 1000;
      main.write(
        JSON.stringify({
          ...base(),
          type: 'user',
          message: { role: 'user', content: text(int(40, 1200)) },
          uuid: `u${++seq}`,
          timestamp: iso(),
        }),
      );
      const model = pick(CORPUS_MODELS);
      const u = usage(model);
      const mid = id('msg');
      const req = id('req');
      const blocks = int(1, 3);
      const out = u.output_tokens as number;
      for (let b = 1; b <= blocks; b++) {
        t += int(200, 3000);
        const partial = b === blocks ? out : Math.max(1, Math.floor((out * b) / (blocks + 1)));
        const block =
          b === blocks
            ? {
                type: 'tool_use',
                id: `toolu_${seq}`,
                name: 'Edit',
                input: { file_path: `${cwd}/src/a.ts`, old_string: text(int(20, 400)), new_string: text(int(20, 600)) },
              }
            : { type: b === 1 ? 'thinking' : 'text', [b === 1 ? 'thinking' : 'text']: text(int(20, 800)) };
        const line = {
          ...base(),
          message: {
            model,
            id: mid,
            type: 'message',
            role: 'assistant',
            content: [block],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...u, output_tokens: partial },
          },
          requestId: req,
          type: 'assistant',
          uuid: `u${++seq}`,
          timestamp: iso(),
        };
        main.write(JSON.stringify(line));
        if (b === blocks) {
          record(mid, model, iso(), u);
          parentMsgs.push({ mid, line });
        }
      }
      t += int(100, 5000);
      main.write(
        JSON.stringify({
          ...base(),
          type: 'user',
          message: {
            role: 'user',
            content: [{ tool_use_id: `toolu_${seq}`, type: 'tool_result', content: text(int(o.toolResultBytes[0], o.toolResultBytes[1])) }],
          },
          uuid: `u${++seq}`,
          timestamp: iso(),
        }),
      );
      if (rnd() < 0.05) {
        main.write(
          JSON.stringify({
            ...base(),
            type: 'assistant',
            isApiErrorMessage: true,
            message: {
              id: `9d13e9fe-${seq.toString(16).padStart(4, '0')}-4ea1-9e76-b65731725eb6`,
              model: '<synthetic>',
              role: 'assistant',
              type: 'message',
              content: [{ type: 'text', text: 'API Error: Request was aborted.' }],
              usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
            },
            uuid: `u${++seq}`,
            timestamp: iso(),
          }),
        );
      }
      if (rnd() < subRate) {
        // A subagent: its own transcript holds its responses; the parent logs progress copies.
        sub ??= open(path.join(dir, session, 'subagents', `agent-${seq.toString(16)}.jsonl`));
        for (let k = int(1, 3); k > 0; k--) {
          t += int(500, 20_000);
          const sm = 'claude-haiku-4-5-20251001';
          const su = usage(sm);
          const smid = id('msg');
          const sreq = id('req');
          const inner = {
            type: 'assistant',
            timestamp: iso(),
            requestId: sreq,
            message: {
              model: sm,
              id: smid,
              type: 'message',
              role: 'assistant',
              content: [{ type: 'text', text: text(int(20, 300)) }],
              usage: su,
            },
          };
          sub.write(JSON.stringify({ ...base({ isSidechain: true, agentId: 'a1', slug: 'explore' }), ...inner, uuid: `u${++seq}` }));
          main.write(
            JSON.stringify({
              ...base(),
              type: 'progress',
              data: { type: 'agent_progress', message: inner },
              uuid: `u${++seq}`,
              timestamp: iso(),
            }),
          );
          record(smid, sm, inner.timestamp, su);
        }
      }
      if (parentMsgs.length && rnd() < btwRate) {
        // /btw: a sidechain replays a parent message with a new request id and its own counts.
        const src = pick(parentMsgs);
        const m = src.line.message as Record<string, unknown>;
        const replay = {
          ...src.line,
          ...base({ isSidechain: true, agentId: 'b1', slug: 'btw' }),
          message: { ...m, usage: { ...(m.usage as object), output_tokens: int(3000, 4000) } },
          requestId: id('req'),
          uuid: `u${++seq}`,
          timestamp: iso(),
        };
        btw ??= open(path.join(dir, session, 'subagents', `agent-btw${seq.toString(16)}.jsonl`));
        btw.write(JSON.stringify(replay));
      }
    }
    await main.close();
    if (sub) await sub.close();
    if (btw) await btw.close();
  }
  return { files, bytes, expected };
}
