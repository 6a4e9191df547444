/**
 * What a log could not tell, said as such to people. Readers store a model a log does not name as
 * `unknown` (left unpriced, never $0) and a project it does not name as null; reports and the
 * tooltip say "not recorded" instead of showing a placeholder that reads like a name.
 */
const MODEL_NOT_RECORDED = 'unknown';

/** A model name as shown to people. */
export function modelLabel(model: string): string {
  return model === MODEL_NOT_RECORDED ? 'model not recorded' : model;
}

/** A project name as shown to people. */
export function projectLabel(project: string | null): string {
  return project ?? '(project not recorded)';
}

/** The note that explains interactions whose log names no model, or null when there are none. */
export function modelNotRecordedNote(unpriced: readonly { model: string; interactions: number }[]): string | null {
  const n = unpriced.find((u) => u.model === MODEL_NOT_RECORDED)?.interactions ?? 0;
  if (!n) return null;
  return `${n} interaction${n === 1 ? '' : 's'} with the model not recorded in the agent's log: not priced, not included in the cost.`;
}

/** The unpriced models a price could fix (the ones the log named). */
export function namedUnpriced<T extends { model: string }>(unpriced: readonly T[]): T[] {
  return unpriced.filter((u) => u.model !== MODEL_NOT_RECORDED);
}

/** Why a report has a "(project not recorded)" row. */
export const PROJECT_NOTE = "(project not recorded): the agents' logs do not say which project these interactions belong to.";
