import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { gatewayCommand, type GatewayCliContext } from '../../src/cli/gateway';
import { main } from '../../src/cli/main';
import { createGateway, hostGateway, loadGatewaySecret } from '../../src/core/gateway';
import { openLedger } from '../../src/core/ledger';
import { memoryLogger, systemClock } from '../../src/core/ports';
import { startFakeOllama, startFakeOpenAI } from '../helpers/fake-vendors';
import { freePort } from './harness';
import { closedUrl } from '../helpers/net';

function sink() {
  let text = '';
  const w = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  return Object.assign(w, { text: () => text });
}

async function context(extra: Partial<GatewayCliContext> = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-gw-cli-'));
  const stdout = sink();
  const stderr = sink();
  const ctx: GatewayCliContext = {
    env: {},
    cwd: dataDir,
    home: dataDir,
    platform: process.platform,
    stdout,
    stderr,
    clock: systemClock,
    logger: memoryLogger(),
    dataDir,
    ...extra,
  };
  return { ctx, stdout, stderr, dataDir };
}

test('unmetered gateway serves agents headless and records priced interactions into the ledger', async () => {
  const openai = await startFakeOpenAI({
    id: 'chatcmpl-cli1',
    usage: { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000 },
  });
  const ollama = await startFakeOllama({ models: [{ name: 'qwen3-coder:30b' }] });
  const ac = new AbortController();
  const { ctx, stderr, dataDir } = await context({ signal: ac.signal });
  const ready = new Promise<number>((resolve) => (ctx.onListening = resolve));
  const run = gatewayCommand(['--port', '0', '--openai-upstream', openai.url, '--ollama-host', ollama.url], ctx);
  const port = await ready;
  try {
    assert.match(stderr.text(), new RegExp(`listening on http://127\\.0\\.0\\.1:${port} \\(route cloud\\)`));
    assert.match(stderr.text(), new RegExp(`codex -c openai_base_url="http://127\\.0\\.0\\.1:${port}/v1"`));
    const client = new OpenAI({ apiKey: 'sk-x', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
  } finally {
    ac.abort();
  }
  assert.equal(await run, 0);
  const ledger = await openLedger({ dir: dataDir });
  try {
    const rec = ledger.get('openai:chatcmpl-cli1');
    assert.ok(rec, 'recorded');
    assert.equal(rec.source, 'gateway');
    assert.equal(rec.route, 'cloud');
    assert.ok(rec.costNanos !== null && rec.costNanos > 0, 'priced from the price table');
    assert.ok(rec.priceSource);
  } finally {
    await ledger.close();
    await Promise.all([openai.close(), ollama.close(), rm(dataDir, { recursive: true, force: true })]);
  }
});

test('on the local route the CLI records avoided spend priced at the replaced model', async () => {
  const ollama = await startFakeOllama({
    models: [{ name: 'qwen3-coder:30b' }],
    reply: { id: 'chatcmpl-local-cli', usage: { prompt_tokens: 2_000_000, completion_tokens: 0, total_tokens: 2_000_000 } },
  });
  const ac = new AbortController();
  const { ctx, dataDir } = await context({ signal: ac.signal });
  const ready = new Promise<number>((resolve) => (ctx.onListening = resolve));
  const run = gatewayCommand(['--port', '0', '--route', 'local', '--local-model', 'qwen3-coder:30b', '--ollama-host', ollama.url], ctx);
  const port = await ready;
  try {
    await new OpenAI({ apiKey: 'x', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
  } finally {
    ac.abort();
  }
  assert.equal(await run, 0);
  const ledger = await openLedger({ dir: dataDir });
  try {
    const rec = ledger.get('openai:chatcmpl-local-cli')!;
    assert.equal(rec.route, 'local');
    assert.equal(rec.replaces, 'gpt-4o');
    assert.equal(rec.costNanos, 0);
    assert.ok(rec.avoidedNanos !== null && rec.avoidedNanos > 0);
  } finally {
    await ledger.close();
    await Promise.all([ollama.close(), rm(dataDir, { recursive: true, force: true })]);
  }
});

test('bad arguments: one line naming the argument and what was expected, exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--port', 'abc'], /--port: expected a port number from 1024 to 65535/],
    [['--port', '80'], /--port: expected a port number/],
    [['--route', 'offline'], /--route: expected cloud or local, got "offline"/],
    [['--route', 'local'], /--local-model: expected the Ollama model/],
    [['--local-model', 'bad name!'], /--local-model: expected an Ollama model name/],
    [['--anthropic-upstream', 'ftp://x'], /--anthropic-upstream: expected an http:\/\/ or https:\/\/ URL, got "ftp:\/\/x"/],
    [['--bogus'], /bogus/],
  ];
  for (const [args, re] of cases) {
    const { ctx, stderr, dataDir } = await context();
    assert.equal(await main(['gateway', ...args], ctx), 2, args.join(' '));
    const first = stderr.text().split('\n')[0];
    assert.match(first, re);
    assert.ok(first.startsWith('unmetered gateway: '), first);
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('when another Unmetered gateway already serves the port, the CLI says so and exits 1', async () => {
  const port = await freePort();
  const dead = await closedUrl();
  const { ctx, stderr, dataDir } = await context();
  // The other gateway shares the data directory, hence the secret that proves it is ours.
  const secret = await loadGatewaySecret(dataDir);
  const other = hostGateway({
    gateway: createGateway({
      config: () => ({
        route: 'cloud',
        localModel: null,
        anthropicUpstream: dead,
        openaiUpstream: dead,
        ollamaHost: dead,
      }),
      onInteraction: () => {},
      secret,
    }),
    port,
    secret,
  });
  assert.equal((await other.ready).role, 'owner');
  try {
    assert.equal(await gatewayCommand(['--port', String(port)], ctx), 1);
    assert.match(stderr.text(), new RegExp(`an Unmetered gateway already serves port ${port} \\(pid ${process.pid}, route cloud\\)`));
  } finally {
    await other.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
