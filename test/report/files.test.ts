import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AUTO_EXPORT_DIR, claimWeek, releaseWeek, writeWeeklyFiles } from '../../src/core/report/render/files';
import { weeklyFileName } from '../../src/core/report/render/render';
import { loadGatewaySecret } from '../../src/core/gateway/secret';
import { buildWeeklySummary } from '../../src/core/report/summary/summary';
import { BUDGET_NANOS, fixedLedger, NOW, PRICE_TABLE, TZ } from './ledger';

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'unmetered-files-'));
}

test('a week is claimed for automatic export exactly once, even by windows starting together', async () => {
  const dir = await tmp();
  try {
    const claims = await Promise.all(Array.from({ length: 12 }, () => claimWeek(dir, '2026-W47')));
    assert.equal(claims.filter(Boolean).length, 1);
    assert.equal(await claimWeek(dir, '2026-W47'), false, 'a later start does not export again');
    assert.equal(await claimWeek(dir, '2026-W48'), true, 'the next week is its own');
    await releaseWeek(dir, '2026-W47');
    assert.equal(await claimWeek(dir, '2026-W47'), true, 'a failed export, given back, is tried again');
    await releaseWeek(dir, '2030-W01'); // releasing what was never claimed is harmless
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('markers older than a year are pruned when a new week is claimed', async () => {
  const dir = await tmp();
  try {
    await mkdir(path.join(dir, AUTO_EXPORT_DIR), { recursive: true });
    for (const w of ['2025-W30', '2025-W47', '2025-W48', 'notes.txt']) await writeFile(path.join(dir, AUTO_EXPORT_DIR, w), '');
    assert.equal(await claimWeek(dir, '2026-W48'), true);
    assert.deepEqual((await readdir(path.join(dir, AUTO_EXPORT_DIR))).sort(), ['2025-W48', '2026-W48', 'notes.txt']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('summaries are written per format as <developer>-<week>.<format>, with no temp files left', async () => {
  const dir = await tmp();
  try {
    const s = buildWeeklySummary(fixedLedger(), {
      week: '2026-W47',
      timeZone: TZ,
      budgetNanos: BUDGET_NANOS,
      now: NOW,
      developer: "Renée O'Brien/ops",
      priceTableVersion: PRICE_TABLE,
    });
    const files = await writeWeeklyFiles(s, path.join(dir, 'share', 'team'), ['json', 'md']);
    assert.deepEqual(
      files.map((f) => path.basename(f)),
      ['Renee-O-Brien-ops-2026-W47.json', 'Renee-O-Brien-ops-2026-W47.md'],
    );
    assert.deepEqual((await readdir(path.join(dir, 'share', 'team'))).sort(), [
      'Renee-O-Brien-ops-2026-W47.json',
      'Renee-O-Brien-ops-2026-W47.md',
    ]);
    assert.equal(JSON.parse(await readFile(files[0], 'utf8')).developer, "Renée O'Brien/ops");
    assert.equal(weeklyFileName({ developer: '../..', week: s.week }, 'csv'), 'developer-2026-W47.csv');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test(
  'folders that cannot hold new entries (/proc/1/…) make exports and the gateway secret fail at once, never spin',
  { timeout: 20_000 },
  async () => {
    // Node 20's mkdir({ recursive: true }) retries for ever at full CPU when a parent answers ENOENT to every new entry.
    const summary = buildWeeklySummary(fixedLedger(), {
      week: '2026-W47',
      timeZone: TZ,
      budgetNanos: BUDGET_NANOS,
      now: NOW,
      developer: 'dev',
      priceTableVersion: PRICE_TABLE,
    });
    const targets = process.platform === 'linux' ? ['/proc/1/unmetered-export/deeper'] : [];
    for (const folder of targets) {
      await assert.rejects(writeWeeklyFiles(summary, folder, ['json']), { code: 'ENOENT' });
      await assert.rejects(claimWeek(folder, '2026-W47'), { code: 'ENOENT' });
      await assert.rejects(loadGatewaySecret(folder), { code: 'ENOENT' });
    }
  },
);
