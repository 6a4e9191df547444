import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback port nothing listens on: one the OS just handed out, closed again. Never assume a fixed port is
 * closed: port 9 (discard) accepts and swallows on some machines, and a test would hang instead of failing.
 */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

/** `http://127.0.0.1:<a free port><path>`: an upstream that refuses every connection. */
export async function closedUrl(path = ''): Promise<string> {
  return `http://127.0.0.1:${await freePort()}${path}`;
}
