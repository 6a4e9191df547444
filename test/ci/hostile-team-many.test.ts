/**
 * `unmetered team` over a shared folder of 150,000 files (issue 11): the walk, the merge and the four
 * renderings at that size. A CI-level suite (`node test/run.mjs --ci`, run by `npm run test:all`):
 * creating 150,000 files costs over 40 s of CPU, most of the hostile team suite's time, so it left the
 * everyday `npm test`; the other hostile `team` cases stay in test/hostile/team.test.ts.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderJson } from '../../src/core/report/render/json';
import { entryOf, mergeTeam } from '../../src/core/report/team/team';
import { collectFiles } from '../../src/core/report/team/teamFiles';
import { renderTeamCsv, renderTeamHtml, renderTeamJson, renderTeamMarkdown } from '../../src/core/report/team/teamRender';
import { cli, nanosOf, NOW, validSummaries } from '../hostile/helpers';

describe('team: 150,000 files', { timeout: 1_200_000 }, () => {
  // Creating 150,000 files costs about 8 s on tmpfs and 40 s on an overlay disk, so the folder
  // goes to /dev/shm when there is one. The folder walk runs over real files; the merge and the
  // four renderings run over 150,000 entries in memory (reading 150,000 files through the CLI
  // takes minutes: the CLI runs over UNMETERED_HOSTILE_FILES real files, 2,000 unless set).
  const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  let dir: string;
  before(() => {
    // A run cancelled by its timeout never reaches after(): its 150,000 files stay and, on tmpfs, use up the
    // inodes. Sweep the folders of runs whose process is gone before making ours.
    for (const name of readdirSync(base)) {
      const pid = /^unmetered-hostile-many-(\d+)$/.exec(name)?.[1];
      if (pid && !processAlive(Number(pid))) rmSync(path.join(base, name), { recursive: true, force: true });
    }
    dir = path.join(base, `unmetered-hostile-many-${process.pid}`);
    mkdirSync(dir, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const N = 150_000;
  const FILES = Number(process.env.UNMETERED_HOSTILE_FILES) || 2_000;

  test('the walk lists them all without a stack overflow, and stops with a clear flag past the cap', async () => {
    const sub = path.join(dir, 'a');
    mkdirSync(sub);
    for (let i = 0; i < N; i++) closeSync(openSync(path.join(sub, `d${i}.json`), 'w'));
    const all = await collectFiles([dir]);
    assert.equal(all.files.length, N);
    assert.equal(all.tooMany, false);
    const capped = await collectFiles([dir], undefined, 100_000);
    assert.equal(capped.tooMany, true);
    assert.equal(capped.files.length, 100_000);
  });

  test('150,000 developers merge and render in every format, exactly', () => {
    const s = validSummaries()[0]; // ada: $12.715002, 39 interactions
    const one = entryOf(s, 'x');
    const entries = Array.from({ length: N }, (_, i) => ({ ...one, developer: `dev-${i}`, file: `d${i}.json` }));
    const r = mergeTeam(
      entries,
      Array.from({ length: N }, (_, i) => ({ file: `junk${i}.json`, problem: 'empty file' })),
      { now: NOW },
    )!;
    assert.equal(r.developers, N);
    // 150,000 × $12.715002 = $1,907,250.3 ; 150,000 × 39 = 5,850,000
    assert.equal(r.totals.costUSD, 1_907_250.3);
    assert.equal(r.totals.interactions, 5_850_000);
    for (const render of [renderTeamMarkdown, renderTeamCsv, renderTeamHtml, renderTeamJson]) assert.ok(render(r).length > N);
  });

  test(`the CLI over ${FILES.toLocaleString('en-US')} real summary files (UNMETERED_HOSTILE_FILES=150000 in the long job)`, () => {
    const full = path.join(dir, 'full');
    mkdirSync(full);
    const text = renderJson(validSummaries()[0]);
    for (let i = 0; i < FILES; i++)
      writeFileSync(path.join(full, `d${i}.json`), text.replace('"developer": "ada"', `"developer": "dev-${i}"`));
    const r = cli(['team', full, '--format', 'json'], { cwd: dir, timeoutMs: 900_000 });
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, r.stderr.slice(0, 2000));
    const j = JSON.parse(r.stdout);
    assert.equal(j.developers, FILES);
    // FILES × $12.715002, exact: 12,715,002,000 nano-dollars each
    assert.equal(nanosOf(j.totals.costUSD), BigInt(FILES) * 12_715_002_000n);
  });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
