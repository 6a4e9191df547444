/**
 * One gateway per port across editor windows and CLI runs. Each instance tries to listen; if the port is
 * taken by another Unmetered gateway (its health endpoint says so) this instance follows — agents already
 * reach that one — and retries periodically, so when the owner goes away one follower takes the port over.
 * A port held by some other program is reported, and retried as well.
 *
 * "Another Unmetered gateway" means one that proves it: the health probe sends a fresh nonce and the
 * owner must answer its HMAC under the data directory's secret (secret.ts). A process that merely copies
 * the health JSON is treated as some other program, and no agent is pointed at it.
 */
import http from 'node:http';
import type { Logger } from '../ports';
import { silentLogger } from '../ports';
import { HEALTH_PATH, type Gateway, type HealthInfo } from './server';
import { newNonce, proofMatches } from './secret';
import { errorMessage } from '../errors';

export type HostState =
  | { role: 'starting'; port: number }
  | { role: 'owner'; port: number }
  | { role: 'follower'; port: number; owner: HealthInfo }
  | { role: 'blocked'; port: number; error: string }
  | { role: 'stopped'; port: number };

export interface HostOptions {
  gateway: Gateway;
  port: number;
  /** The data directory's gateway secret (loadGatewaySecret): an owner must prove it holds the same one. */
  secret: Buffer;
  /** How often a follower or a blocked instance tries the port again. */
  retryMs?: number;
  logger?: Logger;
  onChange?: (s: HostState) => void;
}

export interface GatewayHost {
  state(): HostState;
  /** Resolves once the first attempt has settled into owner, follower or blocked. */
  ready: Promise<HostState>;
  stop(): Promise<void>;
}

/** A health answer is a few hundred bytes: anything much longer is not ours, and is not read further. */
const MAX_HEALTH_BYTES = 64 * 1024;

/**
 * Asks whatever listens on the port whether it is an Unmetered gateway holding `secret`. Null for anything
 * else: no answer within `timeoutMs` (in total, not per byte), not JSON, or a wrong or missing proof.
 */
export function probeHealth(port: number, secret: Buffer, timeoutMs = 1_000): Promise<HealthInfo | null> {
  const nonce = newNonce();
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: HealthInfo | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    const req = http.get(
      { host: '127.0.0.1', port, path: `${HEALTH_PATH}?nonce=${nonce}`, headers: { host: `127.0.0.1:${port}` }, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_HEALTH_BYTES) return done(null);
          parts.push(c);
        });
        res.on('end', () => {
          try {
            const v = JSON.parse(Buffer.concat(parts).toString('utf8')) as { service?: unknown; proof?: unknown } | null;
            const ok = res.statusCode === 200 && v?.service === 'unmetered-gateway' && proofMatches(secret, nonce, v.proof);
            done(ok ? (v as HealthInfo) : null);
          } catch {
            done(null);
          }
        });
        res.on('error', () => done(null));
      },
    );
    req.on('error', () => done(null));
  });
}

export function hostGateway(opts: HostOptions): GatewayHost {
  const logger = opts.logger ?? silentLogger;
  const retryMs = opts.retryMs ?? 2_000;
  let state: HostState = { role: 'starting', port: opts.port };
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let resolveReady!: (s: HostState) => void;
  const ready = new Promise<HostState>((r) => (resolveReady = r));

  const set = (s: HostState) => {
    const changed = JSON.stringify(s) !== JSON.stringify(state);
    state = s;
    if (s.role !== 'starting') resolveReady(s);
    if (changed) opts.onChange?.(s);
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void attempt(), retryMs);
    timer.unref();
  };

  async function attempt(): Promise<void> {
    timer = null;
    if (stopped) return;
    try {
      await opts.gateway.listen(opts.port);
      if (stopped) return void (await opts.gateway.close());
      if (state.role !== 'owner') logger.info(`gateway: listening on http://127.0.0.1:${opts.port}`);
      set({ role: 'owner', port: opts.port });
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE') {
        set({
          role: 'blocked',
          port: opts.port,
          error: `The gateway could not listen on 127.0.0.1:${opts.port}: ${errorMessage(err)}`,
        });
        return schedule();
      }
    }
    const owner = await probeHealth(opts.port, opts.secret);
    if (stopped) return;
    if (owner) set({ role: 'follower', port: opts.port, owner });
    else
      set({
        role: 'blocked',
        port: opts.port,
        error:
          `Port ${opts.port} is used by another program, not an Unmetered gateway of this user and data` +
          ` directory (it could not prove it holds the gateway secret), so no agent is sent there. Choose another port in unmetered.gateway.port (or --port).`,
      });
    schedule();
  }

  void attempt();
  return {
    state: () => state,
    ready,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const wasOwner = state.role === 'owner';
      set({ role: 'stopped', port: opts.port });
      if (wasOwner) await opts.gateway.close();
    },
  };
}
