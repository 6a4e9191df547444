/** Branch and repo on ledger lines: written under short keys, read back by text and snapshot, optional for old lines. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { openLedger } from '../../src/core/ledger/index';
import { decodeLine, encodeLine } from '../../src/core/ledger/fileFormat';
import { record } from './fixtures/records';
import { tempDir } from './helpers';

describe('ledger: branch and repo', { timeout: 60_000 }, () => {
  it('a line carries them as "b" and "rp", and a line without them (written before) reads with neither', () => {
    const r = { ...record('x1'), branch: 'feature/billing', repo: 'github.com/acme/api' };
    const line = encodeLine(r);
    assert.match(line, /,"b":"feature\/billing","rp":"github.com\/acme\/api"}\n$/);
    assert.deepEqual((decodeLine(line.slice(0, -1)) as { record: unknown }).record, r);
    // A line as version 1 wrote it before attribution existed.
    const old =
      '{"id":"anthropic:msg_01","at":"2026-11-23T12:00:00.000Z","a":"claude-code","s":"log","p":"acme-api",' +
      '"m":"claude-sonnet-4-5","r":"cloud","t":[4,312,48211,1532,0,0],"c":24900300,"ps":"litellm@00035b69"}';
    const rec = (decodeLine(old) as unknown as { record: Record<string, unknown> }).record;
    assert.equal('branch' in rec, false);
    assert.equal('repo' in rec, false);
    assert.equal(rec.project, 'acme-api');
  });

  it('a wrong branch on a line is that line malformed, with the field named', () => {
    const bad = encodeLine(record('x2')).slice(0, -2) + ',"b":42}';
    assert.throws(() => decodeLine(bad), /interaction\.branch: expected a string of 1 to 256 characters when present, got 42/);
  });

  it('reads back the same from the text and from the snapshot', async (t) => {
    const dir = tempDir(t);
    // 2,500 lines: above the 2,000 at which a snapshot is written at open.
    const many = Array.from({ length: 2500 }, (_, i) => {
      const r = record(`r${i}`, { at: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z` });
      if (i % 3 !== 0) r.branch = i % 3 === 1 ? 'main' : `feature/${i % 5}`;
      if (i % 4 !== 0) r.repo = i % 2 ? 'github.com/acme/api' : 'gitlab.com/acme/web';
      return r;
    });
    const l = await openLedger({ dir });
    await l.append(many);
    await l.close();
    const parsed = await openLedger({ dir });
    assert.equal(parsed.stats.snapshotsUsed, 0);
    assert.deepEqual(parsed.records(), many);
    await parsed.close();
    const snap = await openLedger({ dir });
    assert.equal(snap.stats.snapshotsUsed, 1);
    assert.deepEqual(snap.records(), many);
    assert.equal(snap.get('r0')!.branch, undefined);
    assert.equal(snap.get('r1')!.branch, 'main');
    assert.equal(snap.get('r2')!.repo, 'gitlab.com/acme/web');
    await snap.close();
  });

  it('a segment written before attribution opens with every record and no attribution', async (t) => {
    const dir = tempDir(t);
    mkdirSync(path.join(dir, 'ledger'), { recursive: true });
    const header = '{"unmetered":"ledger","version":1,"keys":"old legend"}';
    const lines = [header, ...[1, 2, 3].map((i) => encodeLine(record(`old${i}`)).slice(0, -1))];
    writeFileSync(path.join(dir, 'ledger', '2026-11.jsonl'), lines.join('\n') + '\n');
    const l = await openLedger({ dir });
    assert.equal(l.records().length, 3);
    assert.equal(l.stats.malformedLines, 0);
    assert.ok(l.records().every((r) => r.branch === undefined && r.repo === undefined));
    await l.close();
  });
});
