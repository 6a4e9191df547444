/**
 * `unmetered import [--rebuild]`: what every reading command does first, on its own; and the
 * documented recovery for a ledger restored from a backup or a line lost to a crash. --rebuild
 * removes the importer's offsets file (sources-state.json), so every agent log is read again from
 * its first byte; the ledger keeps one copy per id, so records it already holds are not doubled.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { JOURNAL_FILE, STATE_FILE } from '../core/import/state';
import { plural } from './args';
import { EXIT, type CliContext } from './context';
import { parseCommand } from './options';
import { openForCli } from './setup';
import { answeringRollup } from './aggregate';
import { specOf } from './specs';

export async function importCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf('import')!, args);
  if (values.rebuild) for (const f of [STATE_FILE, JOURNAL_FILE]) await rm(path.join(ctx.dataDir, f), { force: true });
  // lazy: the ledger's count comes from its rollup, as `daily` answers from it; every record is read only when
  // the rollup cannot answer alone (then the read names each damaged line).
  const { ledger, imported, rollup } = await openForCli(ctx, { scan: true, lazy: true });
  try {
    const s = imported!;
    const counted = rollup ? await answeringRollup(rollup, ctx.logger) : null;
    if (!counted) await ledger.load();
    const result = {
      rebuild: !!values.rebuild,
      filesSeen: s.filesSeen,
      filesRead: s.filesRead,
      bytesRead: s.bytesRead,
      written: s.written,
      malformedLines: s.malformedLines,
      ledgerInteractions: counted ? counted.interactions : ledger.records().length,
      durationMs: Math.round(s.durationMs),
    };
    ctx.stdout.write(
      values.json
        ? JSON.stringify(result, null, 2) + '\n'
        : `${values.rebuild ? 'Re-read' : 'Read'} ${plural(s.filesRead, 'agent log file')} (` +
            `${plural(s.filesSeen, 'file')} seen): ${plural(s.written, 'interaction')} new or completed, ` +
            `${plural(result.ledgerInteractions, 'interaction')} in the ledger` +
            `${s.malformedLines ? `; ${plural(s.malformedLines, 'malformed line')} skipped` : ''}.\n`,
    );
    return EXIT.ok;
  } finally {
    await ledger.close();
  }
}
