/** `unmetered plan`: the plan check (core/plans/compare.ts) for this developer's last 30 days. */
import { formatUSD } from '../core/money';
import {
  cellTouches,
  cellWhollyIn,
  PLAN_PRICES_AS_OF,
  planCheck,
  planCheckData,
  planCheckLines,
  planCheckOf,
  planWindow,
  type PlanCheck,
  type PlanSettings,
} from '../core/plans';
import type { RollupIndex } from '../core/ledger/rollup';
import type { Logger } from '../core/ports';
import { currentlyPriced, type PriceTable } from '../core/pricing';
import { answeringRollup } from './aggregate';
import { plainLines } from '../core/sanitize';
import { EXIT, type CliContext } from './context';
import { parseCommand } from './options';
import { openForCli } from './setup';
import { specOf } from './specs';

export async function planCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf('plan')!, args);
  const { settings, ledger, records, prices, rollup } = await openForCli(ctx, { scan: !values['no-scan'], lazy: true });
  try {
    const opts = { now: ctx.clock.now(), plans: settings.plans };
    let c = rollup ? await fromRollup(rollup, prices, opts, ctx.logger) : null;
    if (!c) {
      await ledger.load();
      c = planCheck(records(), opts);
    }
    ctx.stdout.write(
      values.json
        ? JSON.stringify(planCheckData(c), null, 2) + '\n'
        : plainLines(planCheckLines(c, (n) => formatUSD(n), PLAN_PRICES_AS_OF).join('\n')) + '\n',
    );
    return EXIT.ok;
  } finally {
    await ledger.close();
  }
}

/**
 * The check from the rollup: the day cells wholly in the 30 days, and the records of the others there (the
 * days at its edges, and the local route's, whose vendor is the replaced model's), read back through it,
 * where every record of the history was loaded (1.5 s on a year). Null as answeringRollup: the records are
 * read instead.
 */
async function fromRollup(
  index: RollupIndex,
  prices: PriceTable,
  opts: { now: number; plans: PlanSettings },
  logger: Logger,
): Promise<PlanCheck | null> {
  const rollup = await answeringRollup(index, logger);
  if (!rollup) return null;
  const w = planWindow(opts.now);
  const edges = await index.recordsOfCells((c) => cellTouches(c, w) && !cellWhollyIn(c, w));
  const records = currentlyPriced([...rollup.loose, ...edges], prices);
  return planCheckOf(
    rollup.cells.filter((c) => cellWhollyIn(c, w)),
    records,
    opts,
  );
}
