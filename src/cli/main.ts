/**
 * `unmetered`: the meter for terminals and team leads, on the same core as the extension.
 * stdout is data; diagnostics go to stderr. Exit codes: 0 ok, 1 failure, 2 bad arguments.
 *
 * Start-up loads only this file, the option tables, the context and the commands' table: a command's
 * code (ledger, importer, prices, renderers) is required when that command runs, and only that
 * command's (commands.ts), so --version and --help stay close to Node's own start-up.
 */
import { writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataDir } from '../core/paths';
import { fixedClock, loggerTo, systemClock, type Clock, type Logger } from '../core/ports';
import { EXIT, isUsageError, UsageError, type CliContext, type Output } from './context';
import { commandHelp, overallHelp } from './options';
import { RUN } from './commands';
import { ALL_SPECS, specOf } from './specs';
import { errorMessage } from '../core/errors';
import { tookCodePath, useCodeCache } from './codeCache';
import { fdOutput } from './output';
import { AnswerRecorder, answerable, chunkOf, codeOf, keptAnswer, Tee } from './answers';

function usage(): string {
  return overallHelp(ALL_SPECS);
}

/** `report --by VIEW` is the view's own command. */
const BY: Record<string, string> = {
  day: 'daily',
  daily: 'daily',
  week: 'weekly',
  weekly: 'weekly',
  month: 'monthly',
  monthly: 'monthly',
  session: 'session',
  project: 'project',
  branch: 'branch',
  repo: 'repo',
  repository: 'repo',
  block: 'blocks',
  blocks: 'blocks',
};

function resolveAlias(name: string, args: string[]): [string, string[]] {
  if (name !== 'report') return [name, args];
  const i = args.findIndex((a) => a === '--by' || a.startsWith('--by='));
  if (i < 0) return [name, args];
  const v = args[i].startsWith('--by=') ? args[i].slice(5) : args[i + 1];
  if (v === undefined || v.startsWith('-'))
    throw new UsageError('--by needs a value: day, week, month, session, project, branch, repo or block (e.g. --by week)');
  const view = BY[v];
  if (!view) throw new UsageError(`--by: expected day, week, month, session, project, branch, repo or block, got ${JSON.stringify(v)}`);
  return [view, [...args.slice(0, i), ...args.slice(args[i].startsWith('--by=') ? i + 1 : i + 2)]];
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const topic = first === 'help' && rest[0] ? specOf(rest[0]) : undefined;
    (first === undefined ? ctx.stderr : ctx.stdout).write(topic ? commandHelp(topic) : usage());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    ctx.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  let name = first;
  let args = rest;
  try {
    [name, args] = resolveAlias(first, rest);
  } catch (err) {
    ctx.stderr.write(`unmetered report: ${errorMessage(err)}\n`);
    return EXIT.usage;
  }
  const spec = specOf(name);
  if (!spec) {
    ctx.stderr.write(
      `unmetered: unknown command ${JSON.stringify(name)}; expected one of ${ALL_SPECS.map((s) => s.name).join(', ')} (unmetered --help)\n`,
    );
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    ctx.stdout.write(commandHelp(spec));
    return EXIT.ok;
  }
  try {
    if (!answerable(ctx, name)) return await RUN[name](args, ctx);
    // A view or status with nothing new to read: its answer kept by an earlier run, or this run's kept (answers.ts).
    const code = codeOf(ctx.answers!.distDir, VERSION, chunkOf(name));
    const kept = keptAnswer(ctx, argv, code);
    if (kept.answer !== null) {
      ctx.stdout.write(kept.answer);
      return EXIT.ok;
    }
    const answer = (ctx.answer = new AnswerRecorder(ctx, ctx.answers!, argv, kept.earlier));
    const exit = await RUN[name](args, ctx);
    if (exit === EXIT.ok) answer.save(code);
    return exit;
  } catch (err) {
    if (isUsageError(err)) {
      ctx.stderr.write(`unmetered ${name}: ${errorMessage(err)}\n(unmetered ${name} --help lists every option, with an example)\n`);
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
function pinnedClock(now: string | undefined, logger: Logger): Clock {
  if (!now) return systemClock;
  if (Number.isNaN(Date.parse(now))) {
    logger.warn(
      `UNMETERED_NOW: expected an ISO-8601 instant such as 2026-11-23T12:00:00Z, got ${JSON.stringify(now)}; using the system clock`,
    );
    return systemClock;
  }
  return fixedClock(now);
}

/** What a run is given: this process's ports (processContext), or a test's, which runs the bundle in its own process. */
export interface CliPorts {
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
  stdout: Output;
  stderr: Output;
  stdin: () => CliContext['stdin'];
}

/** A run's context from its ports: the clock UNMETERED_NOW pins, diagnostics on stderr, the data directory. */
export function cliContext(ports: CliPorts): CliContext {
  const { env, stderr } = ports;
  const logger = loggerTo(stderr);
  let stdin: CliContext['stdin'];
  return {
    env,
    cwd: ports.cwd,
    home: ports.home,
    platform: process.platform,
    stdout: ports.stdout,
    stderr,
    // A getter: touching process.stdin sets up a stream, which only `statusline` needs.
    get stdin() {
      return (stdin ??= ports.stdin());
    },
    clock: pinnedClock(env.UNMETERED_NOW, logger),
    logger,
    dataDir: dataDir(env, process.platform, ports.home),
  };
}

function processContext(): CliContext {
  const win = process.platform === 'win32';
  // fd 1 and 2 written directly (output.ts); the streams only if needed, and on Windows. Watched for kept answers.
  const stdout = win ? null : new Tee(fdOutput(1, () => process.stdout));
  const stderr = win ? null : new Tee(fdOutput(2, () => process.stderr));
  const ctx = cliContext({
    env: process.env,
    cwd: process.cwd(),
    home: os.homedir(),
    stdout: stdout ?? process.stdout,
    stderr: stderr ?? process.stderr,
    stdin: () => process.stdin,
  });
  ctx.codePath = tookCodePath;
  if (stdout && stderr) ctx.answers = { distDir: __dirname, stdout, stderr };
  return ctx;
}

/**
 * `--version` alone, the answer a shell prompt asks for most, is written straight to fd 1: setting up
 * process.stdout's stream (Node's stream modules) was ~5 ms of its ~90. Anything unusual (fd 1 closed,
 * a full non-blocking pipe) takes the usual way.
 */
function versionOnly(argv: string[]): boolean {
  if (argv.length !== 1 || (argv[0] !== '--version' && argv[0] !== '-v')) return false;
  try {
    writeSync(1, `${VERSION}\n`);
    return true;
  } catch {
    return false;
  }
}

if (require.main === module && !versionOnly(process.argv.slice(2))) {
  const ctx = processContext();
  useCodeCache(__dirname, path.join(ctx.dataDir, 'cache', 'code'));
  main(process.argv.slice(2), ctx).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`unmetered: ${(err as Error).stack}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
