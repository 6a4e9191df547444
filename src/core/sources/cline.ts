/** Cline (VS Code extension `saoudrizwan.claude-dev`): task histories in globalStorage. Format in vscodeTasks.ts. */
import { vscodeTaskAdapter } from './vscodeTasks';

export const cline = vscodeTaskAdapter({ id: 'cline', label: 'Cline', settingsKey: 'cline', extensionId: 'saoudrizwan.claude-dev' });
