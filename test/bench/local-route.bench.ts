// Local-route benchmark: what the gateway adds in front of a REAL local inference server, llama.cpp's
// llama-server (built by test/real/llama-server.sh, serving test/real/tiny-gguf.mjs's tiny random-weight model
// with 2 threads). Requests alternate direct → server and through the gateway (which goes first alternates too),
// with one keep-alive connection per path, so the server's state (its prompt cache, the machine's load) hits
// both alike. Rows:
//  - OpenAI chat completion (JSON, 8 tokens out): the whole exchange
//  - Anthropic messages stream (SSE, 8 tokens out): time to first byte of the body, and to the end of the stream
// Figures: best and median of N each; added = gateway − direct; ratio = gateway / direct at the median.
// The binary comes from UNMETERED_LLAMA_SERVER, else from test/real/llama-server.sh (cached build, else built).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createGateway } from '../../src/core/gateway';
import { LLAMA_SERVER_ENV, llamaServerBinary, startLlamaServer, TINY_MODEL, writeTinyGguf } from '../helpers/llama-server';

const N = 15;
const WARMUP = 3;

interface Timing {
  ttfb: number;
  total: number;
}

function binary(): string {
  if (process.env[LLAMA_SERVER_ENV]) return llamaServerBinary();
  const r = spawnSync('bash', [path.join(__dirname, '..', 'real', 'llama-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`test/real/llama-server.sh failed (${r.status ?? r.signal})`);
  process.env[LLAMA_SERVER_ENV] = r.stdout.trim().split('\n').at(-1);
  return llamaServerBinary();
}

/** Requests sent again because llama-server had closed the kept-alive connection they were sent on. */
let resent = 0;

/**
 * One request, timed. llama-server closes a kept-alive connection after a streamed answer, so the next request
 * on it can meet a reset: sent once more on a fresh connection, as Node's documentation advises and as the
 * gateway does (src/core/gateway/proxy.ts), so both paths pay for it alike.
 */
async function call(agent: http.Agent, port: number, p: string, body: string, headers: Record<string, string>): Promise<Timing> {
  try {
    return await once(agent, port, p, body, headers);
  } catch (err) {
    if (!(err instanceof Reused)) throw err;
    resent++;
    return once(agent, port, p, body, headers);
  }
}

class Reused extends Error {}

function once(agent: http.Agent, port: number, p: string, body: string, headers: Record<string, string>): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttfb = -1;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: p,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        res.on('data', () => {
          if (ttfb < 0) ttfb = Number(process.hrtime.bigint() - t0) / 1e6;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${p} on port ${port}: status ${res.statusCode}`));
          resolve({ ttfb, total: Number(process.hrtime.bigint() - t0) / 1e6 });
        });
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error(`${p} on port ${port}: no answer in 60 s`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        req.reusedSocket && err.code === 'ECONNRESET'
          ? new Reused(err.message)
          : new Error(`${p} on port ${port}: ${err.message}`, { cause: err }),
      ),
    );
    req.end(body);
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const best = (xs: number[]) => Math.min(...xs);
const f = (ms: number) => `${ms.toFixed(2)} ms`;

/** Best and median per path, what the gateway added, and the ratio at the median. */
function table(rows: Array<[string, number[], number[]]>): void {
  console.log(
    'row'.padEnd(42),
    'direct best'.padStart(12),
    'gateway best'.padStart(13),
    'added best'.padStart(11),
    'direct med'.padStart(11),
    'gateway med'.padStart(12),
    'added med'.padStart(10),
    'ratio med'.padStart(10),
  );
  for (const [name, d, v] of rows) {
    console.log(
      name.padEnd(42),
      f(best(d)).padStart(12),
      f(best(v)).padStart(13),
      f(best(v) - best(d)).padStart(11),
      f(median(d)).padStart(11),
      f(median(v)).padStart(12),
      f(median(v) - median(d)).padStart(10),
      `${(median(v) / median(d)).toFixed(3)}x`.padStart(10),
    );
  }
}

async function main(): Promise<void> {
  const bin = binary();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-bench-local-'));
  const model = path.join(dir, 'tiny.gguf');
  writeTinyGguf(model, 7);
  const llama = await startLlamaServer({ bin, model, ctx: 4096, threads: 2 });
  let recorded = 0;
  const gw = createGateway({
    config: () => ({
      route: 'local',
      localModel: TINY_MODEL,
      localServer: { kind: 'llamacpp', host: llama.url },
      anthropicUpstream: 'http://127.0.0.1:9',
      openaiUpstream: 'http://127.0.0.1:9',
      ollamaHost: 'http://127.0.0.1:9',
    }),
    onInteraction: () => void recorded++,
  });
  const agents = { direct: new http.Agent({ keepAlive: true, maxSockets: 1 }), via: new http.Agent({ keepAlive: true, maxSockets: 1 }) };
  try {
    const gwPort = await gw.listen(0);
    const prompt = [{ role: 'user', content: 'hello world, read the file.' }];
    const chatBody = JSON.stringify({ model: 'gpt-4o', max_tokens: 8, temperature: 0, seed: 1, messages: prompt });
    const msgBody = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, temperature: 0, stream: true, messages: prompt });
    const antHeaders = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-bench' };

    // The direct body names the server's model, as the gateway's mapped one does: both ask the same of it.
    const direct = (body: string) => JSON.stringify({ ...JSON.parse(body), model: TINY_MODEL });
    async function pairs(p: string, body: string, headers: Record<string, string>) {
      const d: Timing[] = [];
      const v: Timing[] = [];
      const one = async (which: 'direct' | 'via') =>
        which === 'direct'
          ? d.push(await call(agents.direct, llama.port, p, direct(body), headers))
          : v.push(await call(agents.via, gwPort, p, body, headers));
      for (let i = 0; i < WARMUP + N; i++) {
        const order: Array<'direct' | 'via'> = i % 2 === 0 ? ['direct', 'via'] : ['via', 'direct'];
        for (const w of order) await one(w);
      }
      return { direct: d.slice(WARMUP), via: v.slice(WARMUP) };
    }
    const chat = await pairs('/v1/chat/completions', chatBody, { authorization: 'Bearer sk-bench' });
    const stream = await pairs('/v1/messages', msgBody, antHeaders);
    await gw.settled();

    console.log(
      `local-route benchmark: llama-server (${path.basename(path.dirname(path.dirname(bin)))}, -t 2, tiny random-weight model, 8 tokens out), ` +
        `${N} requests per path per row after ${WARMUP} warm-up, alternating; Node ${process.version}, load average ${os
          .loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')} on ${os.cpus().length} CPUs`,
    );
    table([
      ['chat completion (JSON), whole exchange', chat.direct.map((t) => t.total), chat.via.map((t) => t.total)],
      ['messages stream (SSE), time to first byte', stream.direct.map((t) => t.ttfb), stream.via.map((t) => t.ttfb)],
      ['messages stream (SSE), whole stream', stream.direct.map((t) => t.total), stream.via.map((t) => t.total)],
    ]);
    const expected = 2 * (N + WARMUP);
    console.log(
      `interactions recorded through the gateway: ${recorded} (expected ${expected}); direct requests sent again after a reset: ${resent}`,
    );
    if (recorded !== expected) process.exitCode = 1;
  } finally {
    agents.direct.destroy();
    agents.via.destroy();
    await gw.close();
    await llama.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
