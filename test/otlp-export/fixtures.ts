/** Ledgers for the export tests, written through the real ledger (openLedger.append), with hand-set prices. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openLedger } from '../../src/core/ledger';
import { tokens, type Interaction, type Tokens } from '../../src/core/interaction';
import { memoryLogger } from '../../src/core/ports';
import { normaliseTelemetry, type TelemetryConfig } from '../../src/core/otlp/export/config';

export function rec(id: string, over: Partial<Interaction> & { t?: Partial<Tokens> } = {}): Interaction {
  const { t, ...rest } = over;
  return {
    id,
    at: '2026-11-20T10:00:00.000Z',
    agent: 'claude-code',
    source: 'log',
    project: 'acme-api',
    model: 'claude-sonnet-4-5-20250929',
    route: 'cloud',
    replaces: null,
    tokens: tokens(t ?? { input: 1000, output: 500 }),
    costNanos: 10_500_000,
    avoidedNanos: null,
    priceSource: 'litellm@test',
    estimated: false,
    ...rest,
  };
}

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'unmetered-otlp-export-'));
}

export async function appendAll(dir: string, records: Interaction[]): Promise<void> {
  const l = await openLedger({ dir, logger: memoryLogger() });
  // One record per append: a ledger line per record, as agents' imports and the gateway write them.
  for (const r of records) await l.append([r]);
  await l.close();
}

export function config(endpoint: string, over: Record<string, unknown> = {}): TelemetryConfig {
  const { value, warnings } = normaliseTelemetry({ enabled: true, endpoint, hashKey: 'org-key', ...over }, {});
  if (warnings.length) throw new Error(warnings.join('; '));
  return { ...value, timeoutMs: 3000 };
}

export const cleanup = (dir: string) => rm(dir, { recursive: true, force: true });

/**
 * `n` interactions over two months (two ledger segments), every 10th first seen partially (output 1) and
 * then complete, the way a streamed response reaches a log and then the gateway. Token counts and cost
 * follow i so the expected totals are a sum the test can state in closed form.
 */
export function corpus(n: number): Interaction[] {
  const out: Interaction[] = [];
  for (let i = 0; i < n; i++) {
    const at = new Date(Date.parse('2026-11-25T00:00:00Z') + i * 600_000).toISOString();
    const full = rec(`anthropic:msg_${i}`, {
      at,
      t: { input: 100 + i, output: 10 + (i % 7), cacheRead: i % 3 },
      costNanos: 1000 * (i + 1),
    });
    if (i % 10 === 0) out.push({ ...full, tokens: { ...full.tokens, output: 1 }, costNanos: 1000 });
    out.push(full);
  }
  return out;
}

export interface Truth {
  ids: number;
  input: number;
  output: number;
  cacheRead: number;
  costNanos: number;
}

/** The ledger's own view (one, most complete, copy per id), summed: what the collector must end up with. */
export async function ledgerTruth(dir: string): Promise<Truth> {
  const l = await openLedger({ dir, logger: memoryLogger() });
  const t: Truth = { ids: 0, input: 0, output: 0, cacheRead: 0, costNanos: 0 };
  for (const r of l.records()) {
    t.ids++;
    t.input += r.tokens.input;
    t.output += r.tokens.output;
    t.cacheRead += r.tokens.cacheRead;
    t.costNanos += r.costNanos ?? 0;
  }
  await l.close();
  return t;
}
