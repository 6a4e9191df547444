import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mirrorSettingsForCli } from '../../src/core/settingsMirror';
import { readMirroredSettings } from '../../src/cli/setup';
import type { Logger } from '../../src/core/ports';

describe('the settings mirror the CLI reads (<data dir>/settings.json)', { timeout: 30_000 }, () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-mirror-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  const warnings: string[] = [];
  const logger: Logger = { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const window = (monthlyBudget: number) => ({ written: (key: string) => (key === 'monthlyBudget' ? monthlyBudget : undefined) });

  test('two windows mirroring at once never write into each other’s temporary file: one whole copy wins, nothing is left over', async () => {
    for (let round = 0; round < 20; round++) {
      // Each round changes both values, so both writers really write (an unchanged mirror is not rewritten).
      const a = 100 + 2 * round;
      const b = a + 1;
      await Promise.all([mirrorSettingsForCli(dir, window(a), logger), mirrorSettingsForCli(dir, window(b), logger)]);
      assert.deepEqual(warnings, [], `round ${round}`);
      const text = await readFile(path.join(dir, 'settings.json'), 'utf8');
      const budget = (JSON.parse(text) as { monthlyBudget: unknown }).monthlyBudget;
      assert.ok(budget === a || budget === b, `round ${round}: ${text}`);
      assert.deepEqual(await readdir(dir), ['settings.json']);
    }
  });

  test('the CLI reads back what the extension wrote', async () => {
    await mirrorSettingsForCli(dir, window(250), logger);
    const back = await readMirroredSettings({ dataDir: dir } as Parameters<typeof readMirroredSettings>[0]);
    assert.equal(back.monthlyBudget, 250);
    assert.deepEqual(back.projectBudgets, {});
    assert.equal(back.timezone, null);
  });
});
