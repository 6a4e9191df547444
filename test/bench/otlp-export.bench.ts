// OTLP export benchmark (issue 15): a year of history (500,000 interactions over 12 monthly segments,
// 1 in 20 seen twice, first partially) exported from a fresh cursor to a loopback sink in another
// process (it reads each request and answers 200, as a collector's receiver does before its pipeline),
// through the OpenTelemetry SDK's protobuf exporters, with the default batch size.
// Prints the time, events per second, bytes sent, CPU time and this process's peak memory (max RSS).
// BENCH_N=100000 for a shorter run.
// Target: under a minute on the 2-core CI machine.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeLine, HEADER_LINE, segmentOf } from '../../src/core/ledger/fileFormat';
import { tokens, type Interaction } from '../../src/core/interaction';
import { systemClock, stderrLogger } from '../../src/core/ports';
import { normaliseTelemetry } from '../../src/core/otlp/export/config';
import { openExportSession } from '../../src/core/otlp/export/session';

const N = Number(process.env.BENCH_N ?? 500_000);
const START = Date.parse('2025-12-01T00:00:00.000Z');
const STEP = Math.floor((365 * 86_400_000) / N);
const MODELS: [string, string][] = [
  ['claude-sonnet-4-5-20250929', 'claude-code'],
  ['claude-opus-4-1-20250805', 'claude-code'],
  ['gpt-5-codex', 'codex'],
  ['gemini-2.5-pro', 'gemini-cli'],
  ['qwen2.5-coder:7b', 'gateway'],
];

function writeLedger(dir: string): number {
  const segments = new Map<string, string[]>();
  let lines = 0;
  for (let i = 0; i < N; i++) {
    const [model, agent] = MODELS[i % MODELS.length];
    const at = new Date(START + i * STEP).toISOString();
    const local = model.startsWith('qwen');
    const r: Interaction = {
      id: `anthropic:msg_${i.toString(36).padStart(8, '0')}`,
      at,
      agent,
      source: 'log',
      project: `project-${i % 17}`,
      model,
      route: local ? 'local' : 'cloud',
      replaces: local ? 'claude-sonnet-4-5-20250929' : null,
      tokens: tokens({
        input: 200 + (i % 5000),
        output: 50 + (i % 900),
        cacheRead: (i * 37) % 60_000,
        cacheWrite5m: i % 1500,
        reasoning: i % 40,
      }),
      costNanos: local ? 0 : 1_000 + i * 13,
      avoidedNanos: local ? 2_000 + i : null,
      priceSource: 'litellm@bench',
      estimated: false,
    };
    const seg = segmentOf(at);
    let list = segments.get(seg);
    if (!list) segments.set(seg, (list = [HEADER_LINE]));
    if (i % 20 === 0) {
      list.push(encodeLine({ ...r, tokens: { ...r.tokens, output: 1 } }));
      lines++;
    }
    list.push(encodeLine(r));
    lines++;
  }
  mkdirSync(path.join(dir, 'ledger'), { recursive: true });
  for (const [seg, list] of segments) writeFileSync(path.join(dir, 'ledger', `${seg}.jsonl`), list.join(''));
  return lines;
}

/** The sink, in its own process: reads each body, counts requests and bytes, answers 200. */
function startSink(): Promise<{ url: string; stats(): Promise<{ requests: number; bytes: number }>; stop(): void }> {
  const code = `
    const http = require('node:http');
    let requests = 0, bytes = 0;
    const s = http.createServer((req, res) => {
      if (req.url === '/stats') return res.end(JSON.stringify({ requests, bytes }));
      req.on('data', (c) => (bytes += c.length));
      req.on('end', () => { requests++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); });
    });
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    child.stdout.once('data', (b: Buffer) => {
      const url = `http://127.0.0.1:${b.toString().trim()}`;
      resolve({
        url,
        stats: async () => (await (await fetch(`${url}/stats`)).json()) as { requests: number; bytes: number },
        stop: () => child.kill(),
      });
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-bench-otlp-export-'));
  try {
    const t0 = Date.now();
    const lines = writeLedger(dir);
    console.log(
      `ledger: ${N.toLocaleString('en-US')} interactions, ${lines.toLocaleString('en-US')} lines, written in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const sink = await startSink();
    const { value: config } = normaliseTelemetry({ enabled: true, endpoint: sink.url, hashKey: 'bench' }, {});
    const session = await openExportSession({
      config,
      dataDir: dir,
      clock: systemClock,
      logger: stderrLogger,
      version: 'bench',
      priceTable: 'litellm@bench',
      copilotBilledPerToken: false,
    });
    const started = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const r = await session.pass();
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    await session.close();
    const stats = await sink.stats();
    sink.stop();
    if (r.error) throw new Error(r.error);
    const peakMB = process.resourceUsage().maxRSS / 1024;
    console.log(
      `export: ${r.sent.toLocaleString('en-US')} events (every line: each copy is more complete than the one` +
        ` before) in ${r.batches} batches of ${config.batchSize}`,
    );
    console.log(
      `  ${secs.toFixed(1)} s, ${Math.round(r.sent / secs).toLocaleString('en-US')} events/s, ${(stats.bytes / 1e6).toFixed(0)}` +
        ` MB in ${stats.requests} requests`,
    );
    console.log(`  peak memory (max RSS) ${peakMB.toFixed(0)} MB`);
    // On a machine shared with other work the wall clock stretches; the CPU time is what the export itself took.
    console.log(
      `  CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (user ${(cpu.user / 1e6).toFixed(1)}, system ${(cpu.system / 1e6).toFixed(1)})` +
        `; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log(`  target: under 60 s — ${secs < 60 ? 'met' : 'NOT MET'}`);
    if (r.sent !== lines) throw new Error(`sent ${r.sent} events, expected one per line (${lines})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
