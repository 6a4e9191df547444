import type http from 'node:http';
import type { GatewayError } from './errors';

/** Answers with the gateway's own error, in the shape of the client's API (errors.ts). */
export function send(res: http.ServerResponse, e: GatewayError): void {
  res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(e.body) });
  res.end(e.body);
}
