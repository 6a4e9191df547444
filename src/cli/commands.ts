/**
 * Every command's code, loaded on first use: `unmetered --version` and `--help` never load it.
 * In the shipped bundle this file is its own chunk (dist/cli-commands.js, see esbuild.mjs), so the
 * start-up path parses none of the ledger, importer, pricing or renderers.
 */
import type { CliContext } from './context';
import { exportCommand } from './export';
import { gatewayCommand } from './gateway';
import { importCommand } from './import';
import { planCommand } from './plan';
import { reportCommand } from './report';
import { statusCommand } from './status';
import { statuslineCommand } from './statusline';
import { teamCommand } from './team';
import { telemetryCommand } from './telemetry';
import { blocksCommand, viewCommand } from './views';

export type Run = (args: string[], ctx: CliContext) => Promise<number>;

export const RUN: Record<string, Run> = {
  daily: (a, c) => viewCommand('daily', a, c),
  weekly: (a, c) => viewCommand('weekly', a, c),
  monthly: (a, c) => viewCommand('monthly', a, c),
  session: (a, c) => viewCommand('session', a, c),
  project: (a, c) => viewCommand('project', a, c),
  branch: (a, c) => viewCommand('branch', a, c),
  repo: (a, c) => viewCommand('repo', a, c),
  blocks: blocksCommand,
  status: statusCommand,
  plan: planCommand,
  report: reportCommand,
  statusline: statuslineCommand,
  import: importCommand,
  export: exportCommand,
  team: teamCommand,
  gateway: gatewayCommand,
  telemetry: telemetryCommand,
};
