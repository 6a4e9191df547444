/**
 * A real llama.cpp `llama-server` (built by test/real/llama-server.sh from the source node-llama-cpp 3.22.1
 * ships) serving a tiny random-weight GGUF (test/real/tiny-gguf.mjs), on a loopback port the OS picks, in
 * its own process group so that stopping it stops everything it started. Used by test/real and the
 * local-route benchmark.
 *
 * Flags and routes follow that source (ggml-org/llama.cpp de3ff815ea7d): common/arg.cpp (-m, --host,
 * --port, -c, -np, -t, --jinja, --alias, -s, --no-webui), tools/server/server-http.cpp (--port 0 binds any
 * free port; server.cpp then logs "listening on http://127.0.0.1:<port>"), tools/server/server.cpp
 * (GET /health answers 503 while the model loads, then {"status":"ok"}).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The environment variable that names the built binary (test/all.mjs sets it from llama-server.sh). */
export const LLAMA_SERVER_ENV = 'UNMETERED_LLAMA_SERVER';

/** The name llama-server gives its one model (--alias): what responses carry in `model`. */
export const TINY_MODEL = 'tiny-random';

const ROOT = path.join(__dirname, '..', '..');

/** The binary named by UNMETERED_LLAMA_SERVER; throws, saying how to get one, when it is unset or unusable. */
export function llamaServerBinary(): string {
  const bin = process.env[LLAMA_SERVER_ENV];
  const how =
    `Build it with \`bash test/real/llama-server.sh\` (about 4 minutes on 2 cores, cached outside the clone) and run ` +
    `\`${LLAMA_SERVER_ENV}=$(bash test/real/llama-server.sh) node test/run.mjs --real\`, or \`npm run test:all\`, which does both.`;
  if (!bin) throw new Error(`${LLAMA_SERVER_ENV} is not set: the real-inference suites need a built llama-server. ${how}`);
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`${LLAMA_SERVER_ENV}=${bin} is not an executable file. ${how}`);
  }
  return bin;
}

/** Writes the tiny random-weight GGUF (a fixed seed: the same weights, so the same tokens, every run). */
export function writeTinyGguf(file: string, seed = 1): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'test', 'real', 'tiny-gguf.mjs'), file, String(seed)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`tiny-gguf.mjs failed (${r.status ?? r.signal}): ${r.stderr}`);
}

export interface LlamaServer {
  url: string;
  port: number;
  proc: ChildProcess;
  /** The start of what it wrote to stderr (its log), for failure messages. */
  log(): string;
  /** SIGTERM to its process group, SIGKILL after 5 s; resolves once it exited. Safe to call twice. */
  stop(): Promise<void>;
}

export interface LlamaServerOptions {
  bin: string;
  model: string;
  ctx?: number;
  threads?: number;
  /** Bound on the whole start: listening and /health saying ok. */
  timeoutMs?: number;
}

const LOG_MAX = 256 * 1024;
const running = new Set<ChildProcess>();
// Should the test process end without its after() hooks (an uncaught error, process.exit), leave no server behind.
process.once('exit', () => {
  for (const p of running) killGroup(p, 'SIGKILL');
});

function killGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (p.pid) process.kill(-p.pid, signal);
  } catch {
    // already gone
  }
}

export async function startLlamaServer(o: LlamaServerOptions): Promise<LlamaServer> {
  const args = ['-m', o.model, '--alias', TINY_MODEL, '--host', '127.0.0.1', '--port', '0'];
  args.push('-c', String(o.ctx ?? 4096), '-np', '1', '-t', String(o.threads ?? 2), '--jinja', '--no-webui', '-s', '42');
  // The developer's own LLAMA_ARG_* settings must not change the server under test.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LLAMA_ARG_')));
  const proc = spawn(o.bin, args, { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  running.add(proc);
  let log = '';
  let exited = false;
  const exit = new Promise<void>((ok) =>
    proc.once('exit', () => {
      exited = true;
      running.delete(proc);
      ok();
    }),
  );
  const stop = async (): Promise<void> => {
    if (exited) return;
    killGroup(proc, 'SIGTERM');
    const t = setTimeout(() => killGroup(proc, 'SIGKILL'), 5_000);
    await exit;
    clearTimeout(t);
  };
  const port = new Promise<number>((resolve, reject) => {
    proc.stderr.on('data', (c: Buffer) => {
      if (log.length < LOG_MAX) log += c.toString('utf8');
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    });
    proc.once('error', reject);
    proc.once('exit', (code, signal) =>
      reject(new Error(`llama-server exited (${code ?? signal}) before it was ready:\n${log.slice(-4000)}`)),
    );
  });
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  try {
    const p = await withDeadline(port, deadline, () => `llama-server did not listen:\n${log.slice(-4000)}`);
    const url = `http://127.0.0.1:${p}`;
    await waitHealthy(
      url,
      deadline,
      () => log,
      () => exited,
    );
    return { url, port: p, proc, log: () => log, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number, why: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why())), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Polls GET /health (503 while the model loads) until it answers {"status":"ok"}, within the deadline. */
async function waitHealthy(url: string, deadline: number, log: () => string, exited: () => boolean): Promise<void> {
  let last = 'no answer';
  while (Date.now() < deadline && !exited()) {
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      const text = await r.text();
      if (r.status === 200 && (JSON.parse(text) as { status?: string }).status === 'ok') return;
      last = `${r.status} ${text.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`llama-server at ${url} was not healthy in time (last: ${last}):\n${log().slice(-4000)}`);
}
