/**
 * Checking a document against one of our report schemas (JSON Schema 2020-12) with Ajv, and saying
 * what is wrong the way every other refusal here does: "<JSON pointer>: expected …, got …".
 * Ajv stops at the first problem (`allErrors: false`): on a hostile file, collecting every error
 * costs memory in proportion to the file (Ajv's security notes advise against allErrors on
 * untrusted data), and one precise problem is what a person fixing a file acts on.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validators } from './validators';

export type Schema = { [k: string]: unknown };

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

const escapeKey = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** The value a JSON pointer (as Ajv gives `instancePath`) names; its depth is bounded by the schema's. */
function valueAt(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const listOf = (types: unknown) => (Array.isArray(types) ? types.map(String) : String(types).split(',')).join(' or ');

/** What was expected, in our words, for one Ajv error; `got` is the value at its path. */
function expected(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return listOf(p.type);
    case 'const':
      return show(p.allowedValue);
    case 'enum':
      return `one of ${(p.allowedValues as unknown[]).map(show).join(', ')}`;
    case 'pattern':
      return `a string matching ${String(p.pattern)}`;
    case 'minLength':
      return `at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `at most ${String(p.limit)} characters`;
    case 'minimum':
      return `a number ≥ ${String(p.limit)}`;
    case 'maximum':
      return `a number ≤ ${String(p.limit)}`;
    case 'minItems':
      return `at least ${String(p.limit)} items`;
    case 'maxItems':
      return `at most ${String(p.limit)} items`;
    default:
      // A keyword our schemas do not use yet: Ajv's own words, still with the path and the value.
      return `${e.keyword} ${JSON.stringify(p)}`;
  }
}

/** One Ajv error as "<JSON pointer>: expected …, got …". */
export function describeError(e: ErrorObject, doc: unknown): string {
  const at = e.instancePath;
  if (e.keyword === 'required') {
    const key = String((e.params as { missingProperty: string }).missingProperty);
    return `${at}/${escapeKey(key)}: expected a value (required), got nothing`;
  }
  if (e.keyword === 'additionalProperties') {
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    const path = `${at}/${escapeKey(key)}`;
    return `${path}: expected no such field, got ${show(valueAt(doc, path))}`;
  }
  return `${at || '/'}: expected ${expected(e)}, got ${show(valueAt(doc, at))}`;
}

/**
 * The first problem of a value against the report schema with this `$id`, as "<JSON pointer>:
 * expected …, got …"; an empty list means valid. An id this build did not compile throws: it
 * would check nothing.
 */
export function validateById(id: string, value: unknown): string[] {
  const check: ValidateFunction | undefined = validators()[id];
  if (!check) throw new Error(`schema ${id} is not one of the compiled report schemas`);
  if (check(value)) return [];
  return (check.errors ?? []).slice(0, 1).map((e) => describeError(e, value));
}

/** `validateById` for a schema document (its `$id`). */
export const validate = (root: Schema, value: unknown): string[] => validateById(String(root.$id), value);
