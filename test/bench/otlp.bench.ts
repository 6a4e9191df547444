// Telemetry receiver benchmark, on loopback, into a real ledger in a temp dir:
//  - events per second received AND recorded: 20,000 Copilot Chat inference events emitted through the official SDK
//    (BatchLogRecordProcessor, 512 a batch, exporter-logs-otlp-proto) until every one is in the ledger;
//  - the latency added for the sender: one export of 1 and of 100 events (bytes captured from the SDK exporter),
//    500 exports each (fresh ids every time, so each is stored), to a bare loopback server that answers 200 at once vs to the receiver, interleaved.
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { openLedger } from '../../src/core/ledger';
import { createGateway } from '../../src/core/gateway';
import { loadPriceTable } from '../../src/core/pricing';
import { Recorder } from '../../src/core/record/recorder';
import { createOtlpReceiver, telemetryJoin } from '../../src/core/otlp';

const EVENTS = 20_000;
const ROUNDS = 500;

const event = (n: number) => ({
  'event.name': 'gen_ai.client.inference.operation.details',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.response.id': `chatcmpl-${n}`,
  'gen_ai.usage.input_tokens': 3000 + (n % 100),
  'gen_ai.usage.output_tokens': 120,
});

async function capture(count: number, offset: number): Promise<Buffer> {
  let body: Buffer | null = null;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      body = Buffer.concat(parts);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'copilot-chat' }),
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs` }),
        maxExportBatchSize: count,
      }),
    ],
  });
  for (let i = 0; i < count; i++) provider.getLogger('copilot').emit({ attributes: event(offset + i) });
  await provider.forceFlush();
  await provider.shutdown();
  server.close();
  if (!body) throw new Error('nothing captured');
  return body;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/logs',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (x: number) => `${x.toFixed(3)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-otlp-bench-'));
  const ledger = await openLedger({ dir });
  const prices = loadPriceTable();
  const recorder = new Recorder({ ledger, prices: () => prices });
  const join = telemetryJoin({
    stored: () => ledger.records(),
    record: async (b) => void (await Promise.all(b.map((i) => recorder.record(i)))),
  });
  const receiver = createOtlpReceiver({ onInteractions: (items) => join.offer(items) });
  const gw = createGateway({
    config: () => ({
      route: 'cloud',
      localModel: null,
      anthropicUpstream: 'http://127.0.0.1:1',
      openaiUpstream: 'http://127.0.0.1:1',
      ollamaHost: 'http://127.0.0.1:1',
    }),
    onInteraction: () => {},
    otlp: receiver,
  });
  const port = await gw.listen(0);

  // 1. Throughput, sender included.
  const t0 = process.hrtime.bigint();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'copilot-chat' }),
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs` }),
        maxExportBatchSize: 512,
        maxQueueSize: EVENTS,
        scheduledDelayMillis: 10,
      }),
    ],
  });
  const logger = provider.getLogger('copilot');
  for (let i = 0; i < EVENTS; i++) logger.emit({ attributes: event(i) });
  await provider.forceFlush();
  await provider.shutdown();
  await recorder.flush();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const stored = ledger.records().length;
  if (stored !== EVENTS) throw new Error(`expected ${EVENTS} records, the ledger has ${stored}`);
  console.log(
    `received and recorded: ${EVENTS} events in ${secs.toFixed(2)} s = ${Math.round(EVENTS / secs).toLocaleString('en-US')} events/s (SDK` +
      ` sender, fsynced ledger)`,
  );

  // 2. Latency the receiver adds for the sender, vs a bare server that answers 200 at once.
  const bare = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end());
  });
  bare.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const barePort = (bare.address() as { port: number }).port;
  for (const size of [1, 100]) {
    // Fresh response ids in every export, so each is decoded, mapped and fsynced into the ledger as new.
    const bodies: Buffer[] = [];
    for (let i = 0; i < ROUNDS; i++) bodies.push(await capture(size, 1_000_000 * size + i * size));
    const direct: number[] = [];
    const via: number[] = [];
    for (const body of bodies) {
      direct.push(await post(barePort, body));
      via.push(await post(port, body));
    }
    const body = bodies[0];
    console.log(
      `export of ${size} event${size === 1 ? '' : 's'} (${body.length} B): bare p50 ${ms(pct(direct, 50))} p99 ${ms(pct(direct, 99))}; ` +
        `receiver p50 ${ms(pct(via, 50))} p99 ${ms(pct(via, 99))}; added p50 ${ms(pct(via, 50) - pct(direct, 50))} p99 ${ms(pct(via, 99) - pct(direct, 99))}`,
    );
  }
  console.log(`(${os.cpus().length} CPUs, Node ${process.version})`);
  bare.close();
  join.dispose();
  await gw.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
