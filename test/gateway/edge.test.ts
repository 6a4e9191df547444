/**
 * The gateway's bounds and its identity: the SSE line cap, per-endpoint body caps answered in the API's
 * own error shape, the 0600 secret in the data directory and the health proof, and the group commit.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  createGateway,
  hostGateway,
  loadGatewaySecret,
  probeHealth,
  SECRET_FILE,
  SseReader,
  type GatewayConfig,
} from '../../src/core/gateway';
import { freePort, startHarness, type Harness } from './harness';
import { closedUrl } from '../helpers/net';

describe('SSE reader bounds', { timeout: 30_000 }, () => {
  test('a line over the cap stops the reader once, after the events before it; a long line under the cap arrives whole', () => {
    const events: string[] = [];
    const overflows: number[] = [];
    const r = new SseReader(
      (_e, d) => events.push(d),
      1000,
      (n) => overflows.push(n),
    );
    r.push('data: first\n\n');
    // 995 characters of data in 100 chunks: "data: " (6) + 989 x "a" = 995 <= 1000.
    const long = 'data: ' + 'a'.repeat(989);
    for (let i = 0; i < long.length; i += 10) r.push(long.slice(i, i + 10));
    r.push('\n\n');
    assert.deepEqual(events, ['first', 'a'.repeat(989)]);
    r.push('data: ' + 'b'.repeat(600));
    r.push('b'.repeat(600)); // 6 + 1200 = 1206 > 1000
    r.push('\n\ndata: after\n\n');
    assert.deepEqual(events, ['first', 'a'.repeat(989)], 'nothing after the overflow is read');
    assert.equal(overflows.length, 1);
    assert.equal(r.gaveUp, true);
  });

  test('many short data lines that add up past the cap count as one over-long event', () => {
    const overflows: number[] = [];
    const r = new SseReader(
      () => assert.fail('no event may be dispatched'),
      1000,
      (n) => overflows.push(n),
    );
    // Each "data: xxxxxxxxx" line adds 9 + 1 = 10 characters of event data; 101 lines make 1010 > 1000.
    for (let i = 0; i < 101; i++) r.push('data: xxxxxxxxx\n');
    r.push('\n');
    assert.equal(overflows.length, 1);
  });
});

describe('request body caps per endpoint', { timeout: 30_000 }, () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(() => h.close());

  /** Headers declaring `length` bytes, then a few bytes: the cap is decided from the declared length. */
  function declared(p: string, length: number, extra: string, method = 'POST'): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const s = net.connect(h.port, '127.0.0.1', () =>
        s.write(
          `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${length}\r\n\r\n{"model":`,
        ),
      );
      let text = '';
      s.on('data', (c) => {
        text += c.toString('utf8');
        const m = /^HTTP\/1\.1 (\d+)[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(text);
        const len = /content-length: (\d+)/i.exec(text);
        if (m && len && Buffer.byteLength(m[2]) >= Number(len[1])) {
          s.destroy();
          resolve({ status: Number(m[1]), body: m[2] });
        }
      });
      s.on('error', reject);
    });
  }

  test('Messages over 32 MiB: 413 request_too_large in Anthropic’s shape, never forwarded', async () => {
    const before = h.anthropic.requests.length;
    const r = await declared('/v1/messages', 32 * 1024 * 1024 + 1, 'anthropic-version: 2023-06-01\r\n');
    assert.equal(r.status, 413);
    const e = JSON.parse(r.body);
    assert.equal(e.type, 'error');
    assert.equal(e.error.type, 'request_too_large');
    assert.equal(h.anthropic.requests.length, before);
  });

  test('Chat Completions over 64 MiB: 413 with OpenAI’s error object', async () => {
    const r = await declared('/v1/chat/completions', 64 * 1024 * 1024 + 1, '');
    assert.equal(r.status, 413);
    assert.deepEqual(Object.keys(JSON.parse(r.body).error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(JSON.parse(r.body).error.code, 'request_too_large');
  });

  /** Node's own client sending a whole body, declared or chunked; settles when the exchange is over, with any error. */
  function upload(p: string, body: Buffer, chunked: boolean): Promise<{ status: number; body: string; error?: string }> {
    return new Promise((resolve) => {
      let status = 0;
      let error: string | undefined;
      const parts: Buffer[] = [];
      const req = http.request(
        {
          host: '127.0.0.1',
          port: h.port,
          method: 'POST',
          path: p,
          agent: false,
          headers: { 'anthropic-version': '2023-06-01', ...(chunked ? {} : { 'content-length': String(body.length) }) },
        },
        (res) => {
          status = res.statusCode ?? 0;
          res.on('data', (c: Buffer) => parts.push(c));
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
      req.on('close', () => resolve({ status, body: Buffer.concat(parts).toString('utf8'), error }));
      if (!chunked) {
        req.end(body);
        return;
      }
      for (let i = 0; i < body.length; i += 1 << 20) req.write(body.subarray(i, i + (1 << 20)));
      req.end();
    });
  }

  test('a client still writing an oversize body reads the 413 in full, never a broken pipe (declared and chunked)', async () => {
    // Node closes a connection whose response went out before its request ended; answered early, a client that is
    // still writing fails with EPIPE (19 times in 20 here before the gateway read refused uploads to their end).
    const big = Buffer.alloc(33 * 1024 * 1024, 'a');
    for (const chunked of [false, false, false, false, false, true, true, true]) {
      const r = await upload('/v1/messages', big, chunked);
      assert.equal(r.error, undefined, `chunked: ${chunked}`);
      assert.equal(r.status, 413, `chunked: ${chunked}`);
      assert.equal(JSON.parse(r.body).error.type, 'request_too_large');
    }
  });

  test('GET /v1/models with a 2 MiB body is refused (1 MiB cap)', async () => {
    const r = await declared('/v1/models', 2 * 1024 * 1024, '', 'GET');
    assert.equal(r.status, 413);
  });
});

describe('the gateway secret and the health proof', { timeout: 30_000 }, () => {
  let dir: string;
  before(async () => (dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'unmetered-secret-'))));
  after(() => fsp.rm(dir, { recursive: true, force: true }));

  test('created readable by its owner only (0600), and the same on every load', async () => {
    const a = await loadGatewaySecret(dir);
    const b = await loadGatewaySecret(dir);
    assert.equal(a.length, 32);
    assert.ok(a.equals(b));
    assert.equal((await fsp.stat(path.join(dir, SECRET_FILE))).mode & 0o777, 0o600);
  });

  test('a secret others could read is replaced; a symlink in its place is replaced, its target untouched', async () => {
    const file = path.join(dir, SECRET_FILE);
    const old = await loadGatewaySecret(dir);
    await fsp.chmod(file, 0o644);
    const fresh = await loadGatewaySecret(dir);
    assert.ok(!fresh.equals(old), 'a secret that was world-readable is not trusted');
    assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);

    const target = path.join(dir, 'elsewhere.txt');
    await fsp.writeFile(target, 'a'.repeat(64), { mode: 0o600 });
    await fsp.rm(file);
    await fsp.symlink(target, file);
    const viaLink = await loadGatewaySecret(dir);
    assert.ok(!viaLink.equals(Buffer.from('a'.repeat(64), 'hex')));
    assert.ok((await fsp.lstat(file)).isFile());
    assert.equal(await fsp.readFile(target, 'utf8'), 'a'.repeat(64));
  });

  const config: GatewayConfig = {
    route: 'cloud',
    localModel: null,
    anthropicUpstream: '',
    openaiUpstream: '',
    ollamaHost: '',
  };
  before(async () => {
    config.anthropicUpstream = config.openaiUpstream = config.ollamaHost = await closedUrl();
  });

  test('the health endpoint answers HMAC-SHA256(secret, "unmetered-gateway-health\\n" + nonce); no nonce, no proof', async () => {
    const secret = randomBytes(32);
    const gw = createGateway({ config: () => config, onInteraction: () => {}, secret });
    const port = await gw.listen(0);
    try {
      const nonce = '00112233445566778899aabbccddeeff';
      const v = await (await fetch(`http://127.0.0.1:${port}/unmetered/health?nonce=${nonce}`)).json();
      assert.equal(v.proof, createHmac('sha256', secret).update(`unmetered-gateway-health\n${nonce}`).digest('hex'));
      const plain = await (await fetch(`http://127.0.0.1:${port}/unmetered/health`)).json();
      assert.equal(plain.proof, undefined);
      assert.equal((await probeHealth(port, secret))?.service, 'unmetered-gateway');
      assert.equal(await probeHealth(port, randomBytes(32)), null, 'a gateway under another secret is not ours');
    } finally {
      await gw.close();
    }
  });

  test('a real gateway of another data directory (another secret) on the port is not followed', async () => {
    const port = await freePort();
    const theirs = randomBytes(32);
    const mine = randomBytes(32);
    const other = hostGateway({
      gateway: createGateway({ config: () => config, onInteraction: () => {}, secret: theirs }),
      port,
      secret: theirs,
      retryMs: 60_000,
    });
    assert.equal((await other.ready).role, 'owner');
    const me = hostGateway({
      gateway: createGateway({ config: () => config, onInteraction: () => {}, secret: mine }),
      port,
      secret: mine,
      retryMs: 60_000,
    });
    try {
      assert.equal((await me.ready).role, 'blocked');
    } finally {
      await me.stop();
      await other.stop();
    }
  });
});

describe('an upstream that does not speak valid HTTP', { timeout: 30_000 }, () => {
  test('status 099 (which Node refuses to send on) becomes a 502 in the API’s shape; the gateway keeps serving', async () => {
    const raw = net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 099 Odd\r\nContent-Length: 2\r\n\r\nhi')));
    await new Promise<void>((ok) => raw.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`;
    const gw = createGateway({
      config: () => ({ route: 'cloud', localModel: null, anthropicUpstream: url, openaiUpstream: url, ollamaHost: url }),
      onInteraction: () => {},
    });
    const port = await gw.listen(0);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: 'POST',
        headers: { 'anthropic-version': '2023-06-01' },
        body: '{"model":"m"}',
      });
      assert.equal(r.status, 502);
      const e = await r.json();
      assert.equal(e.type, 'error');
      assert.match(e.error.message, /not valid HTTP/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/unmetered/health`)).status, 200);
    } finally {
      await gw.close();
      await new Promise<void>((ok) => raw.close(() => ok()));
    }
  });
});
