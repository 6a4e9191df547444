import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderJson } from '../../src/core/report/render/json';
import { buildWeeklySummary, type WeeklySummary } from '../../src/core/report/summary/summary';
import { builtFile } from '../helpers/dist';
import { NOW, PRICE_TABLE, teamLedgers, TZ } from '../report/ledger';

export { NOW };
export const NOW_ISO = new Date(NOW).toISOString();

/** The three valid W47 summaries of the report tests (ada, grace, linus). */
export function validSummaries(week = '2026-W47'): WeeklySummary[] {
  return teamLedgers().map((d) =>
    buildWeeklySummary(d.records, {
      week,
      timeZone: TZ,
      budgetNanos: d.budgetNanos,
      now: NOW,
      developer: d.developer,
      priceTableVersion: PRICE_TABLE,
    }),
  );
}

/**
 * The valid team's W47 as the report goldens have it (test/report/golden/team.json), worked out
 * there per developer: ada $12.715002, grace 3 × that = $38.145006, linus $5.83458;
 * 12.715002 + 38.145006 + 5.83458 = $56.694588 over 3 × 39 = 117 interactions.
 */
export const VALID_TOTAL_USD = 56.694588;
export const VALID_INTERACTIONS = 117;

/** A folder holding the three valid summaries, as `unmetered export` names them. */
export function validShare(root: string, name = 'share'): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const s of validSummaries()) writeFileSync(path.join(dir, `${s.developer}-${s.week.id}.json`), renderJson(s));
  return dir;
}

export function tmpRoot(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `unmetered-hostile-${prefix}-`));
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/**
 * The shipped CLI bundle in a child process, with a hard time limit: a hang shows up as a killed
 * child (signal set), never as a stuck suite.
 */
export function cli(args: string[], opts: { cwd: string; timeoutMs?: number; env?: Record<string, string> }): Run {
  const r = spawnSync(process.execPath, [builtFile('cli.js'), ...args], {
    encoding: 'utf8',
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 30_000,
    maxBuffer: 256 * 1024 * 1024,
    env: { PATH: process.env.PATH, HOME: opts.cwd, UNMETERED_HOME: path.join(opts.cwd, '.unmetered'), UNMETERED_NOW: NOW_ISO, ...opts.env },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, error: r.error };
}

/** Raw C0 (other than tab and line ends), DEL and C1 characters: what a terminal would act on. */
export const RAW_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Exact nano-dollars of a USD number as JSON writes it (at most 9 decimals), from its digits. */
export function nanosOf(usd: number): bigint {
  const [whole, frac = ''] = String(usd).split('.');
  return BigInt(whole) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
}
