/** `unmetered plan`: the plan check (core/plans/compare.ts) for this developer's last 30 days. */
import { formatUSD } from '../core/money';
import { PLAN_PRICES_AS_OF, planCheck, planCheckData, planCheckLines } from '../core/plans';
import { plainLines } from '../core/sanitize';
import { EXIT, type CliContext } from './context';
import { parseCommand } from './options';
import { openForCli } from './setup';
import { specOf } from './specs';

export async function planCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf('plan')!, args);
  const { settings, ledger, records } = await openForCli(ctx, { scan: !values['no-scan'] });
  try {
    const c = planCheck(records(), { now: ctx.clock.now(), plans: settings.plans });
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
