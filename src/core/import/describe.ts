/** Plain-text lines describing the sources, for the status bar tooltip, `unmetered report` and logs. */
import { formatUSD, grouped } from '../money';
import type { SourceStatus } from './importer';

/** A cent: below it the agent's own figure and ours are the same figure rounded differently. */
const CENT_NANOS = 10_000_000;

/** ", it says $0.10, priced here $0.06" when the agent's own cost and ours differ by more than a cent. */
function costNote(s: SourceStatus): string {
  const c = s.agentCost;
  if (!c || Math.abs(c.agentNanos - c.ourNanos) <= CENT_NANOS) return '';
  return `, ${s.label} says ${formatUSD(c.agentNanos)}, priced here ${formatUSD(c.ourNanos)}`;
}

/** `~` for the home directory keeps paths short and keeps the user name out of screenshots. */
export function tildify(p: string, home: string): string {
  return home && (p === home || p.startsWith(home + '/') || p.startsWith(home + '\\')) ? '~' + p.slice(home.length) : p;
}

/** e.g. "Claude Code: 12 files, 3,456 interactions, 2 malformed lines skipped (~/.claude/projects)". */
export function describeSource(s: SourceStatus, home: string): string {
  if (!s.enabled) return `${s.label}: off`;
  const used = s.roots.filter((r) => r.exists).map((r) => tildify(r.path, home));
  if (used.length === 0) {
    // Cline and Roo Code are looked for in a dozen editors' storage: name the first, count the rest.
    const [first, ...rest] = s.roots.map((r) => tildify(r.path, home));
    return `${s.label}: no logs found (looked in ${first}${rest.length === 1 ? ` and ${rest[0]}` : rest.length > 1 ? ` and ${rest.length} other places` : ''})`;
  }
  const n = (x: number, one: string) => `${grouped(x)} ${one}${x === 1 ? '' : 's'}`;
  const bad = s.malformedLines ? `, ${n(s.malformedLines, 'malformed line')} skipped` : '';
  return `${s.label}: ${n(s.files, 'file')}, ${n(s.interactions, 'interaction')}${bad}${costNote(s)} (${used.join(', ')})`;
}

/**
 * One line for the status bar tooltip: the agents whose logs were found, with their interaction counts,
 * and how many were looked for and not found (the paths are one click away, not in the hover).
 */
export function summariseSources(list: readonly SourceStatus[]): string {
  const found = list.filter((s) => s.enabled && s.roots.some((r) => r.exists));
  const missing = list.filter((s) => s.enabled && !s.roots.some((r) => r.exists)).length;
  const off = list.filter((s) => !s.enabled).length;
  const n = (x: number, one: string) => `${grouped(x)} ${one}${x === 1 ? '' : 's'}`;
  const parts = [
    found.length ? found.map((s) => `${s.label} (${n(s.interactions, 'interaction')})`).join(', ') : 'no agent logs found yet',
  ];
  if (missing) parts.push(found.length ? `${n(missing, 'other agent')} not found` : `looked for ${n(missing, 'agent')}`);
  if (off) parts.push(`${off} turned off`);
  return parts.join(' · ');
}
