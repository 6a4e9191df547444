/**
 * A validator for the small part of JSON Schema (2020-12) our report schemas use: type, const,
 * enum, pattern, minLength/maxLength, minimum/maximum, required, properties, additionalProperties
 * (false or a schema), items, minItems/maxItems and local $ref (JSON pointers into the same
 * document). A keyword it does not know throws, so a schema can never silently check less than it
 * says. Schemas are compiled once into closures (a team merge checks thousands of files); the path
 * of a value is only spelled out when it is wrong.
 * Hand-written because a general validator (ajv) would be the largest thing in the bundle for this.
 */
export type Schema = { [k: string]: unknown };

const KNOWN = new Set([
  '$schema',
  '$id',
  '$defs',
  '$ref',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
]);

interface Run {
  errors: string[];
  limit: number;
  /** Keys and indexes from the root to the value being checked. */
  path: (string | number)[];
}
type Check = (v: unknown, run: Run) => void;

const TYPE_TESTS: Record<string, (v: unknown) => boolean> = {
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  null: (v) => v === null,
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
};

/**
 * A short rendering of a wrong value for a message. Arrays and objects are described, never
 * stringified: a hostile file can nest them deeper than JSON.stringify's recursion can go.
 */
export const show = (v: unknown): string => {
  if (Array.isArray(v)) return `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  if (typeof v === 'string' && v.length > 60) return `${JSON.stringify(v.slice(0, 56))}…`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s;
};

const pointer = (path: (string | number)[]) =>
  path.length ? path.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('') : '/';

function report(run: Run, expected: string, v: unknown, extraKey?: string): void {
  if (run.errors.length >= run.limit) return;
  const p = extraKey === undefined ? run.path : [...run.path, extraKey];
  run.errors.push(
    `${pointer(p)}: expected ${expected}, got ${extraKey !== undefined && expected.startsWith('a value') ? 'nothing' : show(v)}`,
  );
}

function resolve(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#')) throw new Error(`schema: only local $ref is supported, got ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').slice(1)) {
    node = (node as Schema)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`schema: $ref ${ref} points nowhere`);
  }
  return node as Schema;
}

function compile(root: Schema, s: Schema, at: string, cache: Map<Schema, Check>): Check {
  const cached = cache.get(s);
  if (cached) return cached;
  // Registered before its parts are compiled, so a recursive $ref finds it.
  let body: Check = () => {};
  const check: Check = (v, run) => body(v, run);
  cache.set(s, check);

  for (const k of Object.keys(s))
    if (!KNOWN.has(k)) throw new Error(`schema: keyword ${k} at ${at || '/'} is not supported by this validator`);
  const steps: Check[] = [];
  if (typeof s.$ref === 'string') steps.push(compile(root, resolve(root, s.$ref), s.$ref, cache));
  // A failed type, const or enum check stops the checks of this value: the rest would only repeat it.
  const gates: ((v: unknown, run: Run) => boolean)[] = [];
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const tests = types.map((t) => {
      const f = TYPE_TESTS[t];
      if (!f) throw new Error(`schema: unknown type ${t} at ${at || '/'}`);
      return f;
    });
    const expected = types.join(' or ');
    const [only] = tests;
    gates.push(
      tests.length === 1 && only
        ? (v, run) => only(v) || (report(run, expected, v), false)
        : (v, run) => tests.some((f) => f(v)) || (report(run, expected, v), false),
    );
  }
  if ('const' in s) {
    const c = s.const;
    gates.push((v, run) => v === c || (report(run, show(c), v), false));
  }
  if (Array.isArray(s.enum)) {
    const values = s.enum as unknown[];
    const expected = `one of ${values.map(show).join(', ')}`;
    gates.push((v, run) => values.includes(v) || (report(run, expected, v), false));
  }
  const { minLength, maxLength, pattern, minimum, maximum, minItems, maxItems } = s as Record<string, number | string | undefined>;
  if (typeof minLength === 'number')
    steps.push((v, run) => typeof v === 'string' && v.length < minLength && report(run, `at least ${minLength} characters`, v));
  if (typeof maxLength === 'number')
    steps.push((v, run) => typeof v === 'string' && v.length > maxLength && report(run, `at most ${maxLength} characters`, v));
  if (typeof pattern === 'string') {
    const re = new RegExp(pattern, 'u');
    steps.push((v, run) => typeof v === 'string' && !re.test(v) && report(run, `a string matching ${pattern}`, v));
  }
  if (typeof minimum === 'number') steps.push((v, run) => typeof v === 'number' && v < minimum && report(run, `a number ≥ ${minimum}`, v));
  if (typeof maximum === 'number') steps.push((v, run) => typeof v === 'number' && v > maximum && report(run, `a number ≤ ${maximum}`, v));
  if (typeof minItems === 'number')
    steps.push((v, run) => Array.isArray(v) && v.length < minItems && report(run, `at least ${minItems} items`, v));
  if (typeof maxItems === 'number')
    steps.push((v, run) => Array.isArray(v) && v.length > maxItems && report(run, `at most ${maxItems} items`, v));
  if (s.items && typeof s.items === 'object') {
    const item = compile(root, s.items as Schema, `${at}/items`, cache);
    steps.push((v, run) => {
      if (!Array.isArray(v)) return;
      for (let i = 0; i < v.length && run.errors.length < run.limit; i++) {
        run.path.push(i);
        item(v[i], run);
        run.path.pop();
      }
    });
  }
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const propChecks = new Map(Object.entries(props).map(([k, p]) => [k, compile(root, p, `${at}/properties/${k}`, cache)]));
  const required = Array.isArray(s.required) ? (s.required as string[]) : [];
  const additional =
    s.additionalProperties === false
      ? false
      : s.additionalProperties && typeof s.additionalProperties === 'object'
        ? compile(root, s.additionalProperties as Schema, `${at}/additionalProperties`, cache)
        : true;
  if (s.properties || required.length || additional !== true) {
    steps.push((v, run) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
      const o = v as Record<string, unknown>;
      for (const k of required) if (!Object.hasOwn(o, k)) report(run, 'a value (required)', undefined, k);
      for (const k in o) {
        if (!Object.hasOwn(o, k)) continue;
        const c = propChecks.get(k);
        if (c) {
          run.path.push(k);
          c(o[k], run);
          run.path.pop();
        } else if (additional === false) report(run, 'no such field', o[k], k);
        else if (additional !== true) {
          run.path.push(k);
          additional(o[k], run);
          run.path.pop();
        }
      }
    });
  }
  body = (v, run) => {
    for (const g of gates) if (!g(v, run)) return;
    for (const step of steps) step(v, run);
  };
  return check;
}

const compiled = new WeakMap<Schema, Check>();

/**
 * Returns the problems of a value against a schema, each as "<JSON pointer>: expected …, got …",
 * at most `limit` of them. An empty list means valid.
 */
export function validate(root: Schema, value: unknown, limit = 20): string[] {
  let check = compiled.get(root);
  if (!check) compiled.set(root, (check = compile(root, root, '', new Map())));
  const run: Run = { errors: [], limit, path: [] };
  check(value, run);
  return run.errors;
}
