/**
 * One table of options per command: the parser and `--help` are both generated from it, so help
 * can never drift from what is accepted. Loaded on every start, so it imports nothing heavy.
 */
import { UsageError } from './context';

export interface OptionSpec {
  name: string;
  short?: string;
  /** A string option takes a value, shown as this placeholder in help (e.g. "DATE"). */
  value?: string;
  meaning: string;
  default?: string;
  example: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, as help shows them (e.g. "<folder or files…>"). */
  positionals?: string;
  options: OptionSpec[];
  /** Another name for the same command (e.g. `report --by day` for `daily`). */
  note?: string;
}

export type Values = Record<string, string | boolean | undefined>;

const similar = (a: string, b: string) => {
  // Levenshtein distance, small strings only: enough to suggest the flag a typo meant.
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
};

function unknown(spec: CommandSpec, flag: string): UsageError {
  const names = spec.options.map((o) => o.name);
  const bare = flag.replace(/^-+/, '').split('=')[0];
  const best = names.map((n) => [n, similar(bare, n)] as const).sort((a, b) => a[1] - b[1])[0];
  const hint = best && best[1] <= Math.max(2, bare.length / 3) ? `; did you mean --${best[0]}?` : '';
  return new UsageError(`unknown option ${flag}${hint}`);
}

/**
 * Parses `--name value`, `--name=value`, `-s value`, `-j` and `--no-name` for booleans. A string
 * option followed by nothing, or by another option, is a friendly error naming an example.
 */
export function parseCommand(spec: CommandSpec, args: string[]): { values: Values; positionals: string[] } {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.filter((o) => o.short).map((o) => [o.short!, o]));
  const values: Values = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      if (!spec.positionals)
        throw new UsageError(
          `unexpected argument ${JSON.stringify(a)}: unmetered ${spec.name} takes options only (unmetered ${spec.name} --help)`,
        );
      positionals.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const o = flag.startsWith('--') ? byName.get(flag.slice(2)) : byShort.get(flag.slice(1));
    if (!o) throw unknown(spec, a);
    if (!o.value) {
      if (eq > 0) throw new UsageError(`--${o.name} takes no value, got ${JSON.stringify(a)} (e.g. ${o.example})`);
      values[o.name] = true;
      continue;
    }
    let v: string | undefined;
    if (eq > 0) v = a.slice(eq + 1);
    else {
      v = args[i + 1];
      if (v === undefined || (v.startsWith('-') && v !== '-' && !/^-\d/.test(v))) {
        throw new UsageError(
          `${flag} needs a value (${o.value}), ${v === undefined ? 'got nothing' : `got the option ${v}`}; e.g. ${o.example}`,
        );
      }
      i++;
    }
    values[o.name] = v;
  }
  return { values, positionals };
}

/** Pads to a width in visible characters (ANSI colour codes take no room). */
export const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;

function columns(rows: string[][], gap = '  '): string[] {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => visible(r[i] ?? ''))));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(w[i] - visible(c))))
      .join(gap)
      .trimEnd(),
  );
}

function flagText(o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}`;
}

export function commandHelp(spec: CommandSpec): string {
  const usage = `usage: unmetered ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''}${spec.options.length ? ' [options]' : ''}`;
  const out = [`unmetered ${spec.name}: ${spec.summary}`, '', usage];
  if (spec.note) out.push('', spec.note);
  if (spec.options.length) {
    out.push('', 'options:');
    const rows = [
      ['  option', 'meaning', 'default', 'example'],
      ...spec.options.map((o) => [`  ${flagText(o)}`, o.meaning, o.default ?? '-', o.example]),
    ];
    out.push(...columns(rows));
  }
  return out.join('\n') + '\n';
}

export function overallHelp(specs: readonly CommandSpec[]): string {
  const out = ['usage: unmetered <command> [options]', '', 'commands:', ...columns(specs.map((s) => [`  ${s.name}`, s.summary]))];
  out.push(
    '',
    'Every command takes --help: its options, each with its meaning, default and an example.',
    '  unmetered --version     the version',
    '',
    'The ledger lives in $UNMETERED_HOME, or the platform data directory (~/.local/share/unmetered on Linux).',
    'Colour on a terminal; none when piped, with NO_COLOR set, or with --no-color.',
    'Exit codes: 0 ok, 1 a failure while running, 2 bad arguments.',
  );
  return out.join('\n') + '\n';
}
