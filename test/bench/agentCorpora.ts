/**
 * Synthetic histories of Amp, Continue, Factory Droid and pi for the cold-import benchmark, in the shapes of
 * the fixtures under test/sources/fixtures (whose READMEs cite the writers). Deterministic; sized so each
 * agent's history is about `mb` megabytes (Factory Droid's files are tiny: its figure is mostly per-file cost).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type MoreKind = 'amp' | 'continue' | 'factory-droid' | 'pi';
export const MORE_KINDS: readonly MoreKind[] = ['amp', 'continue', 'factory-droid', 'pi'];
/** The settings key of each (unmetered.sources.<key>). */
export const MORE_KEYS: Record<MoreKind, string> = { amp: 'amp', continue: 'continue', 'factory-droid': 'factoryDroid', pi: 'pi' };

const T0 = Date.parse('2025-10-01T09:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const blob = (n: number) => 'lorem ipsum dolor sit amet '.repeat(Math.ceil(n / 27)).slice(0, n);
const hex = (n: number, w = 8) => n.toString(16).padStart(w, '0');

function pi(dir: string, bytes: number): number {
  let total = 0;
  for (let f = 0; total < bytes; f++) {
    const start = T0 + f * 3_600_000;
    const id = `${hex(f)}-0000-4000-8000-${hex(f, 12)}`;
    const d = path.join(dir, `--home-dev-proj-${f % 7}--`);
    mkdirSync(d, { recursive: true });
    const lines = [JSON.stringify({ type: 'session', version: 3, id, timestamp: iso(start), cwd: `/home/dev/proj-${f % 7}` })];
    let parent = null as string | null;
    for (let t = 0; t < 60; t++) {
      const at = start + t * 20_000;
      const e = (type: string, extra: object) => {
        const eid = hex(f * 1000 + lines.length);
        lines.push(JSON.stringify({ type, id: eid, parentId: parent, timestamp: iso(at), ...extra }));
        parent = eid;
      };
      e('message', { message: { role: 'user', content: [{ type: 'text', text: blob(200) }], timestamp: at } });
      const usage = { input: 12 + t, output: 300 + t, cacheRead: 20_000 + t * 100, cacheWrite: 800, totalTokens: 0 };
      usage.totalTokens = usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
      e('message', {
        message: {
          role: 'assistant',
          content: [{ type: 'toolCall', id: `toolu_${t}`, name: 'read', arguments: { path: 'src/a.ts' } }],
          api: 'anthropic-messages',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5-20250929',
          usage: { ...usage, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0.0123 } },
          stopReason: 'toolUse',
          timestamp: at + 5000,
        },
      });
      const out = blob(2000 + ((t * 7919) % 8000));
      e('message', {
        message: {
          role: 'toolResult',
          toolCallId: `toolu_${t}`,
          toolName: 'read',
          content: [{ type: 'text', text: out }],
          isError: false,
          timestamp: at + 6000,
        },
      });
    }
    const text = lines.join('\n') + '\n';
    writeFileSync(path.join(d, `${iso(start).replace(/[:.]/g, '-')}_${id}.jsonl`), text);
    total += text.length;
  }
  return total;
}

function continueDev(dir: string, bytes: number): number {
  const d = path.join(dir, '0.2.0');
  mkdirSync(d, { recursive: true });
  const lines: string[] = [];
  let total = 0;
  for (let i = 0; total < bytes; i++) {
    const line = JSON.stringify({
      timestamp: iso(T0 + i * 1500),
      userId: '',
      userAgent: 'Visual Studio Code/1.106.2 (Continue/1.2.10)',
      selectedProfileId: 'local',
      eventName: 'tokensGenerated',
      schema: '0.2.0',
      model: i % 3 ? 'gpt-4o' : 'claude-sonnet-4-5',
      provider: i % 3 ? 'openai' : 'anthropic',
      promptTokens: 1000 + (i % 5000),
      generatedTokens: 20 + (i % 400),
    });
    lines.push(line);
    total += line.length + 1;
  }
  writeFileSync(path.join(d, 'tokensGenerated.jsonl'), lines.join('\n') + '\n');
  return total;
}

function amp(dir: string, bytes: number): number {
  mkdirSync(dir, { recursive: true });
  let total = 0;
  for (let f = 0; total < bytes; f++) {
    const id = `T-${hex(f)}-0000-4000-8000-${hex(f, 12)}`;
    const messages: object[] = [];
    for (let m = 0; m < 80; m += 2) {
      const at = iso(T0 + f * 3_600_000 + m * 10_000);
      messages.push({ role: 'user', messageId: m, content: [{ type: 'text', text: blob(1500 + ((m * 7919) % 4000)) }] });
      messages.push({
        role: 'assistant',
        messageId: m + 1,
        content: [{ type: 'text', text: blob(600) }],
        state: { type: 'complete', stopReason: 'end_turn' },
        usage: {
          model: 'claude-sonnet-4-5-20250929',
          inputTokens: 10 + m,
          outputTokens: 200 + m,
          cacheCreationInputTokens: 500,
          cacheReadInputTokens: 15_000 + m * 50,
          totalInputTokens: 10 + m + 500 + 15_000 + m * 50,
          timestamp: at,
        },
      });
    }
    const text = JSON.stringify({ v: 40, id, created: T0 + f * 3_600_000, title: `thread ${f}`, messages }, null, 2);
    writeFileSync(path.join(dir, `${id}.json`), text);
    total += text.length;
  }
  return total;
}

function droid(dir: string, bytes: number): number {
  let total = 0;
  for (let f = 0; total < bytes; f++) {
    const d = path.join(dir, `-home-dev-proj-${f % 7}`);
    mkdirSync(d, { recursive: true });
    const text = JSON.stringify(
      {
        model: 'claude-sonnet-4-5-20250929',
        providerLock: 'anthropic',
        providerLockTimestamp: iso(T0 + f * 600_000),
        tokenUsage: {
          inputTokens: 2000 + f,
          outputTokens: 3000,
          cacheCreationTokens: 40_000,
          cacheReadTokens: 600_000,
          thinkingTokens: 500,
        },
      },
      null,
      2,
    );
    writeFileSync(path.join(d, `${hex(f)}-0000-4000-8000-${hex(f, 12)}.settings.json`), text);
    total += text.length;
  }
  return total;
}

/** Writes each agent's history under `<root>/<kind>` (the folder its settings path points at); bytes per kind. */
export function generateAgentCorpora(root: string, mb: number): Record<MoreKind, number> {
  const b = Math.max(1, mb) * 1024 * 1024;
  return {
    amp: amp(path.join(root, 'amp', 'threads'), b),
    continue: continueDev(path.join(root, 'continue', 'dev_data'), b / 4),
    'factory-droid': droid(path.join(root, 'factory-droid', 'sessions'), b / 64),
    pi: pi(path.join(root, 'pi', 'sessions'), b),
  };
}
