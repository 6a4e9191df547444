/**
 * Every command's options, in one table: what the parser accepts and what `--help` prints. Short
 * flags follow ccusage's where it has them (-j, -s, -u, -z, -o, -b, -i, -a, -r).
 */
import type { CommandSpec, OptionSpec } from './options';

const json: OptionSpec = { name: 'json', short: 'j', meaning: 'print JSON instead of a table', example: '--json' };
const noScan: OptionSpec = { name: 'no-scan', meaning: 'do not import new agent-log lines first', example: '--no-scan' };
const tz: OptionSpec = {
  name: 'tz',
  short: 'z',
  value: 'ZONE',
  meaning: 'IANA time zone that decides the days',
  default: 'settings, else this machine',
  example: '--tz Europe/Berlin',
};
const timezone: OptionSpec = {
  ...tz,
  name: 'timezone',
  short: undefined,
  meaning: 'same as --tz (ccusage spelling)',
  default: undefined,
  example: '--timezone Asia/Tokyo',
};
const noColor: OptionSpec = {
  name: 'no-color',
  meaning: 'no colour even on a terminal (also NO_COLOR=1)',
  default: 'colour on a terminal',
  example: '--no-color',
};
const since: OptionSpec = {
  name: 'since',
  short: 's',
  value: 'DATE',
  meaning: 'first local day, inclusive (YYYY-MM-DD or YYYYMMDD)',
  default: 'first record',
  example: '--since 20261101',
};
const until: OptionSpec = {
  name: 'until',
  short: 'u',
  value: 'DATE',
  meaning: 'last local day, inclusive',
  default: 'last record',
  example: '--until 2026-11-30',
};

function viewOptions(extra: OptionSpec[], lastMeaning: string): OptionSpec[] {
  return [
    json,
    since,
    until,
    { name: 'last', value: 'N', meaning: lastMeaning, default: 'all', example: '--last 7' },
    {
      name: 'order',
      short: 'o',
      value: 'asc|desc',
      meaning: 'oldest first (asc) or newest first (desc)',
      default: 'asc',
      example: '--order desc',
    },
    { name: 'breakdown', short: 'b', meaning: 'under each row, its cost per model and per agent', example: '--breakdown' },
    { name: 'project', value: 'NAME', meaning: 'only this project (workspace folder name)', default: 'all', example: '--project webapp' },
    {
      name: 'agent',
      value: 'AGENT',
      meaning: 'only this agent (claude-code, codex, gemini-cli, cline, roo-code, gateway, …)',
      default: 'all',
      example: '--agent codex',
    },
    tz,
    timezone,
    ...extra,
    noColor,
    noScan,
  ];
}

const periodLast = (p: string) => `only the N most recent ${p}s, this one included`;

export const VIEW_SPECS: CommandSpec[] = [
  {
    name: 'daily',
    summary: 'cost and tokens per day',
    options: viewOptions([], periodLast('day')),
    note: 'Also: unmetered report --by day.',
  },
  {
    name: 'weekly',
    summary: 'cost and tokens per week',
    options: viewOptions(
      [
        {
          name: 'week-start',
          value: 'DAY',
          meaning: 'first day of a week: monday, sunday or saturday',
          default: 'monday',
          example: '--week-start sunday',
        },
      ],
      periodLast('week'),
    ),
    note: 'Also: unmetered report --by week. A week is labelled with its ISO week id (the id of the Monday inside it).',
  },
  {
    name: 'monthly',
    summary: 'cost and tokens per month',
    options: viewOptions([], periodLast('month')),
    note: 'Also: unmetered report --by month.',
  },
  {
    name: 'session',
    summary: 'cost and tokens per agent session',
    options: viewOptions(
      [
        {
          name: 'id',
          short: 'i',
          value: 'SESSION',
          meaning: 'only the session with this key (as printed)',
          default: 'all',
          example: '--id codex:0199a2…',
        },
      ],
      'only the N sessions active most recently',
    ),
    note:
      "Also: unmetered report --by session. A session is the agent's own (Codex rollout, Gemini CLI" +
      ' session, Cline/Roo task); Claude Code records are keyed by the API message id, so they are grouped per agent, project and local day.',
  },
  {
    name: 'project',
    summary: 'cost and tokens per project',
    options: viewOptions([], 'only the N projects active most recently'),
    note: 'Also: unmetered report --by project.',
  },
  {
    name: 'branch',
    summary: 'cost and tokens per git branch: what a feature cost',
    options: viewOptions(
      [
        {
          name: 'repo',
          value: 'REPO',
          meaning: 'only this repository, as printed by the repo view',
          default: 'all',
          example: '--repo github.com/acme/api',
        },
      ],
      'only the N branches active most recently',
    ),
    note:
      'Also: unmetered report --by branch. The branch is the one the agent recorded (Claude Code, Qwen Code, Codex) or the ' +
      "editor's checkout (editor chat); other records are in the (branch not recorded) row. A branch name used in several " +
      'repositories (main) is one row: --repo narrows it to one.',
  },
  {
    name: 'repo',
    summary: 'cost and tokens per git repository (its origin remote as host/owner/name)',
    options: viewOptions([], 'only the N repositories active most recently'),
    note:
      'Also: unmetered report --by repo. A repository is named by its origin remote without credentials, so clones in ' +
      'different folders are one row; a checkout without a remote, or a record whose source names no folder, is in the ' +
      '(repo not recorded) row.',
  },
  {
    name: 'blocks',
    summary: '5-hour usage blocks (as Claude limits count them) with burn rate and projection',
    options: [
      json,
      since,
      until,
      { name: 'last', value: 'N', meaning: 'only the N most recent blocks', default: 'all', example: '--last 3' },
      { name: 'active', short: 'a', meaning: 'only the active block, with its projection', example: '--active' },
      { name: 'recent', short: 'r', meaning: 'only blocks of the last 3 days, and the active one', example: '--recent' },
      {
        name: 'order',
        short: 'o',
        value: 'asc|desc',
        meaning: 'oldest first (asc) or newest first (desc)',
        default: 'asc',
        example: '--order desc',
      },
      { name: 'project', value: 'NAME', meaning: 'only this project', default: 'all', example: '--project webapp' },
      { name: 'agent', value: 'AGENT', meaning: 'only this agent', default: 'claude-code', example: '--agent all' },
      tz,
      timezone,
      noColor,
      noScan,
    ],
    note:
      'Also: unmetered report --by block. A block starts at its first interaction floored to the hour and' +
      ' lasts 5 hours; a gap of over 5 hours starts a new one.',
  },
];

const OTHER_SPECS: CommandSpec[] = [
  {
    name: 'status',
    summary: "today's spend, saved by local models, and the projected month against your budget",
    options: [
      json,
      tz,
      { name: 'budget', value: 'USD', meaning: 'monthly budget in USD for the projection', default: 'settings', example: '--budget 200' },
      {
        name: 'check',
        meaning: 'only the budgets; exit 3 when any is at or over --threshold (for scripts and CI)',
        example: '--check',
      },
      {
        name: 'threshold',
        value: 'PCT',
        meaning: 'with --check: the share of a budget that fails the check, in percent',
        default: '100',
        example: '--threshold 80',
      },
      noScan,
    ],
    note:
      'Exit codes: 0 ok, 1 failure, 2 bad arguments, 3 a budget at or over the threshold (with --check).' +
      ' Budgets count money spent: today for the daily budget, this month for the monthly and project budgets.',
  },
  {
    name: 'plan',
    summary:
      "the last 30 days' API-equivalent spend against the plans' prices (Claude, ChatGPT, Copilot), with and without the local route",
    options: [json, noScan],
    note:
      'Set which agent is on which plan with the unmetered.plans setting in VS Code (mirrored for the' +
      ' CLI). A plan is cheaper only if the work fits its usage limits.',
  },
  {
    name: 'report',
    summary: 'totals, per day, per model and per agent over a range of days; --by gives any view',
    options: [
      json,
      since,
      until,
      {
        name: 'by',
        value: 'VIEW',
        meaning: "day, week, month, session, project, branch, repo or block: the same as that view's command (other options as there)",
        default: 'the summary',
        example: '--by week',
      },
      tz,
      timezone,
      noColor,
      noScan,
    ],
  },
  {
    name: 'statusline',
    summary: "one line for Claude Code's status line: session cost, today, budget use, the 5-hour block",
    options: [
      { name: 'budget', value: 'USD', meaning: 'monthly budget in USD', default: 'settings', example: '--budget 200' },
      tz,
      { name: 'timeout', value: 'MS', meaning: 'longest wait for the JSON on stdin', default: '500', example: '--timeout 200' },
      {
        name: 'no-scan',
        meaning: "do not import first what the session's transcript gained (Claude Code) or every agent's logs (a shell prompt)",
        example: '--no-scan',
      },
      noColor,
    ],
    note:
      'Reads the JSON Claude Code writes on stdin. Install it in ~/.claude/settings.json: "statusLine":' +
      ' {"type": "command", "command": "unmetered statusline"}. In a shell prompt: PS1=\'$(unmetered statusline) \\$ \'',
  },
  {
    name: 'import',
    summary: 'import new agent-log lines into the ledger; --rebuild re-reads every log from the start',
    options: [
      {
        name: 'rebuild',
        meaning: 'forget where each log was read up to and read them all again (the ledger keeps one copy per id)',
        example: '--rebuild',
      },
      json,
    ],
    note: 'For a ledger restored from a backup, or a line lost to a crash: unmetered import --rebuild.',
  },
  {
    name: 'export',
    summary: 'a weekly summary (JSON, Markdown, CSV or HTML) for your team lead',
    options: [
      { name: 'week', value: 'YYYY-Www', meaning: 'the ISO week', default: 'last complete week', example: '--week 2026-W47' },
      { name: 'format', value: 'FORMAT', meaning: 'json, md, csv or html', default: 'json, or from --out', example: '--format md' },
      {
        name: 'out',
        value: 'PATH',
        meaning: 'write to this file or folder instead of stdout',
        default: 'stdout',
        example: '--out reports/',
      },
      {
        name: 'developer',
        value: 'NAME',
        meaning: 'name in the summary',
        default: 'settings, else login name',
        example: '--developer ada',
      },
      { name: 'week-start', value: 'DAY', meaning: 'monday, sunday or saturday', default: 'monday', example: '--week-start sunday' },
      { name: 'pseudonymise', meaning: 'replace project names with stable pseudonyms', default: 'settings', example: '--pseudonymise' },
      { name: 'no-pseudonymise', meaning: 'keep project names', example: '--no-pseudonymise' },
      tz,
      noScan,
    ],
  },
  {
    name: 'team',
    summary: "merge a team's weekly summaries: per developer, trend, local share, who is over budget",
    positionals: '<folder or files…>',
    options: [
      { name: 'week', value: 'YYYY-Www', meaning: 'the ISO week', default: 'latest in the files', example: '--week 2026-W47' },
      { name: 'format', value: 'FORMAT', meaning: 'md, html, csv or json', default: 'md, or from --out', example: '--format html' },
      { name: 'out', value: 'FILE', meaning: 'write to this file instead of stdout', default: 'stdout', example: '--out team.html' },
    ],
  },
  {
    name: 'telemetry',
    summary: 'send the ledger to an OpenTelemetry collector (OTLP/HTTP), or serve it to Prometheus',
    options: [
      {
        name: 'endpoint',
        value: 'URL',
        meaning: "the collector's OTLP/HTTP base URL (/v1/logs and /v1/metrics are added)",
        default: 'unmetered.telemetry.endpoint, else OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318',
        example: '--endpoint http://otel.corp:4318',
      },
      { name: 'watch', meaning: 'keep running: export every unmetered.telemetry.intervalSeconds', example: '--watch' },
      {
        name: 'prometheus',
        value: 'PORT',
        meaning: 'serve Prometheus metrics at http://127.0.0.1:PORT/metrics (keeps running; 0: any free port)',
        example: '--prometheus 9464',
      },
      { name: 'no-otlp', meaning: 'with --prometheus: do not export over OTLP', example: '--no-otlp' },
      json,
      noScan,
    ],
    note:
      'Only what the collector has not accepted is sent; a collector that was down gets the backlog.' +
      ' Headers and resource attributes: OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES. Privacy:' +
      ' unmetered.telemetry.userId, .hashKey, .projects, .attributes (see the README).',
  },
  {
    name: 'gateway',
    summary: 'run the metering gateway for agents (headless), recording into the ledger',
    options: [
      {
        name: 'port',
        value: 'N',
        meaning: 'loopback port to listen on (0: any free one)',
        default: 'settings, else 8719',
        example: '--port 8719',
      },
      {
        name: 'route',
        value: 'cloud|local',
        meaning: 'send requests to the vendor or to the local server',
        default: 'cloud',
        example: '--route local',
      },
      {
        name: 'local-model',
        value: 'NAME',
        meaning: 'model for the local route, as its server lists it',
        default: 'none',
        example: '--local-model qwen2.5-coder:7b',
      },
      {
        name: 'local-server',
        value: 'ollama|lmstudio|llamacpp',
        meaning: 'the local server that serves --local-model (as unmetered.localServer)',
        default: 'ollama',
        example: '--local-server lmstudio',
      },
      {
        name: 'anthropic-upstream',
        value: 'URL',
        meaning: 'Anthropic API base URL',
        default: 'https://api.anthropic.com',
        example: '--anthropic-upstream https://api.anthropic.com',
      },
      {
        name: 'openai-upstream',
        value: 'URL',
        meaning: 'OpenAI API base URL',
        default: 'https://api.openai.com',
        example: '--openai-upstream https://api.openai.com',
      },
      {
        name: 'ollama-host',
        value: 'URL',
        meaning: 'Ollama base URL',
        default: 'http://127.0.0.1:11434',
        example: '--ollama-host http://127.0.0.1:11434',
      },
      {
        name: 'lmstudio-host',
        value: 'URL',
        meaning: "LM Studio's server base URL",
        default: 'http://127.0.0.1:1234',
        example: '--lmstudio-host http://127.0.0.1:1234',
      },
      {
        name: 'llamacpp-host',
        value: 'URL',
        meaning: "llama.cpp's llama-server base URL",
        default: 'http://127.0.0.1:8080',
        example: '--llamacpp-host http://127.0.0.1:8080',
      },
    ],
  },
];

export const ALL_SPECS: CommandSpec[] = [...VIEW_SPECS, ...OTHER_SPECS];
export const specOf = (name: string) => ALL_SPECS.find((s) => s.name === name);
