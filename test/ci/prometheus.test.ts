/**
 * A real Prometheus (Debian's `prometheus` package, 2.42 on Debian 12) reads Unmetered's metrics, and
 * PromQL over its HTTP API returns the same totals as `unmetered report --json` for the same days.
 *
 * The path: Prometheus 2.42 has no OTLP receiver (`--enable-feature=otlp-write-receiver` came in 2.47;
 * `prometheus --help` here lists no such feature), so Prometheus scrapes `unmetered telemetry --prometheus`
 * (the shipped CLI) at http://127.0.0.1:PORT/metrics every second. Both run on loopback, with a temp data dir.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { builtFile } from '../helpers/dist';
import { appendAll, rec } from '../otlp-export/fixtures';
import type { Interaction } from '../../src/core/interaction';

const TZ = 'Europe/Berlin';
const run = promisify(execFile);

/** Three local days in Berlin, a local-route interaction with avoided spend, an unpriced one; one id seen twice. */
function ledger(): Interaction[] {
  const out: Interaction[] = [];
  for (let i = 0; i < 60; i++) {
    // 23:30 UTC on the 24th is 00:30 on the 25th in Berlin: the days follow the zone, as the report's do.
    const at = new Date(Date.parse('2026-11-24T23:30:00Z') + i * 3_600_000).toISOString();
    const model = i % 3 === 0 ? 'gpt-5-codex' : 'claude-sonnet-4-5-20250929';
    out.push(
      rec(`anthropic:msg_${i}`, {
        at,
        model,
        agent: i % 2 ? 'codex' : 'claude-code',
        t: { input: 1000 + i, output: 50 + i, cacheRead: 7 * i, cacheWrite5m: i % 5, reasoning: i % 4 },
        costNanos: 123_457 * (i + 1),
      }),
    );
  }
  out.push(
    rec('gateway:local-1', {
      at: '2026-11-25T10:00:00Z',
      route: 'local',
      model: 'qwen2.5-coder:7b',
      replaces: 'claude-sonnet-4-5-20250929',
      costNanos: 0,
      avoidedNanos: 987_654_321,
    }),
  );
  out.push(rec('cline:unpriced', { at: '2026-11-26T10:00:00Z', model: 'mystery-9', costNanos: null, priceSource: null }));
  out.push(
    rec('anthropic:msg_5', { at: new Date(Date.parse('2026-11-24T23:30:00Z') + 5 * 3_600_000).toISOString(), t: { input: 1, output: 1 } }),
  );
  return out;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until<T>(what: string, ms: number, f: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

function stop(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

describe('a real Prometheus scrapes Unmetered; PromQL totals equal `unmetered report --json`', { timeout: 120_000 }, () => {
  let dir = '';
  let unmetered: ChildProcess | null = null;
  let prometheus: ChildProcess | null = null;
  let api = '';
  const env = () => ({ ...process.env, UNMETERED_HOME: path.join(dir, 'home'), HOME: path.join(dir, 'home'), UNMETERED_TZ: TZ });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-prometheus-'));
    await appendAll(path.join(dir, 'home'), ledger());
    unmetered = spawn(process.execPath, [builtFile('cli.js'), 'telemetry', '--prometheus', '0', '--no-otlp', '--no-scan'], {
      env: env(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    unmetered.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const target = await until(
      'the scrape endpoint',
      20_000,
      async () => /Prometheus metrics at http:\/\/(127\.0\.0\.1:\d+)\/metrics/.exec(err)?.[1] ?? null,
    );
    const port = await freePort();
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: unmetered',
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    api = `http://127.0.0.1:${port}`;
    await until('the first scrape', 60_000, async () => ((await query('count(unmetered_cost_usd_total)')).length > 0 ? true : null));
  });
  after(async () => {
    await stop(prometheus);
    await stop(unmetered);
    await rm(dir, { recursive: true, force: true });
  });

  async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(body.status, 'success', q);
    return body.data.result;
  }
  const scalar = async (q: string) => Number((await query(q))[0]?.value[1] ?? NaN);

  async function report(since: string, until: string) {
    const { stdout } = await run(
      process.execPath,
      [builtFile('cli.js'), 'report', '--json', '--no-scan', '--since', since, '--until', until],
      { env: env() },
    );
    return JSON.parse(stdout) as {
      totals: Record<string, number | null>;
      days: ({ date: string } & Record<string, number | null>)[];
    };
  }

  test('the same days: spend, avoided spend, tokens by type and interactions', async () => {
    const r = await report('2026-11-25', '2026-11-26');
    const days = 'day=~"2026-11-2[56]"';
    assert.ok(Math.abs((await scalar(`sum(unmetered_cost_usd_total{${days}})`)) - r.totals.costUSD!) < 1e-9);
    assert.ok(Math.abs((await scalar(`sum(unmetered_cost_avoided_usd_total{${days}})`)) - r.totals.avoidedUSD!) < 1e-9);
    assert.equal(await scalar(`sum(unmetered_interactions_total{${days}})`), r.totals.interactions);
    assert.equal(await scalar(`sum(unmetered_unpriced_interactions_total{${days}})`), r.totals.unpricedInteractions);
    const byType = Object.fromEntries(
      (await query(`sum by (token_type) (gen_ai_client_token_usage_tokens_total{${days}})`)).map((x) => [
        x.metric.token_type,
        Number(x.value[1]),
      ]),
    );
    assert.deepEqual(byType, {
      input: r.totals.inputTokens,
      output: r.totals.outputTokens,
      cache_read: r.totals.cacheReadTokens,
      cache_creation: r.totals.cacheWriteTokens,
      reasoning: r.totals.reasoningTokens,
    });
    // A figure from the fixture, not from either program: 60 hourly interactions from 00:30 on the 25th
    // (Berlin) put 24 on the 25th and 24 on the 26th, plus the local and the unpriced one: 50.
    assert.equal(r.totals.interactions, 50);
  });

  test('per day, every day', async () => {
    const r = await report('2026-11-25', '2026-11-27');
    const prom = new Map((await query('sum by (day) (unmetered_cost_usd_total)')).map((x) => [x.metric.day, Number(x.value[1])]));
    assert.deepEqual([...prom.keys()].sort(), r.days.map((d) => d.date).sort());
    for (const d of r.days) assert.ok(Math.abs(prom.get(d.date)! - d.costUSD!) < 1e-9, d.date);
  });
});
