import os from 'node:os';
import { Readable } from 'node:stream';
import { builtFile } from './dist';

/**
 * The shipped CLI bundle (dist/cli.js and the command chunks it loads) run in this test process: its exported
 * `main` with the context its own start-up would build (`cliContext`: the clock UNMETERED_NOW pins, the data
 * directory UNMETERED_HOME names, diagnostics on stderr), given this run's environment, working directory and
 * captured output. A run as a child process costs ~0.18 s of CPU, nearly all of it Node's start-up and the
 * bundle's loading; here ~0.01 s.
 *
 * What only a process shows (start-up, fd 1 and 2, the code cache, signals, a hang killed by a time limit,
 * hostile input) stays with the suites that spawn one: startup, output, codeCache and test/hostile.
 */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

interface Shipped {
  main: typeof import('../../src/cli/main').main;
  cliContext: typeof import('../../src/cli/main').cliContext;
}

let shipped: Shipped | undefined;

export interface RunOptions {
  /** The whole environment, as a child's `env` would be: nothing of this process's own is added. */
  env: Record<string, string | undefined>;
  /** Default: this process's working directory, as a child's. */
  cwd?: string;
  /** Standard input; an empty one (end of input at once) when absent, as a child's pipe with no input. */
  input?: string;
  /** Standard output is a terminal (as it is to a person at one); default a pipe. Standard error stays a pipe. */
  tty?: boolean;
}

/** Runs `unmetered ARGS` from the shipped bundle, in this process. */
export async function runShipped(args: string[], opts: RunOptions): Promise<CliRun> {
  // Node's zone is the process's: a run asking for another one needs a process of its own.
  if (opts.env.TZ !== process.env.TZ)
    throw new Error(`runShipped: TZ=${opts.env.TZ} differs from this process's (${process.env.TZ}); spawn the CLI for this one`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  shipped ??= require(builtFile('cli.js')) as Shipped;
  const out: string[] = [];
  const err: string[] = [];
  const capture = (into: string[]) => ({ write: (text: string) => into.push(String(text)) });
  const ctx = shipped.cliContext({
    env: opts.env,
    cwd: opts.cwd ?? process.cwd(),
    // As os.homedir() in a child: HOME, else the account's.
    home: opts.env.HOME ?? os.userInfo().homedir,
    stdout: { ...capture(out), isTTY: opts.tty ?? false },
    stderr: capture(err),
    stdin: () => Object.assign(Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]), { isTTY: false }),
  });
  let code: number;
  try {
    code = await shipped.main(args, ctx);
  } catch (e) {
    // As the bundle's own start-up reports a failure that escaped main.
    err.push(`unmetered: ${(e as Error).stack}\n`);
    code = 1;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}
