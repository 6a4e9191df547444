/** Roo Code (VS Code extension `rooveterinaryinc.roo-cline`), a fork of Cline. Format in vscodeTasks.ts. */
import { vscodeTaskAdapter } from './vscodeTasks';

export const rooCode = vscodeTaskAdapter({
  id: 'roo-code',
  label: 'Roo Code',
  settingsKey: 'rooCode',
  extensionId: 'rooveterinaryinc.roo-cline',
  flavour: 'roo',
  siblingHistory: true,
});
