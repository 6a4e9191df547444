// Gateway benchmark: the latency the gateway adds over calling the same upstream directly, measured in
// one run against a loopback fake vendor (test/helpers/fake-vendors.ts), with the same HTTP client and
// keep-alive on both paths, requests interleaved (direct, gateway, direct, …) so drift hits both alike.
//  - 1,000 OpenAI chat completions (JSON): p50 / p99 of the whole exchange, direct vs through the gateway
//  - 1,000 streamed Anthropic messages (SSE): time to first byte and to the end of the stream
// Targets (issue 4): under 1 ms added at p50 and under 5 ms at p99.
import http from 'node:http';
import os from 'node:os';
import { createGateway } from '../../src/core/gateway';
import type { Interaction } from '../../src/core/interaction';
import { startFakeAnthropic, startFakeOpenAI } from '../helpers/fake-vendors';

const N = 1_000;
const WARMUP = 200;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface Timing {
  ttfb: number;
  total: number;
}

function call(port: number, path: string, body: string, headers: Record<string, string>): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttfb = -1;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        res.on('data', () => {
          if (ttfb < 0) ttfb = Number(process.hrtime.bigint() - t0) / 1e6;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
          resolve({ ttfb, total: Number(process.hrtime.bigint() - t0) / 1e6 });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (ms: number) => `${ms.toFixed(3)} ms`;

async function main(): Promise<void> {
  const openai = await startFakeOpenAI({ text: 'Sure, here is the change you asked for.' });
  const anthropic = await startFakeAnthropic({ text: 'one two three four five six seven eight nine ten' });
  let recorded = 0;
  const gw = createGateway({
    config: () => ({
      route: 'cloud',
      localModel: null,
      anthropicUpstream: anthropic.url,
      openaiUpstream: openai.url,
      ollamaHost: 'http://127.0.0.1:1',
    }),
    onInteraction: (_i: Interaction) => void recorded++,
  });
  const gwPort = await gw.listen(0);

  const chatBody = JSON.stringify({
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You are a coding agent.' },
      { role: 'user', content: 'Rename the variable x to count in src/app.ts.' },
    ],
  });
  const msgBody = JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    stream: true,
    messages: [{ role: 'user', content: 'Count to ten.' }],
  });
  const antHeaders = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-bench' };

  async function pairs(path: string, body: string, headers: Record<string, string>, upstreamPort: number) {
    const direct: Timing[] = [];
    const via: Timing[] = [];
    for (let i = 0; i < WARMUP; i++) {
      await call(upstreamPort, path, body, headers);
      await call(gwPort, path, body, headers);
    }
    for (let i = 0; i < N; i++) {
      // Alternate which goes first so neither path always follows the other.
      if (i % 2 === 0) {
        direct.push(await call(upstreamPort, path, body, headers));
        via.push(await call(gwPort, path, body, headers));
      } else {
        via.push(await call(gwPort, path, body, headers));
        direct.push(await call(upstreamPort, path, body, headers));
      }
    }
    return { direct, via };
  }

  const chat = await pairs('/v1/chat/completions', chatBody, { authorization: 'Bearer sk-bench' }, openai.port);
  const stream = await pairs('/v1/messages?beta=true', msgBody, antHeaders, anthropic.port);
  await gw.settled();

  const rows: Array<[string, number[], number[]]> = [
    ['chat completion (JSON), whole exchange', chat.direct.map((t) => t.total), chat.via.map((t) => t.total)],
    ['messages stream (SSE), time to first byte', stream.direct.map((t) => t.ttfb), stream.via.map((t) => t.ttfb)],
    ['messages stream (SSE), whole stream', stream.direct.map((t) => t.total), stream.via.map((t) => t.total)],
  ];
  // p99 on a shared 2-core machine is mostly scheduling: the load average says how busy it was.
  console.log(
    `gateway benchmark: ${N} requests per row after ${WARMUP} warm-up, loopback fake vendor, client, gateway` +
      ` and vendor in one process, Node ${process.version}, load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} on ${os.cpus().length} CPUs`,
  );
  console.log(
    'row'.padEnd(44),
    'direct p50'.padStart(12),
    'gateway p50'.padStart(12),
    'added p50'.padStart(11),
    'direct p99'.padStart(12),
    'gateway p99'.padStart(12),
    'added p99'.padStart(11),
    'ratio p50'.padStart(10),
  );
  const misses: string[] = [];
  for (const [name, d, v] of rows) {
    const addedP50 = pct(v, 50) - pct(d, 50);
    const addedP99 = pct(v, 99) - pct(d, 99);
    console.log(
      name.padEnd(44),
      f(pct(d, 50)).padStart(12),
      f(pct(v, 50)).padStart(12),
      f(addedP50).padStart(11),
      f(pct(d, 99)).padStart(12),
      f(pct(v, 99)).padStart(12),
      f(addedP99).padStart(11),
      `${(pct(v, 50) / pct(d, 50)).toFixed(2)}x`.padStart(10),
    );
    if (addedP50 >= 1) misses.push(`${name}: ${f(addedP50)} added at p50 (target < 1 ms)`);
    if (addedP99 >= 5) misses.push(`${name}: ${f(addedP99)} added at p99 (target < 5 ms)`);
  }
  console.log(`interactions recorded: ${recorded} (expected ${2 * (N + WARMUP)})`);
  console.log(misses.length ? `targets MISSED:\n  ${misses.join('\n  ')}` : 'targets met: < 1 ms added at p50, < 5 ms added at p99');

  agent.destroy();
  await gw.close();
  await Promise.all([openai.close(), anthropic.close()]);
  if (recorded !== 2 * (N + WARMUP)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
