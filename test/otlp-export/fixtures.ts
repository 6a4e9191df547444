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
