/**
 * The shape every settings normaliser returns (X/settings.ts in each folder, read by the extension and the CLI):
 * the value to use, and for each bad input a warning that says which setting, what was expected, what arrived
 * and what is used instead.
 */
export interface Normalised<T> {
  value: T;
  warnings: string[];
}

/** A true/false setting; anything else is false, with a warning. */
export function normaliseFlag(setting: string, v: unknown): Normalised<boolean> {
  if (v === undefined || v === null || typeof v === 'boolean') return { value: v === true, warnings: [] };
  return { value: false, warnings: [`${setting}: expected true or false, got ${JSON.stringify(v)?.slice(0, 100)}; using false`] };
}
