/**
 * The status bar menu's local models, as core/local/menu.ts decides them: this file adds the icons and
 * what a click does (use the model, or show why a row is not a choice).
 */
import * as vscode from 'vscode';
import type { GatewaySettings } from '../core/gateway/settings';
import { localMenuRows } from '../core/local/menu';
import type { LocalKind } from '../core/local/backend';
import type { MenuItem } from './services';

const ICONS = { notOffered: '$(circle-slash) ', notListed: '$(warning) ', cannotPull: '$(info) ', noServer: '$(warning) ' } as const;

export async function localMenuItems(
  settings: GatewaySettings,
  useLocal: (model: string, kind: LocalKind) => Promise<void>,
): Promise<MenuItem[]> {
  return (await localMenuRows(settings)).map((row): MenuItem => {
    if (row.kind === 'use')
      return {
        label: `${row.current ? '$(check) ' : ''}$(vm) ${row.label}`,
        description: row.description,
        run: () => useLocal(row.model, row.server),
      };
    const info = row.kind === 'notOffered' || row.kind === 'cannotPull';
    return {
      label: `${ICONS[row.kind]}${row.label}`,
      description: row.description,
      // A quick pick cuts a long detail mid-sentence: a short line here, the whole message on click.
      ...(row.kind === 'noServer' ? { detail: row.detail } : {}),
      run: () => (info ? vscode.window.showInformationMessage(row.message) : vscode.window.showErrorMessage(row.message)),
    };
  });
}
