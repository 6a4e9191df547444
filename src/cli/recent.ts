/**
 * The ledger's recent records, read-only, without opening the whole ledger: for `statusline`, which
 * runs on every prompt and needs only this month, the 7-day rate window and the last 5-hour block.
 * Segments are UTC months named by their records' `at` (ledger/fileFormat.ts segmentOf), so the segments
 * from 40 days back hold every record it needs. Lines are read as every ledger reader reads them:
 * only lines with their newline, malformed ones counted and skipped, one record per id (the copy
 * with the largest token total).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { moreComplete, tokens, type Interaction } from '../core/interaction';
import { decodeLine, SEGMENT_FILE, segmentOf } from '../core/ledger/fileFormat';

const RECENT_DAYS = 40;

export interface Recent {
  records: Interaction[];
  malformedLines: number;
}

export async function readRecentRecords(dataDir: string, now: number): Promise<Recent> {
  const dir = path.join(dataDir, 'ledger');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => SEGMENT_FILE.test(n)).sort();
  const since = new Date(now - RECENT_DAYS * 86_400_000).toISOString();
  const first = `${segmentOf(since)}.jsonl`;
  const byId = new Map<string, Interaction>();
  let malformedLines = 0;
  let older = names.some((n) => n < first);
  for (const name of names.filter((n) => n >= first)) {
    const text = await readFile(path.join(dir, name), 'utf8').catch(() => '');
    const end = text.lastIndexOf('\n');
    for (const line of text.slice(0, end + 1).split('\n')) {
      // Lines begin {"id":…,"at":"<ISO>" (encodeLine's order): older ones are skipped unparsed.
      const a = line.indexOf('"at":"');
      if (a > 0 && a < 600 && line.slice(a + 6, a + 30) < since) {
        older = true;
        continue;
      }
      let decoded;
      try {
        decoded = decodeLine(line);
      } catch {
        malformedLines++;
        continue;
      }
      if (decoded.kind !== 'record') continue;
      const r = decoded.record;
      if (moreComplete(r, byId.get(r.id))) byId.set(r.id, r);
    }
  }
  const records = [...byId.values()].filter((r) => r.at >= since || !(older = true));
  // Older segments mean the history starts before the meter's rate window: the meter learns that
  // from any record older than its cutoff, so one empty record at the oldest instant read stands
  // for them (no tokens, no cost: it adds nothing to any figure).
  if (older) records.unshift(olderHistoryMarker(`${first.slice(0, 7)}-01T00:00:00.000Z`));
  return { records, malformedLines };
}

function olderHistoryMarker(at: string): Interaction {
  const before = new Date(Date.parse(at) - 1).toISOString();
  return {
    id: 'unmetered:older-history',
    at: before,
    agent: 'unmetered',
    source: 'log',
    project: null,
    model: 'none',
    route: 'cloud',
    replaces: null,
    tokens: tokens({}),
    costNanos: 0,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
  };
}
