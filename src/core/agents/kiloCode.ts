/**
 * Kilo Code (VS Code extension `kilocode.kilo-code`, publisher `kilocode`, name `kilo-code` in
 * Kilo-Org/kilocode src/package.json), a fork of Roo Code that keeps Roo's task files and
 * `kilo-code.customStoragePath` setting. Format in vscodeTasks.ts.
 */
import { vscodeTaskAdapter } from './vscodeTasks';

export const kiloCode = vscodeTaskAdapter({
  id: 'kilo-code',
  label: 'Kilo Code',
  settingsKey: 'kiloCode',
  extensionId: 'kilocode.kilo-code',
  flavour: 'roo',
  siblingHistory: true,
});
