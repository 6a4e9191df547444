/**
 * Deterministic input mutation for fuzz tests: a small seeded PRNG (mulberry32) and mutators that
 * turn a valid JSON text into the kinds of damage logs and files really suffer (cut short, types
 * changed, huge or negative numbers, deep nesting, control characters, glued lines). The same seed
 * gives the same inputs on every machine, so a failure names a run that can be replayed.
 */

/** Runs per fuzz target: a few thousand in the unit suite, more with UNMETERED_FUZZ_RUNS=N. */
export function fuzzRuns(unitDefault: number): number {
  const n = Number(process.env.UNMETERED_FUZZ_RUNS);
  return Number.isSafeInteger(n) && n > 0 ? n : unitDefault;
}

export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const int = (rng: Rng, n: number) => Math.floor(rng() * n);

/** Number literals as they appear in JSON text; some are out of every sane range, one is not JSON. */
const NUMBER_TEXTS = [
  '-1',
  '-0',
  '0',
  '1.5',
  '1e20',
  '1e308',
  '1e400',
  '-1e400',
  '9007199254740993',
  '1e-400',
  '2e15',
  '8.64e15',
  '-8.64e15',
  '"12"',
  'null',
  'true',
  '[]',
  '{}',
  'NaN',
];

/** Values that replace a node: every JSON type, edges of each, and strings that are not what they look like. */
function hostileValue(rng: Rng): unknown {
  switch (int(rng, 14)) {
    case 0:
      return pick(rng, [-1, -0, 1.5, 1e20, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 8.64e15 + 1, 2 ** 31, 0]);
    case 1:
      return pick(rng, [
        '',
        ' ',
        '12',
        '-5',
        'NaN',
        '+275760-09-14T00:00:00.000Z',
        '9999-99-99',
        '2026-11-23T12:00:00Z',
        '\u0000',
        '__proto__',
        'constructor',
      ]);
    case 2:
      return pick(rng, [
        '\u001b]52;c;aGVsbG8=\u0007',
        '\u001b[2J\u001b[H',
        '\r\n',
        '\u2028\u2029',
        '\ud800',
        'a\u0008\u0008b',
        '\u009b31m',
      ]);
    case 3:
      return null;
    case 4:
      return pick(rng, [true, false]);
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return [null];
    case 8:
      return nested(rng, 10 + int(rng, 3000));
    case 9:
      return 'x'.repeat(int(rng, 200_000));
    case 10:
      return { __proto__: { polluted: 1 }, constructor: { prototype: 1 } };
    case 11:
      return Array.from({ length: int(rng, 50) }, () => int(rng, 1000));
    case 12:
      return { input_tokens: -1, output_tokens: '5', total_tokens: 1e308 };
    default:
      return String.fromCharCode(...Array.from({ length: int(rng, 40) }, () => int(rng, 0x10000)));
  }
}

function nested(rng: Rng, depth: number): unknown {
  let v: unknown = pick(rng, [1, 'x', null]);
  const asArray = rng() < 0.5;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

type Container = Record<string, unknown> | unknown[];

/** Every (container, key) in a parsed value, so a mutation can hit any node. */
function slots(v: unknown, out: [Container, string | number][] = [], depth = 0): [Container, string | number][] {
  if (depth > 64 || typeof v !== 'object' || v === null) return out;
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), slots(x, out, depth + 1)));
  else
    for (const k of Object.keys(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots((v as Record<string, unknown>)[k], out, depth + 1);
    }
  return out;
}

function structural(rng: Rng, text: string): string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return text;
  }
  const all = slots(v);
  if (all.length === 0) return JSON.stringify(hostileValue(rng));
  for (let n = 1 + int(rng, 3); n > 0; n--) {
    const [c, k] = pick(rng, all);
    const op = int(rng, 3);
    if (op === 0 && !Array.isArray(c)) delete c[k as string];
    else if (op === 1) {
      // another node's value in this place: right JSON, wrong shape
      const [c2, k2] = pick(rng, all);
      const other = JSON.stringify((c2 as Record<string | number, unknown>)[k2]); // a copy: no cycles
      (c as Record<string | number, unknown>)[k] = other === undefined ? null : JSON.parse(other);
    } else (c as Record<string | number, unknown>)[k] = hostileValue(rng);
  }
  return JSON.stringify(v);
}

/** One mutation of `text` (and sometimes of a second valid text, glued on). */
export function mutate(rng: Rng, text: string, others: readonly string[]): string {
  switch (int(rng, 9)) {
    case 0:
      return text.slice(0, int(rng, text.length + 1)); // cut short, as a crash leaves it
    case 1:
    case 2:
    case 3:
      return structural(rng, text);
    case 4: {
      // a number literal replaced in the text itself (keeps everything else byte-identical)
      const nums = [...text.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
      if (nums.length === 0) return structural(rng, text);
      const m = pick(rng, nums);
      return text.slice(0, m.index) + pick(rng, NUMBER_TEXTS) + text.slice(m.index + m[0].length);
    }
    case 5: {
      const at = int(rng, text.length + 1);
      const junk = String.fromCharCode(
        ...Array.from({ length: 1 + int(rng, 4) }, () => pick(rng, [0, 7, 8, 9, 13, 27, 0x7f, 0x85, 0x9b, 0xfeff, 0xd800])),
      );
      return text.slice(0, at) + junk + text.slice(at);
    }
    case 6:
      return text.slice(0, int(rng, text.length)) + pick(rng, others); // a torn line glued to the next
    case 7: {
      const chars = [...text];
      for (let n = 1 + int(rng, 8); n > 0 && chars.length > 0; n--) chars[int(rng, chars.length)] = String.fromCharCode(int(rng, 128));
      return chars.join('');
    }
    default:
      return pick(rng, ['', ' ', 'null', '[]', '"a"', '123', '{}', '{"type":"assistant"}', '['.repeat(100_000), '{"a":'.repeat(50_000)]);
  }
}
