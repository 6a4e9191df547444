/**
 * OTLP/HTTP request bodies → plain objects, with the official message definitions (the vendored
 * opentelemetry-proto files, compiled to otlp-descriptor.json; see proto/README.md) and protobufjs.
 * Both encodings end in the same shape (protobufjs' `toObject` with 64-bit integers as decimal strings),
 * so the mapping reads one shape whatever the sender chose.
 *
 * Bounded: the compressed body and the inflated body each have a cap, and inflating stops at the cap
 * (zlib's maxOutputLength), so a small gzip bomb cannot make a large buffer.
 */
import zlib from 'node:zlib';
import type * as Protobuf from 'protobufjs/light';
import descriptor from './otlp-descriptor.json';
import { errorMessage } from '../errors';

export type Signal = 'logs' | 'metrics';
export type Encoding = 'protobuf' | 'json';

interface Types {
  request: Record<Signal, Protobuf.Type>;
  response: Record<Signal, Protobuf.Type>;
  status: Protobuf.Type;
}
let types: Types | undefined;
let loading: Promise<Types> | undefined;

/**
 * Loads protobufjs and builds the message types, once. Until then nothing of it is evaluated: every CLI command
 * and every editor start would otherwise pay for it (hundreds of ms on a busy machine), telemetry or not.
 */
export function loadOtlpTypes(): Promise<Types> {
  return (loading ??= import('protobufjs/light').then((m) => (types = build(m.default ?? m))));
}

function t(): Types {
  if (!types) throw new Error('OTLP message types used before loadOtlpTypes()');
  return types;
}

function build(protobuf: Pick<typeof Protobuf, 'Root' | 'Type' | 'Field'>): Types {
  const root = protobuf.Root.fromJSON(descriptor);
  const type = (name: string) => root.lookupType(`opentelemetry.proto.collector.${name}`);
  /**
   * google.rpc.Status (googleapis/googleapis google/rpc/status.proto: code = 1, message = 2, details = 3),
   * the body OTLP/HTTP requires on 4xx and 5xx. Declared through protobufjs' reflection, not written by hand;
   * `details` (Any) is never sent.
   */
  const status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
  new protobuf.Root().define('google.rpc').add(status);
  return {
    request: { logs: type('logs.v1.ExportLogsServiceRequest'), metrics: type('metrics.v1.ExportMetricsServiceRequest') },
    response: { logs: type('logs.v1.ExportLogsServiceResponse'), metrics: type('metrics.v1.ExportMetricsServiceResponse') },
    status,
  };
}

const TO_OBJECT: Protobuf.IConversionOptions = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true };

export class OtlpDecodeError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415,
  ) {
    super(message);
  }
}

/** `application/x-protobuf` or `application/json` (parameters ignored), as OTLP/HTTP names them. */
export function encodingOf(contentType: string | undefined): Encoding | null {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (t === 'application/x-protobuf' || t === 'application/protobuf') return 'protobuf';
  if (t === 'application/json') return 'json';
  return null;
}

export function inflate(body: Buffer, contentEncoding: string | undefined, maxInflated: number): Buffer {
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') {
    if (body.length > maxInflated) throw new OtlpDecodeError(`The request body is larger than ${maxInflated} bytes.`, 413);
    return body;
  }
  if (enc !== 'gzip' && enc !== 'x-gzip' && enc !== 'deflate')
    throw new OtlpDecodeError(`Content-Encoding ${JSON.stringify(enc.slice(0, 40))} is not supported; send gzip or none.`, 415);
  try {
    const opts = { maxOutputLength: maxInflated };
    return enc === 'deflate' ? zlib.inflateSync(body, opts) : zlib.gunzipSync(body, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new OtlpDecodeError(`The request body inflates to more than ${maxInflated} bytes.`, 413);
    throw new OtlpDecodeError(`The request body is not valid ${enc} data (${errorMessage(err)}).`, 400);
  }
}

/** The export request as a plain object (see TO_OBJECT), or an OtlpDecodeError saying what was wrong. */
export function decodeRequest(signal: Signal, encoding: Encoding, data: Buffer): Record<string, unknown> {
  const type = t().request[signal];
  let message: Protobuf.Message;
  if (encoding === 'protobuf') {
    try {
      message = type.decode(data);
    } catch (err) {
      throw new OtlpDecodeError(`The body is not an OTLP ${signal} export request in protobuf (${errorMessage(err)}).`, 400);
    }
  } else {
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch (err) {
      throw new OtlpDecodeError(`The body is not JSON (${errorMessage(err)}).`, 400);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new OtlpDecodeError(`The body is not an OTLP ${signal} export request: expected a JSON object.`, 400);
    try {
      message = type.fromObject(json);
    } catch (err) {
      throw new OtlpDecodeError(`The body is not an OTLP ${signal} export request in JSON (${errorMessage(err)}).`, 400);
    }
  }
  return type.toObject(message, TO_OBJECT);
}

/** The success body: an export response, with partial_success when some records were rejected. */
export function encodeResponse(signal: Signal, encoding: Encoding, rejected: number, why: string): Buffer {
  const field = signal === 'logs' ? 'rejectedLogRecords' : 'rejectedDataPoints';
  const value = rejected > 0 ? { partialSuccess: { [field]: rejected, errorMessage: why } } : {};
  if (encoding === 'json') return Buffer.from(JSON.stringify(value));
  const type = t().response[signal];
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

/** A google.rpc.Status body for an error answer, in the request's encoding (JSON when it is unknown). */
export function encodeStatus(encoding: Encoding | null, code: number, message: string): Buffer {
  if (encoding === 'protobuf') return Buffer.from(t().status.encode(t().status.fromObject({ code, message })).finish());
  return Buffer.from(JSON.stringify({ code, message }));
}

/** For tests and tools: decodes a protobuf google.rpc.Status body. */
export function decodeStatus(data: Buffer): { code: number; message: string } {
  return t().status.toObject(t().status.decode(data), { defaults: true }) as { code: number; message: string };
}

/** For tests: decodes a protobuf export response body. */
export function decodeResponse(signal: Signal, data: Buffer): Record<string, unknown> {
  const type = t().response[signal];
  return type.toObject(type.decode(data), TO_OBJECT);
}
