/**
 * A validator for the small part of JSON Schema (2020-12) our report schemas use: type, const,
 * enum, pattern, minLength/maxLength, minimum, required, properties, additionalProperties (false or
 * a schema), items, minItems/maxItems and local $ref (JSON pointers into the same document).
 * A keyword it does not know throws, so a schema can never silently check less than it says.
 * Hand-written because a general validator (ajv) would be the largest thing in the bundle for this.
 */
export type Schema = { [k: string]: unknown };

const KNOWN = new Set([
  '$schema', '$id', '$defs', '$ref', 'title', 'description',
  'type', 'const', 'enum', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
  'required', 'properties', 'additionalProperties', 'items', 'minItems', 'maxItems',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function matchesType(v: unknown, t: string): boolean {
  switch (t) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    default:
      return typeOf(v) === t;
  }
}

const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

const escapePointer = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

function resolve(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#')) throw new Error(`schema: only local $ref is supported, got ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').slice(1)) {
    node = (node as Schema)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`schema: $ref ${ref} points nowhere`);
  }
  return node as Schema;
}

/**
 * Returns the problems of a value against a schema, each as "<JSON pointer>: expected …, got …",
 * at most `limit` of them. An empty list means valid.
 */
export function validate(root: Schema, value: unknown, limit = 20): string[] {
  const errors: string[] = [];
  const patterns = new Map<string, RegExp>();

  const check = (s: Schema, v: unknown, at: string): void => {
    if (errors.length >= limit) return;
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`schema: keyword ${k} at ${at || '/'} is not supported by this validator`);
    const fail = (expected: string) => errors.push(`${at || '/'}: expected ${expected}, got ${show(v)}`);
    if (typeof s.$ref === 'string') check(resolve(root, s.$ref), v, at);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => matchesType(v, t))) return void fail(types.join(' or '));
    }
    if ('const' in s && v !== s.const) return void fail(show(s.const));
    if (Array.isArray(s.enum) && !s.enum.includes(v)) return void fail(`one of ${s.enum.map(show).join(', ')}`);
    if (typeof v === 'string') {
      if (typeof s.minLength === 'number' && v.length < s.minLength) fail(`at least ${s.minLength} characters`);
      if (typeof s.maxLength === 'number' && v.length > s.maxLength) fail(`at most ${s.maxLength} characters`);
      if (typeof s.pattern === 'string') {
        let re = patterns.get(s.pattern);
        if (!re) patterns.set(s.pattern, (re = new RegExp(s.pattern, 'u')));
        if (!re.test(v)) fail(`a string matching ${s.pattern}`);
      }
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) fail(`a number ≥ ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) fail(`a number ≤ ${s.maximum}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) fail(`at least ${s.minItems} items`);
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) fail(`at most ${s.maxItems} items`);
      if (s.items && typeof s.items === 'object') v.forEach((x, i) => check(s.items as Schema, x, `${at}/${i}`));
    }
    if (typeOf(v) === 'object') {
      const o = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      if (Array.isArray(s.required)) for (const k of s.required as string[]) if (!Object.hasOwn(o, k)) errors.push(`${at}/${escapePointer(k)}: expected a value (required), got nothing`);
      for (const k of Object.keys(o)) {
        const p = `${at}/${escapePointer(k)}`;
        if (Object.hasOwn(props, k)) check(props[k], o[k], p);
        else if (s.additionalProperties === false) errors.push(`${p}: expected no such field, got ${show(o[k])}`);
        else if (s.additionalProperties && typeof s.additionalProperties === 'object') check(s.additionalProperties as Schema, o[k], p);
      }
    }
  };

  check(root, value, '');
  return errors.slice(0, limit);
}
