/**
 * Every command's code, loaded on first use and only its own: `unmetered --version` and `--help` load
 * none, `unmetered status` loads the status command (ledger, importer, prices) but no report
 * renderers, gateway, API clients or tokenizer. In the shipped bundle each command file is its own
 * chunk (dist/cli-<file>.js, see esbuild.mjs); this table is part of the start-up chunk.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- require, not import(): esbuild keeps each a plain
   CommonJS load of its chunk, where import() would send the chunk through Node's ESM loader (a scan of the file). */
import type { CliContext } from './context';

export type Run = (args: string[], ctx: CliContext) => Promise<number>;

const views = () => require('./views') as typeof import('./views');
const view =
  (kind: 'daily' | 'weekly' | 'monthly' | 'session' | 'project' | 'branch' | 'repo'): Run =>
  (a, c) =>
    views().viewCommand(kind, a, c);

export const RUN: Record<string, Run> = {
  daily: view('daily'),
  weekly: view('weekly'),
  monthly: view('monthly'),
  session: view('session'),
  project: view('project'),
  branch: view('branch'),
  repo: view('repo'),
  blocks: (a, c) => views().blocksCommand(a, c),
  status: (a, c) => (require('./status') as typeof import('./status')).statusCommand(a, c),
  plan: (a, c) => (require('./plan') as typeof import('./plan')).planCommand(a, c),
  report: (a, c) => (require('./report') as typeof import('./report')).reportCommand(a, c),
  statusline: (a, c) => (require('./statusline') as typeof import('./statusline')).statuslineCommand(a, c),
  import: (a, c) => (require('./import') as typeof import('./import')).importCommand(a, c),
  export: (a, c) => (require('./export') as typeof import('./export')).exportCommand(a, c),
  team: (a, c) => (require('./team') as typeof import('./team')).teamCommand(a, c),
  gateway: (a, c) => (require('./gateway') as typeof import('./gateway')).gatewayCommand(a, c),
  telemetry: (a, c) => (require('./telemetry') as typeof import('./telemetry')).telemetryCommand(a, c),
};
