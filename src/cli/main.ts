/**
 * `unmetered`: the meter for terminals and team leads, on the same core as the extension.
 * stdout is data; diagnostics go to stderr. Exit codes: 0 ok, 1 failure, 2 bad arguments.
 */
import os from 'node:os';
import { dataDir } from '../core/paths';
import { fixedClock, stderrLogger, systemClock, type Clock } from '../core/ports';
import { EXIT, UsageError, type CliContext } from './context';
import { GATEWAY_USAGE, gatewayCommand } from './gateway';
import { REPORT_USAGE, reportCommand } from './report';
import { STATUS_USAGE, statusCommand } from './status';
import { EXPORT_USAGE, exportCommand } from './export';
import { TEAM_USAGE, teamCommand } from './team';

type Command = { usage: string; summary: string; run: (args: string[], ctx: CliContext) => Promise<number> };

const COMMANDS: Record<string, Command> = {
  status: { usage: STATUS_USAGE, summary: "today's spend, saved by local models, and the projected month against your budget", run: statusCommand },
  report: { usage: REPORT_USAGE, summary: 'totals, per day and per model, over a range of days', run: reportCommand },
  export: { usage: EXPORT_USAGE, summary: 'a weekly summary (JSON, Markdown, CSV or HTML) for your team lead', run: exportCommand },
  team: { usage: TEAM_USAGE, summary: "merge a team's weekly summaries: per developer, trend, local share, who is over budget", run: teamCommand },
  gateway: { usage: GATEWAY_USAGE, summary: 'run the metering gateway for agents (headless), recording into the ledger', run: gatewayCommand },
};

export function usage(): string {
  const lines = ['usage: unmetered <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.summary}`, `           ${c.usage}`);
  lines.push(
    '',
    'The ledger lives in $UNMETERED_HOME, or the platform data directory (~/.local/share/unmetered on Linux).',
    'Exit codes: 0 ok, 1 a failure while running, 2 bad arguments.',
  );
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? ctx.stderr : ctx.stdout).write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    ctx.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    ctx.stderr.write(`unmetered: unknown command ${JSON.stringify(name)}; expected one of ${Object.keys(COMMANDS).join(', ')} (unmetered --help)\n`);
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    ctx.stdout.write(`usage: ${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(args, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr.write(`unmetered ${name}: ${err.message}\nusage: ${command.usage}\n`);
      return EXIT.usage;
    }
    const e = err as Error & { code?: string };
    ctx.stderr.write(`unmetered ${name}: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    return EXIT.failure;
  }
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

/** UNMETERED_NOW pins "now" to an ISO instant: for reproducible reports and tests. */
function pinnedClock(now: string | undefined): Clock {
  if (!now) return systemClock;
  if (Number.isNaN(Date.parse(now))) {
    stderrLogger.warn(`UNMETERED_NOW: expected an ISO-8601 instant such as 2026-11-23T12:00:00Z, got ${JSON.stringify(now)}; using the system clock`);
    return systemClock;
  }
  return fixedClock(now);
}

export function processContext(): CliContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    home: os.homedir(),
    platform: process.platform,
    stdout: process.stdout,
    stderr: process.stderr,
    clock: pinnedClock(process.env.UNMETERED_NOW),
    logger: stderrLogger,
    dataDir: dataDir(process.env, process.platform, os.homedir()),
  };
}

if (require.main === module) {
  main(process.argv.slice(2), processContext()).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`unmetered: ${(err as Error).stack}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
