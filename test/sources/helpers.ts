/** A real ledger in a temp data dir, the real price table, and an importer over chosen roots. */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLedger, type Ledger } from '../../src/core/ledger';
import { loadPriceTable, type PriceTable } from '../../src/core/pricing';
import { memoryLogger } from '../../src/core/ports';
import { Recorder } from '../../src/core/record/recorder';
import { createImporter, normaliseSourceSettings, SOURCE_KEYS, type Importer, type SourceSettings } from '../../src/core/import';
import type { Tokens } from '../../src/core/interaction';

export const FIXTURES = path.join(__dirname, 'fixtures');

/**
 * Source settings with every agent Unmetered reads turned off but the ones named, each reading only the
 * folders given (undefined: its default locations), so a test or benchmark sees no other agent's files.
 */
export function onlySources(paths: Readonly<Record<string, readonly string[] | undefined>>): SourceSettings {
  const raw: Record<string, unknown> = {};
  for (const key of Object.values(SOURCE_KEYS)) raw[key] = key in paths ? { enabled: true, paths: paths[key] } : { enabled: false };
  return normaliseSourceSettings(raw).settings;
}

/** Only the source `key` (a SOURCE_KEYS value, e.g. 'amp'), reading `paths`. */
export const onlySource = (key: string, paths?: readonly string[]): SourceSettings => onlySources({ [key]: paths });

/**
 * A whole Claude Code assistant line, newline-ended, of a session in /home/dev/acme-api (the shape of
 * fixtures/claude's: Claude Code 2.0.31): `output` output tokens, 3 input and 20,000 cache reads of Sonnet 4.5.
 */
export function assistantLine(id: string, output: number, o: { at?: string; session?: string } = {}): string {
  return (
    JSON.stringify({
      parentUuid: 'p',
      isSidechain: false,
      userType: 'external',
      cwd: '/home/dev/acme-api',
      sessionId: o.session ?? 'session',
      version: '2.0.31',
      message: {
        model: 'claude-sonnet-4-5-20250929',
        id,
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: 'ok' }],
        usage: { input_tokens: 3, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 0, output_tokens: output },
      },
      requestId: `req_${id}`,
      type: 'assistant',
      uuid: `u_${id}`,
      timestamp: o.at ?? '2026-11-20T12:00:00.000Z',
    }) + '\n'
  );
}

/** A Claude Code assistant line (3 input and 4 output tokens of Sonnet 4.5), as its transcripts hold one. */
export const claudeLine = (id: string, ts = '2025-11-01T10:00:00.000Z') =>
  JSON.stringify({
    cwd: '/home/dev/shop',
    sessionId: 's',
    message: { id, model: 'claude-sonnet-4-5-20250929', role: 'assistant', content: [], usage: { input_tokens: 3, output_tokens: 4 } },
    requestId: 'r' + id,
    type: 'assistant',
    timestamp: ts,
  });

/** An expected token split: the counts given, every other one 0. */
export const tokensOf = (t: Partial<Tokens>): Tokens => ({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  reasoning: 0,
  ...t,
});

export interface World {
  dir: string;
  home: string;
  dataDir: string;
  ledger: Ledger;
  prices: PriceTable;
  logger: ReturnType<typeof memoryLogger>;
  env: NodeJS.ProcessEnv;
  importer(extra?: {
    settings?: SourceSettings;
    env?: NodeJS.ProcessEnv;
    maxLineBytes?: number;
    globalStorageDirs?: string[];
    workerScript?: string;
    workers?: number;
    parallelMinBytes?: number;
    sourcesInSummary?: boolean;
  }): Importer;
  /** Reopens the ledger (a restart). */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function world(env: NodeJS.ProcessEnv = {}): Promise<World> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-sources-'));
  const home = path.join(dir, 'home');
  const dataDir = path.join(dir, 'data');
  const logger = memoryLogger();
  const prices = loadPriceTable();
  const w: World = {
    dir,
    home,
    dataDir,
    ledger: await openLedger({ dir: dataDir, logger }),
    prices,
    logger,
    env,
    importer: (extra = {}) =>
      createImporter({
        dataDir,
        env: extra.env ?? w.env,
        home,
        platform: 'linux',
        recorder: new Recorder({ ledger: w.ledger, prices: () => prices }),
        logger,
        settings: extra.settings,
        maxLineBytes: extra.maxLineBytes,
        globalStorageDirs: extra.globalStorageDirs,
        workerScript: extra.workerScript,
        workers: extra.workers,
        parallelMinBytes: extra.parallelMinBytes,
        sourcesInSummary: extra.sourcesInSummary,
      }),
    restart: async () => {
      await w.ledger.close();
      w.ledger = await openLedger({ dir: dataDir, logger });
    },
    cleanup: async () => {
      await w.ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return w;
}

/** Copies a fixture folder into the world (for tests that change files). */
export function copyFixture(w: World, name: string, to = name): string {
  const dest = path.join(w.dir, to);
  cpSync(path.join(FIXTURES, name), dest, { recursive: true });
  return dest;
}

export function byId(w: World): Map<string, ReturnType<Ledger['records']>[number]> {
  return new Map(w.ledger.records().map((r) => [r.id, r]));
}
