/** Aligned text tables, with colour only on a terminal (never when piped, with NO_COLOR or --no-color). */
import type { Output } from './context';
import { visible } from './options';

export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
}

const code = (on: number, off: number) => (s: string) => `\x1b[${on}m${s}\x1b[${off}m`;
const COLOUR: Paint = { bold: code(1, 22), dim: code(2, 22), yellow: code(33, 39), red: code(31, 39), cyan: code(36, 39) };
const id = (s: string) => s;
const PLAIN: Paint = { bold: id, dim: id, yellow: id, red: id, cyan: id };

/** FORCE_COLOR and NO_COLOR as https://no-color.org and most CLIs read them; --no-color wins. */
export function paintFor(stdout: Output, env: NodeJS.ProcessEnv, noColorFlag: boolean): Paint {
  if (noColorFlag || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return PLAIN;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== '') return COLOUR;
  return stdout.isTTY ? COLOUR : PLAIN;
}

export interface Column {
  title: string;
  /** Text columns are left-aligned, numbers right-aligned. */
  align?: 'left' | 'right';
}

/** Rows of cells → lines; a row of `null` is a rule. The first column is left-aligned, others right unless told. */
export function renderTable(cols: Column[], rows: (string[] | null)[], paint: Paint): string[] {
  const all = [cols.map((c) => c.title), ...rows.filter((r): r is string[] => r !== null)];
  const w = cols.map((_, i) => Math.max(...all.map((r) => visible(r[i] ?? ''))));
  const cell = (c: string, i: number) => {
    const pad = ' '.repeat(Math.max(0, w[i] - visible(c)));
    return (cols[i].align ?? (i === 0 ? 'left' : 'right')) === 'left' ? c + pad : pad + c;
  };
  const line = (r: string[]) => r.map(cell).join('  ').trimEnd();
  const rule = w.map((n) => '─'.repeat(n)).join('──');
  return [paint.bold(line(cols.map((c) => c.title))), paint.dim(rule), ...rows.map((r) => (r === null ? paint.dim(rule) : line(r)))];
}
