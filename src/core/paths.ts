import path from 'node:path';

/**
 * The data directory shared by the extension and the CLI: UNMETERED_HOME when set, else the
 * platform's user data directory. Pure: the caller passes env, platform and home.
 */
export function dataDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string {
  if (env.UNMETERED_HOME) return path.resolve(env.UNMETERED_HOME);
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'Unmetered');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Unmetered');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'unmetered');
}
