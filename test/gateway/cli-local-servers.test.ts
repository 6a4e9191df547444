// `unmetered gateway --local-server lmstudio|llamacpp`: the CLI picks the local server by the same settings
// normaliser and config function as the extension, forwards to the stand-ins that speak LM Studio's and
// llama-server's documented wire formats, and records the servers' own counts with avoided spend.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { gatewayCommand, type GatewayCliContext } from '../../src/cli/gateway';
import { main } from '../../src/cli/main';
import { openLedger } from '../../src/core/ledger';
import { memoryLogger, systemClock } from '../../src/core/ports';
import type { Interaction } from '../../src/core/interaction';
import { startFakeLlamaCpp, startFakeLmStudio } from '../helpers/fake-local';
import { anthropicHeaders } from './harness';

function sink() {
  let text = '';
  const w = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  return Object.assign(w, { text: () => text });
}

async function context(signal?: AbortSignal) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-gw-local-'));
  const stderr = sink();
  const logger = memoryLogger();
  const ctx: GatewayCliContext = {
    env: {},
    cwd: dataDir,
    home: dataDir,
    platform: process.platform,
    stdout: sink(),
    stderr,
    clock: systemClock,
    logger,
    dataDir,
    signal,
  };
  return { ctx, stderr, logger, dataDir };
}

/** Runs the gateway with `args` until `use` is done, then returns what the ledger holds. */
async function withGateway(args: string[], use: (base: string) => Promise<void>) {
  const ac = new AbortController();
  const c = await context(ac.signal);
  const ready = new Promise<number>((resolve) => (c.ctx.onListening = resolve));
  const run = gatewayCommand(['--port', '0', '--route', 'local', ...args], c.ctx);
  const port = await Promise.race([ready, run.then((code) => Promise.reject(new Error(`exited ${code}: ${c.stderr.text()}`)))]);
  try {
    await use(`http://127.0.0.1:${port}`);
  } finally {
    ac.abort();
  }
  assert.equal(await run, 0);
  const ledger = await openLedger({ dir: c.dataDir });
  let records: Interaction[];
  try {
    records = [...ledger.records()];
  } finally {
    await ledger.close();
    await rm(c.dataDir, { recursive: true, force: true });
  }
  return { records, stderr: c.stderr.text(), lines: c.logger.lines };
}

describe('unmetered gateway on LM Studio and llama-server', { timeout: 60_000 }, () => {
  test('--local-server lmstudio: Anthropic Messages go to LM Studio, its counts recorded as local with avoided spend', async () => {
    const lms = await startFakeLmStudio({
      models: [{ key: 'qwen/qwen3-coder-30b', maxContextLength: 262_144, tools: true, loadedContext: 131_072 }],
    });
    try {
      lms.next({ id: 'msg_lms_cli_1', text: 'Refactored.' });
      const args = ['--local-server', 'lmstudio', '--local-model', 'qwen/qwen3-coder-30b', '--lmstudio-host', lms.url];
      const { records, stderr, lines } = await withGateway(args, async (base) => {
        const r = await fetch(`${base}/v1/messages`, {
          method: 'POST',
          headers: { ...anthropicHeaders, 'x-api-key': 'sk-ant-secret' },
          body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'refactor' }] }),
        });
        assert.equal(r.status, 200);
        assert.equal(((await r.json()) as { content: { text: string }[] }).content[0].text, 'Refactored.');
      });
      assert.match(stderr, new RegExp(`route local, model qwen/qwen3-coder-30b on LM Studio at ${lms.url.replace(/\./g, '\\.')}\\)`));
      assert.deepEqual(
        lines.filter((l) => l.startsWith('warn')),
        [],
        'the model is on the server and suited: nothing to warn of',
      );
      const post = lms.requests.find((q) => q.method === 'POST')!;
      assert.equal(post.path, '/v1/messages');
      assert.equal(post.json.model, 'qwen/qwen3-coder-30b');
      assert.equal(records.length, 1);
      const rec = records[0];
      assert.deepEqual([rec.route, rec.model, rec.replaces, rec.source], ['local', 'qwen/qwen3-coder-30b', 'claude-sonnet-4-5', 'gateway']);
      // LMSTUDIO_MESSAGES_USAGE: 31 in, 7 out.
      assert.deepEqual([rec.tokens.input, rec.tokens.output, rec.estimated], [31, 7, false]);
      // claude-sonnet-4-5 (pinned snapshot): 3,000 nano-dollars a token in, 15,000 out.
      // 31 × 3,000 + 7 × 15,000 = 93,000 + 105,000 = 198,000.
      assert.deepEqual([rec.costNanos, rec.avoidedNanos], [0, 198_000]);
    } finally {
      await lms.close();
    }
  });

  test('--local-server llamacpp: a streamed Chat Completion goes to llama-server, its usage (cache apart) recorded with avoided spend', async () => {
    // llama-server names its model by the path given to -m unless --alias is set (tools/server/README.md).
    const lcpp = await startFakeLlamaCpp({ model: '../models/tiny.gguf' });
    try {
      const args = ['--local-server', 'llamacpp', '--local-model', '../models/tiny.gguf', '--llamacpp-host', lcpp.url];
      const { records, stderr } = await withGateway(args, async (base) => {
        const client = new OpenAI({ apiKey: 'sk-x', baseURL: `${base}/v1`, maxRetries: 0 });
        const stream = await client.chat.completions.create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
          stream_options: { include_usage: true },
        });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        assert.equal(text, 'Hello!');
      });
      assert.match(stderr, /route local, model \.\.\/models\/tiny\.gguf on llama\.cpp at /);
      assert.equal(lcpp.requests.find((q) => q.method === 'POST')?.path, '/v1/chat/completions');
      assert.equal(records.length, 1);
      const rec = records[0];
      assert.deepEqual([rec.route, rec.replaces], ['local', 'gpt-4o']);
      // LLAMACPP_CHAT_USAGE: prompt 40 of which 16 cached, completion 6.
      assert.deepEqual([rec.tokens.input, rec.tokens.cacheRead, rec.tokens.output], [24, 16, 6]);
      // gpt-4o (pinned snapshot): 2,500 nano-dollars a token in, 1,250 cache read, 10,000 out.
      // 24 × 2,500 + 16 × 1,250 + 6 × 10,000 = 60,000 + 20,000 + 60,000 = 140,000.
      assert.deepEqual([rec.costNanos, rec.avoidedNanos], [0, 140_000]);
    } finally {
      await lcpp.close();
    }
  });

  test('a model the server does not have: the CLI says how to get it (these servers cannot be made to pull) and serves on', async () => {
    const lcpp = await startFakeLlamaCpp({ model: 'tiny.gguf' });
    const lms = await startFakeLmStudio({ models: [] });
    try {
      const llama = await withGateway(
        ['--local-server', 'llamacpp', '--local-model', 'big.gguf', '--llamacpp-host', lcpp.url],
        async () => {},
      );
      assert.deepEqual(
        llama.lines.filter((l) => l.startsWith('warn')),
        [
          `warn: big.gguf cannot be served yet: llama-server at ${lcpp.url} serves no model "big.gguf". ` +
            'llama-server serves the one model it was started with and cannot pull: restart it with `-m <model.gguf>` (or `-hf <repo>`) to serve another.',
        ],
      );
      const studio = await withGateway(
        ['--local-server', 'lmstudio', '--local-model', 'qwen/qwen3-coder-30b', '--lmstudio-host', lms.url],
        async () => {},
      );
      assert.deepEqual(
        studio.lines.filter((l) => l.startsWith('warn')),
        [
          `warn: qwen/qwen3-coder-30b cannot be served yet: LM Studio at ${lms.url} has no model "qwen/qwen3-coder-30b". ` +
            'Get it with `lms get qwen/qwen3-coder-30b` or in the LM Studio app.',
        ],
      );
    } finally {
      await Promise.all([lcpp.close(), lms.close()]);
    }
  });

  test('bad local-server arguments: one line naming the flag and what was expected, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['--local-server', 'vllm'], '--local-server: expected ollama, lmstudio or llamacpp, got "vllm"'],
      [['--lmstudio-host', 'ftp://x'], '--lmstudio-host: expected an http:// or https:// URL, got "ftp://x"'],
      [['--llamacpp-host', 'not a url'], '--llamacpp-host: expected an http:// or https:// URL, got "not a url"'],
      [
        ['--route', 'local', '--local-server', 'lmstudio'],
        '--local-model: expected the LM Studio model to serve requests with --route local',
      ],
      [['--local-model', 'bad name!'], '--local-model: expected an Ollama model name such as qwen3-coder:30b, got "bad name!"'],
    ];
    for (const [args, expected] of cases) {
      const c = await context();
      assert.equal(await main(['gateway', ...args], c.ctx), 2, args.join(' '));
      const first = c.stderr.text().split('\n')[0];
      assert.ok(first.startsWith(`unmetered gateway: ${expected}`), first);
      await rm(c.dataDir, { recursive: true, force: true });
    }
  });
});
