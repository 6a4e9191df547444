// Load-and-kill benchmark (issue 11, item 13): is every interaction the gateway answered in the ledger?
// The shipped CLI gateway (dist/cli.js) runs in a child process against a loopback fake Anthropic
// (test/helpers/fake-vendors.ts); CONCURRENCY clients stream messages through it back to back; at a random
// moment the child is SIGKILLed. The ledger is then opened and every answered interaction (its message id
// read from the stream the client received in full) is looked up. Those answered more than DURABLE_MS
// before the kill must all be there: that is the bound README's gateway section documents.
//   ROUNDS rounds, each in a fresh data directory; exit 1 when any answered interaction older than the
//   bound is missing.
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { openLedger } from '../../src/core/ledger';
import { startFakeAnthropic } from '../helpers/fake-vendors';
import { startGatewayChild } from '../helpers/gateway-child';

const CONCURRENCY = Number(process.env.KILL_BENCH_CONCURRENCY) || 64;
const ROUNDS = Number(process.env.KILL_BENCH_ROUNDS) || 3;
/** The documented bound: an answered interaction is durable within this long (README, gateway section). */
const DURABLE_MS = 2_000;

const body = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 256,
  stream: true,
  messages: [{ role: 'user', content: 'Count to ten.' }],
});
const headers = {
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(body)),
  'anthropic-version': '2023-06-01',
  'x-api-key': 'sk-ant-bench',
  'user-agent': 'claude-cli/2.0.14 (external, cli)',
};

/** One streamed message; resolves with its id once the whole stream (message_stop) arrived, else null. */
function stream(port: number, agent: http.Agent): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/messages', agent, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const id = /"id":"(msg_[^"]+)"/.exec(text)?.[1];
        resolve(res.statusCode === 200 && res.complete && id && text.includes('event: message_stop') ? id : null);
      });
      res.on('error', () => resolve(null));
      res.on('aborted', () => resolve(null));
    });
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

interface Round {
  answered: number;
  killAfterMs: number;
  missingOld: number;
  missingRecent: number;
  oldestMissingMs: number;
}

async function round(upstreamUrl: string): Promise<Round> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-kill-bench-'));
  const gw = await startGatewayChild(['--anthropic-upstream', upstreamUrl], dataDir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const answered = new Map<string, number>();
  let killed = false;
  const clients = Array.from({ length: CONCURRENCY }, async () => {
    while (!killed) {
      const id = await stream(gw.port, agent);
      if (id && !killed) answered.set(id, performance.now());
    }
  });
  const killAfterMs = 1_000 + Math.floor(Math.random() * 4_000);
  const started = performance.now();
  await new Promise((r) => setTimeout(r, killAfterMs));
  const exited = new Promise((r) => gw.proc.once('exit', r));
  gw.proc.kill('SIGKILL');
  const killAt = performance.now();
  killed = true;
  await exited;
  await Promise.all(clients);
  agent.destroy();

  const ledger = await openLedger({ dir: dataDir });
  let missingOld = 0;
  let missingRecent = 0;
  let oldestMissingMs = 0;
  for (const [id, at] of answered) {
    if (at > killAt || ledger.has(`anthropic:${id}`)) continue;
    const age = killAt - at;
    if (age > DURABLE_MS) missingOld++;
    else missingRecent++;
    oldestMissingMs = Math.max(oldestMissingMs, age);
  }
  await ledger.close();
  // On a miss, what the gateway said (errors, warnings) is the first thing to read.
  if (missingOld > 0)
    console.log(
      gw
        .stderr()
        .split('\n')
        .filter((l) => !/ in, \d+ out, /.test(l))
        .slice(-20)
        .join('\n'),
    );
  await rm(dataDir, { recursive: true, force: true });
  return { answered: answered.size, killAfterMs: Math.round(killAt - started), missingOld, missingRecent, oldestMissingMs };
}

async function main(): Promise<void> {
  const upstream = await startFakeAnthropic({ text: 'one two three four five six seven eight nine ten' });
  console.log(
    `gateway load-and-kill benchmark: ${CONCURRENCY} concurrent streams through the CLI gateway (child` +
      ` process), SIGKILL after 1-5 s, ${ROUNDS} rounds; bound ${DURABLE_MS} ms; Node ${process.version}, load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} on ${os.cpus().length} CPUs`,
  );
  console.log(
    'round'.padEnd(6),
    'killed at'.padStart(10),
    'answered'.padStart(9),
    `missing > ${DURABLE_MS} ms`.padStart(18),
    `missing <= ${DURABLE_MS} ms`.padStart(19),
    'oldest missing'.padStart(15),
  );
  let bad = 0;
  let total = 0;
  for (let i = 1; i <= ROUNDS; i++) {
    const r = await round(upstream.url);
    total += r.answered;
    bad += r.missingOld;
    console.log(
      String(i).padEnd(6),
      `${r.killAfterMs} ms`.padStart(10),
      String(r.answered).padStart(9),
      String(r.missingOld).padStart(18),
      String(r.missingRecent).padStart(19),
      `${r.oldestMissingMs.toFixed(0)} ms`.padStart(15),
    );
  }
  await upstream.close();
  console.log(
    bad === 0
      ? `target met: of ${total} answered interactions none older than ${DURABLE_MS} ms at the kill is missing from the ledger`
      : `target MISSED: ${bad} of ${total} answered interactions older than ${DURABLE_MS} ms at the kill are missing`,
  );
  if (bad > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
