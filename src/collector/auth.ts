/**
 * Write-key authentication and the per-key CORS origin allowlist.
 * Imports: node:http types, the HttpError type. Never answers with credentials allowed, and never echoes an origin that
 * no key allows.
 */
import type { IncomingMessage } from 'node:http';
import type { HttpError } from './http';

/** What one write key may do. */
export interface WriteKeyOptions {
  /** Origins (`https://shop.example`) whose pages may send with this key; `'*'` allows any origin. */
  allowedOrigins: string[];
}

/** Request headers a browser may send; anything else fails preflight. */
export const ALLOWED_REQUEST_HEADERS = ['content-type', 'content-encoding', 'authorization', 'x-write-key'];
/** Response headers the SDK must be able to read across origins. */
export const EXPOSED_RESPONSE_HEADERS = 'Retry-After';
/** How long a browser may cache a preflight answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_S = 7200;

/** Looks up write keys and origins. */
export interface KeyRing {
  /** The options of `key`, or undefined when it is not a configured key. */
  get(key: string): WriteKeyOptions | undefined;
  /** Whether `origin` may send with `key`. */
  allows(key: string, origin: string): boolean;
  /** Whether any key allows `origin` (preflight carries no credentials, so this is all it can check). */
  anyAllows(origin: string): boolean;
}

const normaliseOrigin = (o: string) => o.trim().replace(/\/+$/, '').toLowerCase();

/**
 * Builds the key ring from `{ [writeKey]: { allowedOrigins } }`.
 *
 * @example
 * ```ts
 * const keys = createKeyRing({ wk_live_1: { allowedOrigins: ['https://shop.example'] } });
 * keys.allows('wk_live_1', 'https://shop.example'); // true
 * ```
 */
export function createKeyRing(writeKeys: Record<string, WriteKeyOptions>): KeyRing {
  // a Map, so that keys like "constructor" or "__proto__" are never found on a prototype
  const keys = new Map<string, { options: WriteKeyOptions; origins: Set<string> }>();
  const all = new Set<string>();
  for (const [key, options] of Object.entries(writeKeys)) {
    const origins = new Set(options.allowedOrigins.map(normaliseOrigin));
    keys.set(key, { options, origins });
    for (const o of origins) all.add(o);
  }
  return {
    get: (key) => keys.get(key)?.options,
    allows(key, origin) {
      const k = keys.get(key);
      return !!k && (k.origins.has('*') || k.origins.has(normaliseOrigin(origin)));
    },
    anyAllows: (origin) => all.has('*') || all.has(normaliseOrigin(origin)),
  };
}

/**
 * The write key a request carries in its headers: HTTP Basic with the key as user name (as Segment does), or `X-Write-Key`.
 *
 * @returns the key, or undefined when the headers carry none
 * @example
 * ```ts
 * headerWriteKey(req); // 'wk_live_1' for "Authorization: Basic d2tfbGl2ZV8xOg=="
 * ```
 */
export function headerWriteKey(req: IncomingMessage): string | undefined {
  const x = req.headers['x-write-key'];
  if (typeof x === 'string' && x) return x.trim();
  const auth = req.headers.authorization;
  const m = auth && /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(auth);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  return user || undefined;
}

/**
 * Headers answering a preflight (`OPTIONS`) from an allowed origin.
 *
 * @example
 * ```ts
 * res.writeHead(204, preflightHeaders(origin, req.headers['access-control-request-headers']));
 * ```
 */
export function preflightHeaders(origin: string, requested: string | undefined): Record<string, string> {
  const asked = (requested ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  return {
    ...corsHeaders(origin),
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': (asked.length ? asked.filter((h) => ALLOWED_REQUEST_HEADERS.includes(h)) : ALLOWED_REQUEST_HEADERS).join(', '),
    'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_S),
  };
}

/**
 * Headers letting the page at `origin` read the answer; never `Access-Control-Allow-Credentials`.
 *
 * @example
 * ```ts
 * sendJson(res, 200, body, corsHeaders('https://shop.example'));
 * ```
 */
export function corsHeaders(origin: string): Record<string, string> {
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSED_RESPONSE_HEADERS, Vary: 'Origin' };
}

/** Result of {@link authoriseKey}: the error to answer, if any, and the CORS headers to answer with once the key is known. */
export interface KeyCheck {
  error?: HttpError;
  /** Undefined while the key is missing or unknown (answer with what any key allows); empty for an origin this key does not allow. */
  cors?: Record<string, string>;
}

/**
 * Checks a visitor request's write key: present, configured, allowed from `origin`, and within its rate.
 *
 * @param wait - spends one request of the client's rate for `key`; answers seconds to wait, 0 when allowed
 * @param missing - how the request may carry the key, for the 401 message
 * @example
 * ```ts
 * const { error, cors } = authoriseKey(keys, headerWriteKey(req), origin, (key) => limiter.take(`${ip}|${key}`));
 * ```
 */
export function authoriseKey(keys: KeyRing, key: string | undefined, origin: string | undefined, wait: (key: string) => number, missing = 'as HTTP Basic user name or in X-Write-Key'): KeyCheck {
  if (!key) return { error: { status: 401, code: 'missing_write_key', message: `send the write key ${missing}` } };
  if (!keys.get(key)) return { error: { status: 401, code: 'invalid_write_key', message: 'the write key is not known to this collector' } };
  // the page must not read answers meant for another key's origins
  if (origin && !keys.allows(key, origin)) return { cors: {}, error: { status: 403, code: 'origin_not_allowed', message: `origin ${origin} is not in this write key's allowedOrigins` } };
  const cors = origin ? corsHeaders(origin) : {};
  const seconds = wait(key);
  if (seconds) return { cors, error: { status: 429, code: 'rate_limited', message: `too many requests; retry after ${seconds} s`, headers: { 'Retry-After': String(seconds) } } };
  return { cors };
}
