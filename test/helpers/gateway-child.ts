/**
 * The shipped CLI gateway (dist/cli.js, built by test/run.mjs and `npm run bench`) in its own process, so
 * that a test can tell whether the process survived, and a benchmark can SIGKILL it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface GatewayChild {
  proc: ChildProcess;
  port: number;
  url: string;
  /** Everything the process wrote to stderr so far (the start of it, up to 4 MB). */
  stderr(): string;
  /** True while the process has not exited. */
  alive(): boolean;
  /** SIGTERM and wait for the exit (bounded); SIGKILL if it does not go. */
  stop(): Promise<number | null>;
}

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

export function startGatewayChild(args: string[], dataDir: string, timeoutMs = 15_000): Promise<GatewayChild> {
  const proc = spawn(process.execPath, [CLI, 'gateway', '--port', '0', ...args], {
    env: { ...process.env, UNMETERED_HOME: dataDir, NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  let exited = false;
  let started = false;
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => ((exited = true), r(code))));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the gateway did not start within ${timeoutMs} ms: ${text}`));
    }, timeoutMs);
    // Always read stderr: a full pipe would block the child's (synchronous) writes.
    proc.stderr!.on('data', (c: Buffer) => {
      if (text.length < 4 << 20) text += c.toString('utf8');
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({
          proc,
          port,
          url: `http://127.0.0.1:${port}`,
          stderr: () => text,
          alive: () => !exited,
          stop: async () => {
            if (exited) return proc.exitCode;
            proc.kill('SIGTERM');
            const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
            const code = await exit;
            clearTimeout(t);
            return code;
          },
        });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}) before listening: ${text}`));
    });
  });
}
