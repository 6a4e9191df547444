/**
 * Small SVG charts as strings, shared by the HTML export and the dashboard webview (this module
 * runs in Node and in the browser, so it uses no DOM and no Node API). Colours are never inline:
 * every shape carries a class (bar-cloud, bar-local, line-budget, …) that the page's stylesheet
 * colours, which keeps the dashboard within a strict CSP and lets it follow the VS Code theme.
 */
import { plainText } from '../../sanitize';

/** HTML text or attribute, with control characters and escape sequences removed (plainText). */
export function esc(s: string): string {
  return plainText(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const r1 = (n: number) => String(Math.round(n * 10) / 10);

/** A round axis maximum and step for values up to `max` (about four gridlines). */
function niceScale(max: number, ticks = 4): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 0.25 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { max: step * Math.ceil(max / step - 1e-9), step };
}

function frame(width: number, height: number, title: string, body: string[], cls: string): string {
  const id = `t${hash(title)}`;
  return (
    `<svg class="chart ${cls}" viewBox="0 0 ${width} ${height}" width="${width}" height="` +
    `${height}" role="img" aria-labelledby="${id}" xmlns="http://www.w3.org/2000/svg"><title id="${id}">${esc(title)}</title>${body.join('')}</svg>`
  );
}

/** A short stable id from a title, so several charts on one page get distinct ids deterministically. */
function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

function yAxis(
  scale: { max: number; step: number },
  x0: number,
  x1: number,
  y: (v: number) => number,
  format: (v: number) => string,
): string[] {
  const out: string[] = [];
  for (let v = 0; v <= scale.max + scale.step / 2; v += scale.step) {
    const yy = r1(y(v));
    out.push(
      `<line class="grid" x1="${x0}" x2="${x1}" y1="${yy}" y2="${yy}"/>`,
      `<text class="tick" x="${x0 - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${esc(format(v))}</text>`,
    );
  }
  return out;
}

export interface Column {
  label: string;
  /** The main (metered) part. */
  value: number;
  /** A second part stacked on top (e.g. spend avoided by local models). */
  extra?: number;
  /** Hover text. */
  title?: string;
  /** Text above the column; none when empty. */
  valueLabel?: string;
}

export interface ColumnChartOptions {
  title: string;
  columns: Column[];
  format: (v: number) => string;
  width?: number;
  height?: number;
  /** A horizontal reference line (e.g. the daily budget). */
  reference?: { value: number; label: string };
  mainClass?: string;
  extraClass?: string;
}

/** Vertical columns, one per label (days), with an optional stacked part and reference line. */
export function columnChart(o: ColumnChartOptions): string {
  const W = o.width ?? 640,
    H = o.height ?? 220;
  const left = 56,
    right = 8,
    top = 18,
    bottom = 26;
  const top1 = Math.max(0, ...o.columns.map((c) => c.value + (c.extra ?? 0)), o.reference?.value ?? 0);
  const scale = niceScale(top1);
  const y = (v: number) => top + (H - top - bottom) * (1 - v / scale.max);
  const slot = (W - left - right) / Math.max(1, o.columns.length);
  const bw = Math.min(48, slot * 0.62);
  const body = yAxis(scale, left, W - right, y, o.format);
  o.columns.forEach((c, i) => {
    const x = left + slot * i + (slot - bw) / 2;
    const cx = r1(x + bw / 2);
    const parts: string[] = [];
    if (c.value > 0)
      parts.push(
        `<rect class="bar ${o.mainClass ?? 'bar-cloud'}" x="${r1(x)}" y="${r1(y(c.value))}" width="${r1(bw)}" height="${r1(y(0) - y(c.value))}"/>`,
      );
    if (c.extra && c.extra > 0)
      parts.push(
        `<rect class="bar ${o.extraClass ?? 'bar-local'}" x="${r1(x)}" y="${r1(y(c.value + c.extra))}" width="` +
          `${r1(bw)}" height="${r1(y(c.value) - y(c.value + c.extra))}"/>`,
      );
    body.push(`<g>${c.title ? `<title>${esc(c.title)}</title>` : ''}${parts.join('')}</g>`);
    if (c.valueLabel)
      body.push(
        `<text class="value" x="${cx}" y="${r1(y(c.value + (c.extra ?? 0)) - 4)}" text-anchor="middle">${esc(c.valueLabel)}</text>`,
      );
    body.push(`<text class="tick" x="${cx}" y="${H - 8}" text-anchor="middle">${esc(c.label)}</text>`);
  });
  if (o.reference && o.reference.value > 0) {
    const yy = r1(y(o.reference.value));
    body.push(
      `<line class="line-budget" x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}"/>`,
      `<text class="ref" x="${W - right}" y="${r1(y(o.reference.value) - 4)}" text-anchor="end">${esc(o.reference.label)}</text>`,
    );
  }
  body.push(`<line class="axis" x1="${left}" x2="${W - right}" y1="${r1(y(0))}" y2="${r1(y(0))}"/>`);
  return frame(W, H, o.title, body, 'column-chart');
}

export interface BarRow {
  label: string;
  value: number;
  valueLabel: string;
  /** Class of the bar, e.g. bar-local for a local model. */
  cls?: string;
}

/** Horizontal bars with their label on the left and value on the right (agents, models, developers). */
export function barList(title: string, rows: BarRow[], width = 640): string {
  const longest = Math.max(4, ...rows.map((r) => Math.min(32, r.label.length)));
  const rowH = 24,
    labelW = Math.min(Math.round(width * 0.34), longest * 6.5 + 16),
    valueW = 170;
  const H = Math.max(1, rows.length) * rowH + 4;
  const max = Math.max(0, ...rows.map((r) => r.value));
  const span = width - labelW - valueW - 16;
  const body = rows.map((r, i) => {
    const yy = i * rowH + 2;
    const w = max > 0 ? Math.max(r.value > 0 ? 2 : 0, (r.value / max) * span) : 0;
    const label = r.label.length > 32 ? `${r.label.slice(0, 31)}…` : r.label;
    return (
      `<g><title>${esc(`${r.label}: ${r.valueLabel}`)}</title>` +
      `<text class="label" x="${labelW - 8}" y="${yy + rowH / 2}" text-anchor="end" dominant-baseline="middle">${esc(label)}</text>` +
      `<rect class="bar ${r.cls ?? 'bar-cloud'}" x="${labelW}" y="${yy + 4}" width="${r1(w)}" height="${rowH - 8}"/>` +
      `<text class="value" x="${r1(labelW + w + 6)}" y="${yy + rowH / 2}" dominant-baseline="middle">${esc(r.valueLabel)}</text></g>`
    );
  });
  return frame(width, H, title, body, 'bar-list');
}

export interface SplitPart {
  label: string;
  value: number;
  cls: string;
}

/** One bar split in proportion (cloud vs local), with a legend under it. */
export function splitBar(title: string, parts: SplitPart[], width = 640): string {
  const total = parts.reduce((s, p) => s + p.value, 0);
  const body: string[] = [];
  let x = 0;
  for (const p of parts) {
    const w = total > 0 ? (p.value / total) * width : 0;
    if (w > 0)
      body.push(`<rect class="bar ${p.cls}" x="${r1(x)}" y="0" width="${r1(w)}" height="18"><title>${esc(p.label)}</title></rect>`);
    x += w;
  }
  let lx = 0;
  parts.forEach((p) => {
    body.push(
      `<rect class="${p.cls}" x="${lx}" y="28" width="10" height="10"/><text class="label" x="${lx + 14}" y="37">${esc(p.label)}</text>`,
    );
    lx += Math.max(140, 14 + p.label.length * 7 + 16);
  });
  return frame(width, 44, title, body, 'split-bar');
}

export interface LineSeries {
  /** One value per x slot; null = no point (e.g. the future for actual spend). */
  points: (number | null)[];
  cls: string;
  label: string;
}

export interface LineChartOptions {
  title: string;
  /** Labels under the x slots; only every `labelEvery`th is written. */
  xLabels: string[];
  labelEvery?: number;
  series: LineSeries[];
  format: (v: number) => string;
  reference?: { value: number; label: string };
  /** Optional columns behind the lines (e.g. daily spend). */
  columns?: (number | null)[];
  width?: number;
  height?: number;
}

/**
 * Lines over x slots (days of a month): cumulative spend, its projection to the month's end, and
 * the budget as a reference line, with daily spend as faint columns behind.
 */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 640,
    H = o.height ?? 240;
  const left = 56,
    right = 8,
    top = 18,
    bottom = 26;
  const n = Math.max(1, o.xLabels.length);
  const all = [...o.series.flatMap((s) => s.points), ...(o.columns ?? [])].filter((v): v is number => v !== null);
  const scale = niceScale(Math.max(0, ...all, o.reference?.value ?? 0));
  const y = (v: number) => top + (H - top - bottom) * (1 - v / scale.max);
  const slot = (W - left - right) / n;
  const x = (i: number) => left + slot * i + slot / 2;
  const body = yAxis(scale, left, W - right, y, o.format);
  (o.columns ?? []).forEach((v, i) => {
    if (v === null || v <= 0) return;
    const bw = slot * 0.6;
    body.push(
      `<rect class="bar bar-daily" x="${r1(x(i) - bw / 2)}" y="${r1(y(v))}" width="${r1(bw)}" height="` +
        `${r1(y(0) - y(v))}"><title>${esc(`${o.xLabels[i]}: ${o.format(v)}`)}</title></rect>`,
    );
  });
  if (o.reference && o.reference.value > 0) {
    const yy = r1(y(o.reference.value));
    body.push(
      `<line class="line-budget" x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}"/>`,
      `<text class="ref" x="${W - right}" y="${r1(y(o.reference.value) - 4)}" text-anchor="end">${esc(o.reference.label)}</text>`,
    );
  }
  for (const s of o.series) {
    const segs: string[] = [];
    s.points.forEach((v, i) => {
      if (v !== null) segs.push(`${segs.length ? 'L' : 'M'}${r1(x(i))} ${r1(y(v))}`);
    });
    if (segs.length) body.push(`<path class="line ${s.cls}" d="${segs.join(' ')}" fill="none"><title>${esc(s.label)}</title></path>`);
  }
  const every = o.labelEvery ?? 1;
  o.xLabels.forEach((l, i) => {
    if (i % every === 0 || i === n - 1) body.push(`<text class="tick" x="${r1(x(i))}" y="${H - 8}" text-anchor="middle">${esc(l)}</text>`);
  });
  body.push(`<line class="axis" x1="${left}" x2="${W - right}" y1="${r1(y(0))}" y2="${r1(y(0))}"/>`);
  return frame(W, H, o.title, body, 'line-chart');
}
