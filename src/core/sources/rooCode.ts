/** Roo Code (VS Code extension `rooveterinaryinc.roo-cline`), a fork of Cline with the same task history format. */
import { vscodeTaskAdapter } from './vscodeTasks';

export const rooCode = vscodeTaskAdapter({ id: 'roo-code', label: 'Roo Code', settingsKey: 'rooCode', extensionId: 'rooveterinaryinc.roo-cline' });
