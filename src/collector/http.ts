/**
 * HTTP plumbing for the collector: read a request body within a byte limit (also after gzip/deflate decompression),
 * parse it as JSON, and answer JSON. Imports: node:zlib, node:http types. Never puts stack traces or SQL in a response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';

/** An error answer: status and the `{ error: { code, message } }` body. */
export interface HttpError {
  status: number;
  code: string;
  message: string;
  /** Extra response headers, e.g. `Retry-After`. */
  headers?: Record<string, string>;
}

/** Result of {@link readJsonBody}: the parsed body, or why there is none. */
export type BodyResult = { ok: true; body: unknown } | ({ ok: false } & HttpError);

/** Content types a body may have; sendBeacon and no-preflight `fetch` send `text/plain`. */
const JSON_CONTENT_TYPES = new Set(['application/json', 'text/plain', 'application/*+json', 'application/x-ndjson']);

const fail = (status: number, code: string, message: string): BodyResult => ({ ok: false, status, code, message });

function isJsonType(header: string | undefined): boolean {
  if (!header) return true; // sendBeacon with an ArrayBuffer sends none
  const type = header.split(';')[0]!.trim().toLowerCase();
  return JSON_CONTENT_TYPES.has(type) || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Reads and parses a JSON request body; bodies already parsed by a framework (`req.body`) are used as they are.
 *
 * @param maxBytes - largest body accepted, both as sent and after decompression
 * @example
 * ```ts
 * const result = await readJsonBody(req, 512 * 1024);
 * if (!result.ok) return sendError(res, result);
 * ```
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const contentType = req.headers['content-type'];
  if (!isJsonType(contentType)) {
    return fail(415, 'unsupported_media_type', `content type ${contentType!.split(';')[0]} is not supported; send application/json or text/plain`);
  }
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed !== undefined && (req.readableEnded || !req.readable)) {
    // Express or another framework already consumed the stream
    if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) return parseJson(Buffer.from(parsed));
    return { ok: true, body: parsed };
  }

  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let inflater: Gunzip | Inflate | undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') inflater = createGunzip();
  else if (encoding === 'deflate') inflater = createInflate();
  else if (encoding !== 'identity' && encoding !== '') {
    return fail(415, 'unsupported_content_encoding', `content encoding ${encoding} is not supported; send gzip, deflate or none`);
  }

  if (req.readableEnded) return fail(400, 'empty_body', 'the request body was already consumed by an earlier handler and left no req.body');
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return tooLarge(req, maxBytes);

  const raw = await collect(req, inflater, maxBytes);
  if (raw === 'too_large') return tooLarge(req, maxBytes);
  if (raw === 'bad_encoding') return fail(400, 'invalid_encoding', `body is not valid ${encoding} data`);
  if (raw === 'aborted') return fail(400, 'aborted', 'request body ended early');
  return parseJson(raw);
}

function tooLarge(req: IncomingMessage, maxBytes: number): BodyResult {
  req.resume(); // discard the rest rather than leave the client blocked mid-upload
  return fail(413, 'payload_too_large', `body exceeds ${maxBytes} bytes (the limit applies after decompression too); send smaller batches`);
}

function collect(req: IncomingMessage, inflater: Gunzip | Inflate | undefined, maxBytes: number): Promise<Buffer | 'too_large' | 'bad_encoding' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let rawBytes = 0;
    let outBytes = 0;
    let settled = false;
    const settle = (v: Buffer | 'too_large' | 'bad_encoding' | 'aborted') => {
      if (settled) return;
      settled = true;
      req.off('data', onRaw);
      req.off('data', onOut);
      if (inflater) {
        req.unpipe(inflater);
        inflater.destroy();
      }
      resolve(v);
    };
    const onRaw = (chunk: Buffer) => {
      rawBytes += chunk.length;
      if (rawBytes > maxBytes) settle('too_large');
    };
    const onOut = (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxBytes) return settle('too_large'); // a zip bomb stops here, not after inflating it all
      chunks.push(chunk);
    };
    req.on('data', onRaw);
    req.on('aborted', () => settle('aborted'));
    req.on('error', () => settle('aborted'));
    if (inflater) {
      inflater.on('data', onOut);
      inflater.on('error', () => settle('bad_encoding'));
      inflater.on('end', () => settle(Buffer.concat(chunks)));
      req.pipe(inflater);
    } else {
      req.on('data', onOut);
      req.on('end', () => settle(Buffer.concat(chunks)));
    }
  });
}

function parseJson(buf: Buffer): BodyResult {
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!text.trim()) return fail(400, 'empty_body', 'request body is empty; send a JSON object');
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch (error) {
    return fail(400, 'invalid_json', `body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Answers `body` as JSON with `status`.
 *
 * @example
 * ```ts
 * sendJson(res, 200, { status: 'ok' });
 * ```
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

/**
 * Answers an {@link HttpError} as `{ error: { code, message } }`.
 *
 * @example
 * ```ts
 * sendError(res, { status: 404, code: 'not_found', message: 'no endpoint at /v2/batch' });
 * ```
 */
export function sendError(res: ServerResponse, error: HttpError, headers: Record<string, string> = {}): void {
  const extra: Record<string, string> = { ...headers, ...error.headers };
  if (error.status === 413) extra['Connection'] = 'close'; // the unread rest of the body is not worth keeping the socket for
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, extra);
}
