/**
 * A synthetic Codex history (CODEX_HOME/sessions), written line for line the way openai/codex writes
 * token_count-era rollouts (see fixtures/codex-conformance/README.md): cumulative totals with each
 * response's own last_token_usage, re-emitted totals, rate-limit-only updates, model switches,
 * context-window resets (fill_to_context_window) and counts that restart above or below the old
 * total, and forks whose copy of the parent (its session_meta first) is re-stamped over one to
 * four seconds before the fork's own turns continue the parent's total. Deterministic for a seed.
 *
 * `expected` is the independent reference: every response the corpus holds, once, with its own
 * usage, as the generator made it (never read back from the files).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { addDays } from '../../src/core/time';
import { prng } from './corpus';

export interface CodexExpected {
  at: string;
  model: string;
  /** Uncached input. */
  input: number;
  cacheRead: number;
  output: number;
  reasoning: number;
}

export interface CodexCorpus {
  files: string[];
  expected: CodexExpected[];
  stats: { forks: number; fills: number; restartsAbove: number; restartsBelow: number; reemitted: number; modelSwitches: number };
}

export const CODEX_CORPUS_MODELS = ['gpt-5-codex', 'gpt-5-codex', 'gpt-5', 'gpt-5.1-codex', 'gpt-5.1-codex-mini', 'gpt-5.2-codex'];
const PROJECTS = ['acme', 'web', 'infra'];
const WINDOW = 272_000;

type U = [input: number, cached: number, output: number, reasoning: number, total: number];
const usage = (u: U) => ({
  input_tokens: u[0],
  cached_input_tokens: u[1],
  output_tokens: u[2],
  reasoning_output_tokens: u[3],
  total_tokens: u[4],
});
const add = (a: U, b: U): U => [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4]];
const iso = (ms: number) => new Date(ms).toISOString();
const line = (ms: number, type: string, payload: unknown) => JSON.stringify({ timestamp: iso(ms), type, payload });
const tokenCount = (ms: number, total: U, last: U) =>
  line(ms, 'event_msg', {
    type: 'token_count',
    info: { total_token_usage: usage(total), last_token_usage: usage(last), model_context_window: WINDOW },
    rate_limits: null,
  });

function uuid7(ms: number, n: number): string {
  const h = ms.toString(16).padStart(12, '0');
  const tail = n.toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-7000-8000-${tail}`;
}

function fileFor(home: string, ms: number, id: string): string {
  const d = iso(ms);
  const name = `rollout-${d.slice(0, 10)}T${d.slice(11, 19).replace(/:/g, '-')}-${id}.jsonl`;
  return path.join(home, 'sessions', d.slice(0, 4), d.slice(5, 7), d.slice(8, 10), name);
}

interface Thread {
  lines: string[];
  total: U | null;
  ms: number;
  model: string;
  cwd: string;
}

export function generateCodexCorpus(o: {
  home: string;
  seed: number;
  sessions: number;
  days: number;
  startDay: string;
  turns: [number, number];
  forkShare: number;
  resetShare: number;
}): CodexCorpus {
  const rnd = prng(o.seed);
  const int = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const stats = { forks: 0, fills: 0, restartsAbove: 0, restartsBelow: 0, reemitted: 0, modelSwitches: 0 };
  const expected: CodexExpected[] = [];
  const files: string[] = [];
  let n = 0;

  /** One response: its own usage, the line(s) Codex writes for it, and its reference entry. */
  function respond(t: Thread): void {
    t.ms += int(2_000, 90_000);
    const input = int(2_000, 60_000);
    const cached = Math.floor(input * rnd() * 0.9);
    const output = int(40, 3_000);
    const reasoning = Math.floor(output * rnd() * 0.5);
    const last: U = [input, cached, output, reasoning, input + output];
    const restart = t.total !== null && rnd() < o.resetShare / 2;
    if (restart) {
      if (last[4] > t.total![4]) stats.restartsAbove++;
      else stats.restartsBelow++;
    }
    t.total = restart || !t.total ? last : add(t.total, last);
    t.lines.push(tokenCount(t.ms, t.total, last));
    expected.push({ at: iso(t.ms), model: t.model, input: input - cached, cacheRead: cached, output, reasoning });
    if (rnd() < 0.15) {
      stats.reemitted++;
      t.lines.push(tokenCount(t.ms + int(50, 900), t.total, last));
    }
    if (rnd() < 0.1)
      t.lines.push(
        line(t.ms + 1, 'event_msg', {
          type: 'token_count',
          info: null,
          rate_limits: { primary: { used_percent: 12.0, window_minutes: 300, resets_at: 1762164000 }, secondary: null },
        }),
      );
  }

  function turns(t: Thread, count: number): void {
    for (let k = 0; k < count; k++) {
      if (k > 0 && rnd() < 0.1) {
        stats.modelSwitches++;
        t.model = pick(CODEX_CORPUS_MODELS);
        t.lines.push(
          line(t.ms + 1, 'turn_context', {
            cwd: t.cwd,
            approval_policy: 'on-request',
            sandbox_policy: { type: 'read-only' },
            model: t.model,
            effort: 'medium',
            summary: 'auto',
          }),
        );
      }
      t.ms += int(5_000, 120_000);
      t.lines.push(line(t.ms, 'response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: `step ${k}` }] }));
      if (t.total && rnd() < o.resetShare / 2) {
        // fill_to_context_window: total becomes the window with no input/output, last its missing tokens
        stats.fills++;
        const fill: U = [0, 0, 0, 0, WINDOW];
        t.lines.push(tokenCount(t.ms + 1, fill, [0, 0, 0, 0, Math.max(0, WINDOW - t.total[4])]));
        t.total = fill;
      }
      for (let r = int(1, 3); r > 0; r--) respond(t);
    }
  }

  for (let i = 0; i < o.sessions; i++) {
    const day = addDays(o.startDay, Math.floor(rnd() * o.days));
    const start = Date.parse(`${day}T00:00:00.000Z`) + (rnd() < 0.2 ? int(23 * 3600, 24 * 3600 - 60) : int(0, 23 * 3600)) * 1000;
    const id = uuid7(start, ++n);
    const cwd = `/home/dev/${pick(PROJECTS)}`;
    const t: Thread = { lines: [], total: null, ms: start, model: pick(CODEX_CORPUS_MODELS), cwd };
    t.lines.push(
      line(start, 'session_meta', {
        id,
        timestamp: iso(start),
        cwd,
        originator: 'codex_cli_rs',
        cli_version: '0.46.0',
        instructions: null,
        source: 'cli',
        model_provider: 'openai',
      }),
    );
    t.lines.push(
      line(start + 5, 'turn_context', {
        cwd,
        approval_policy: 'on-request',
        sandbox_policy: { type: 'read-only' },
        model: t.model,
        effort: 'medium',
        summary: 'auto',
      }),
    );
    turns(t, int(o.turns[0], o.turns[1]));
    const file = fileFor(o.home, start, id);
    files.push(file);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, t.lines.join('\n') + '\n');

    if (rnd() < o.forkShare) {
      stats.forks++;
      const at = t.ms + int(60_000, 3_600_000);
      const fid = uuid7(at, ++n);
      const copyMs = int(1_000, 4_000); // a slow copy: well past any one-second window
      const copy = t.lines.map((l, k) =>
        JSON.stringify({ ...JSON.parse(l), timestamp: iso(at + 1 + Math.floor((k * copyMs) / t.lines.length)) }),
      );
      const f: Thread = {
        lines: [
          line(at, 'session_meta', {
            id: fid,
            forked_from_id: id,
            timestamp: iso(at),
            cwd,
            originator: 'codex_cli_rs',
            cli_version: '0.46.0',
            instructions: null,
            source: 'cli',
            model_provider: 'openai',
          }),
          ...copy,
        ],
        total: t.total,
        ms: at + copyMs + 1_000,
        model: t.model,
        cwd,
      };
      f.lines.push(
        line(f.ms, 'turn_context', {
          cwd,
          approval_policy: 'on-request',
          sandbox_policy: { type: 'read-only' },
          model: f.model,
          effort: 'medium',
          summary: 'auto',
        }),
      );
      turns(f, int(1, 3));
      const ff = fileFor(o.home, at, fid);
      files.push(ff);
      mkdirSync(path.dirname(ff), { recursive: true });
      writeFileSync(ff, f.lines.join('\n') + '\n');
    }
  }
  return { files, expected, stats };
}
