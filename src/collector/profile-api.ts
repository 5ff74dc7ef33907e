/**
 * The collector's profile endpoints. Secret key (server to server, no CORS): `GET /v1/profiles/{id}`,
 * `GET /v1/profiles?identity=type:value`, `GET /v1/merges`, `POST /v1/merges/{id}/undo`. Visitor side (write key,
 * CORS like /v1/batch): `POST /v1/profile-token` → a signed, expiring token bound to one device id, `GET /v1/me` and
 * `GET /v1/me/stream` (server-sent events). Imports: node built-ins, the Db seam, the profile readers. Never tells an
 * unknown device from one without personalization consent, and never answers one visitor with another's profile.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyRing } from './auth';
import { authoriseKey, corsHeaders, headerWriteKey, preflightHeaders } from './auth';
import type { Db } from './db/types';
import { readJsonBody, sendError, sendJson, type HttpError } from './http';
import { undoMerge } from './identity-graph';
import { deviceConsent, DEFAULT_TIMELINE_LIMIT, listMerges, MAX_PROFILE_EVENTS, profileByIdentity, readProfile, readSummary } from './profiles';

/** How long a profile token is valid by default: 15 minutes. */
export const DEFAULT_PROFILE_TOKEN_TTL_MS = 15 * 60_000;
/** Comment frames that keep proxies and browsers from closing an idle profile stream. */
export const PROFILE_STREAM_HEARTBEAT_MS = 15_000;
/** Open profile streams one device may hold (one per tab); more answer 429 so a token cannot pin sockets without end. */
export const MAX_PROFILE_STREAMS_PER_DEVICE = 5;
/** The consent category a visitor must have granted to read their own profile. */
const PERSONALIZATION = 'personalization';
const IDENTITY_TYPE = /^[a-z][a-z0-9_]*$/;

/** What the profile endpoints need from the collector. */
export interface ProfileApiDeps {
  db: Db;
  ready: Promise<void>;
  keys: KeyRing;
  /** The secret key of the profile API; undefined disables it (401). */
  secretKey?: string;
  tokenTtlMs: number;
  now: () => number;
  /** Rate limit per client and key; answers seconds to wait, 0 when allowed. */
  take?: (req: IncomingMessage, key: string) => number;
  onError: (error: unknown, context: string) => void;
  /** Tells the collector's `on('profile')` listeners. */
  emitProfiles: (profileIds: string[]) => void;
}

/** The profile endpoints, mounted by the collector. */
export interface ProfileApi {
  /** Serves `path` when it is a profile endpoint; resolves false when it is not. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, method: string, origin: string | undefined): Promise<boolean>;
  /** Profiles changed (ingest, merge, undo): push fresh summaries to the streams that show them. */
  changed(profileIds: readonly string[]): void;
  /** Ends every open stream. */
  close(): void;
}

interface TokenClaims {
  /** anonymousId the token is bound to */
  a: string;
  /** write key it was issued for */
  k: string;
  /** expiry, epoch ms */
  e: number;
  /** scope */
  s: 'me';
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');
/** A path segment decoded, or undefined when it is not valid percent-encoding (decodeURIComponent throws). */
const decodeSegment = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
};
const BAD_ENCODING: HttpError = { status: 400, code: 'invalid_path', message: 'the id in the path is not valid percent-encoding (URL-encode it as UTF-8)' };
const digest = (s: string) => createHash('sha256').update(s).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** The credential on a server request: Bearer, HTTP Basic user name, or X-Secret-Key. */
function presentedKey(req: IncomingMessage): string | undefined {
  const x = req.headers['x-secret-key'];
  if (typeof x === 'string' && x.trim()) return x.trim();
  const auth = req.headers.authorization ?? '';
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(auth);
  if (bearer) return bearer[1];
  return headerWriteKey(req);
}

/**
 * Creates the profile endpoints over the collector's database.
 *
 * @example
 * ```ts
 * const api = createProfileApi({ db, ready, keys, secretKey: 'sk_live_1', tokenTtlMs: 900_000, now: Date.now, onError, emitProfiles });
 * if (await api.handle(req, res, path, method, origin)) return;
 * ```
 */
export function createProfileApi(deps: ProfileApiDeps): ProfileApi {
  const { db, keys } = deps;
  // tokens are HMAC-signed with a key derived from the secret key; without one, a random key valid until restart
  const signingKey = createHmac('sha256', deps.secretKey ?? randomBytes(32)).update('touchpoint/profile-token/v1').digest();
  const sign = (payload: string) => createHmac('sha256', signingKey).update(payload).digest();

  const issue = (anonymousId: string, writeKey: string) => {
    const claims: TokenClaims = { a: anonymousId, k: writeKey, e: deps.now() + deps.tokenTtlMs, s: 'me' };
    const payload = b64url(JSON.stringify(claims));
    return { token: `${payload}.${b64url(sign(payload))}`, expiresAt: new Date(claims.e).toISOString() };
  };
  const verify = (token: string | undefined): TokenClaims | HttpError => {
    const bad: HttpError = { status: 401, code: 'invalid_token', message: 'the profile token is missing or not valid; request one at POST /v1/profile-token' };
    if (!token) return bad;
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined) return bad;
    const expected = sign(payload);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return bad;
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return bad;
    }
    if (claims.s !== 'me' || typeof claims.a !== 'string' || typeof claims.k !== 'string' || typeof claims.e !== 'number') return bad;
    if (claims.e <= deps.now()) return { status: 401, code: 'token_expired', message: 'the profile token has expired; request a new one at POST /v1/profile-token' };
    if (!keys.get(claims.k)) return bad; // the key was removed since
    return claims;
  };

  /** The device's root profile, when the device is known and its newest consent snapshot grants personalization. */
  const allowedProfile = async (anonymousId: string, writeKey: string): Promise<string | undefined> => {
    // consent as given on this key's site: a device id seen only under another shop's key is unknown here
    const categories = await deviceConsent(db, anonymousId, writeKey);
    if (!categories?.includes(PERSONALIZATION)) return undefined;
    return profileByIdentity(db, 'anonymous_id', anonymousId);
  };
  const NOT_AVAILABLE: HttpError = {
    status: 403,
    code: 'profile_not_available',
    message: 'no profile is available for this device: it is unknown, or its latest consent does not grant personalization',
  };

  // ---------- streams ----------
  interface Stream {
    res: ServerResponse;
    claims: TokenClaims;
    root: string;
    last: string;
    busy: boolean;
    again: boolean;
    timers: ReturnType<typeof setTimeout>[];
  }
  const streams = new Set<Stream>();
  const endStream = (s: Stream) => {
    if (!streams.delete(s)) return;
    for (const t of s.timers) clearTimeout(t);
    s.res.end();
  };
  const push = async (s: Stream) => {
    if (s.busy) return void (s.again = true);
    s.busy = true;
    try {
      do {
        s.again = false;
        const root = await allowedProfile(s.claims.a, s.claims.k);
        if (!root) return endStream(s); // consent withdrawn or the device was unlinked
        s.root = root;
        const json = JSON.stringify(await readSummary(db, root));
        if (json !== s.last && streams.has(s)) {
          s.last = json;
          s.res.write(`event: profile\ndata: ${json}\n\n`);
        }
      } while (s.again && streams.has(s));
    } catch (error) {
      deps.onError(error, 'profile stream');
    } finally {
      s.busy = false;
    }
  };

  async function openStream(req: IncomingMessage, res: ServerResponse, claims: TokenClaims, root: string, cors: Record<string, string>) {
    let open = 0;
    for (const o of streams) if (o.claims.a === claims.a && o.claims.k === claims.k) open++;
    if (open >= MAX_PROFILE_STREAMS_PER_DEVICE) {
      return sendError(
        res,
        { status: 429, code: 'too_many_streams', message: `this device already holds ${MAX_PROFILE_STREAMS_PER_DEVICE} open profile streams; close one, or share one stream across tabs`, headers: { 'Retry-After': '30' } },
        cors,
      );
    }
    res.writeHead(200, {
      ...cors,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(`retry: 5000\n\n`);
    const s: Stream = { res, claims, root, last: '', busy: false, again: false, timers: [] };
    streams.add(s);
    const heartbeat = setInterval(() => res.write(`: heartbeat ${deps.now()}\n\n`), PROFILE_STREAM_HEARTBEAT_MS);
    heartbeat.unref?.();
    s.timers.push(heartbeat as unknown as ReturnType<typeof setTimeout>);
    // the stream lives no longer than its token; the client renews and reconnects
    const expiry = setTimeout(() => endStream(s), Math.max(0, claims.e - deps.now()));
    expiry.unref?.();
    s.timers.push(expiry);
    const drop = () => endStream(s);
    req.on('close', drop);
    res.on('close', drop);
    res.on('error', drop);
    await push(s);
  }

  // ---------- handlers ----------
  const secretDenied = (req: IncomingMessage): HttpError | undefined => {
    if (!deps.secretKey) return { status: 401, code: 'secret_key_not_configured', message: 'this collector has no secretKey configured (option secretKey or TOUCHPOINT_SECRET_KEY), so its profile API is off' };
    const key = presentedKey(req);
    if (!key) return { status: 401, code: 'missing_secret_key', message: 'send the secret key as Authorization: Bearer <secret key>' };
    if (sameSecret(key, deps.secretKey)) return undefined;
    if (keys.get(key)) return { status: 401, code: 'write_key_not_allowed', message: 'a write key cannot read profiles; send the secret key as Authorization: Bearer <secret key>' };
    return { status: 401, code: 'invalid_secret_key', message: 'the secret key is not valid' };
  };

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, method: string, origin: string | undefined): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://collector.invalid');
    const profileMatch = /^\/v1\/profiles(?:\/([^/]+))?$/.exec(path);
    const undoMatch = /^\/v1\/merges\/([^/]+)\/undo$/.exec(path);
    if (profileMatch || undoMatch || path === '/v1/merges') {
      const allow = undoMatch ? 'POST' : 'GET';
      if (method !== allow && !(allow === 'GET' && method === 'HEAD')) {
        req.resume();
        sendError(res, { status: 405, code: 'method_not_allowed', message: `${method} is not allowed on ${path}; use ${allow}`, headers: { Allow: allow } });
        return true;
      }
      req.resume();
      const denied = secretDenied(req);
      if (denied) return void sendError(res, denied), true;
      await deps.ready;
      if (undoMatch) {
        const id = decodeSegment(undoMatch[1]!);
        if (id === undefined) return void sendError(res, BAD_ENCODING), true;
        if (!/^\d{1,18}$/.test(id)) return void sendError(res, { status: 400, code: 'invalid_merge_id', message: 'a merge id is a positive integer, e.g. POST /v1/merges/42/undo' }), true;
        const r = await undoMerge(db, id);
        if (!r.ok) return void sendError(res, r), true;
        sendJson(res, 200, { merge: r.merge });
        notifyAll(r.touched);
        return true;
      }
      if (path === '/v1/merges') {
        const limit = url.searchParams.get('limit');
        if (limit !== null && !(/^\d{1,4}$/.test(limit) && +limit >= 1 && +limit <= 1000)) return void sendError(res, { status: 400, code: 'invalid_limit', message: 'limit must be an integer from 1 to 1000' }), true;
        const profileId = url.searchParams.get('profileId') ?? undefined;
        sendJson(res, 200, { merges: await listMerges(db, { profileId, limit: limit ? Number(limit) : undefined }) });
        return true;
      }
      const limitRaw = url.searchParams.get('limit');
      const limit = limitRaw === null ? DEFAULT_TIMELINE_LIMIT : Number(limitRaw);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PROFILE_EVENTS) {
        return void sendError(res, { status: 400, code: 'invalid_limit', message: `limit (timeline length) must be an integer from 1 to ${MAX_PROFILE_EVENTS}` }), true;
      }
      let id = profileMatch![1] ? decodeSegment(profileMatch![1]) : undefined;
      if (profileMatch![1] && id === undefined) return void sendError(res, BAD_ENCODING), true;
      if (!id) {
        const identity = url.searchParams.get('identity');
        if (!identity) return void sendError(res, { status: 400, code: 'missing_identity', message: 'use GET /v1/profiles/{id} or GET /v1/profiles?identity=<type>:<value>, e.g. identity=loyalty_id:L-1001' }), true;
        const at = identity.indexOf(':');
        const type = identity.slice(0, at);
        const value = identity.slice(at + 1);
        if (at < 1 || !IDENTITY_TYPE.test(type) || !value) {
          return void sendError(res, { status: 400, code: 'invalid_identity', message: 'identity must be <type>:<value> with a snake_case type, e.g. email:<sha-256 hex> or customer_id:C-42' }), true;
        }
        id = await profileByIdentity(db, type, value);
        if (!id) return void sendError(res, { status: 404, code: 'profile_not_found', message: `no profile holds the identity ${type}:${value}` }), true;
      }
      const view = await readProfile(db, id, limit);
      if (!view) return void sendError(res, { status: 404, code: 'profile_not_found', message: `no profile ${id}` }), true;
      sendJson(res, 200, view);
      return true;
    }

    if (path !== '/v1/profile-token' && path !== '/v1/me' && path !== '/v1/me/stream') return false;
    let cors: Record<string, string> = origin && keys.anyAllows(origin) ? corsHeaders(origin) : {};
    const fail = (e: HttpError) => {
      req.resume();
      sendError(res, e, cors);
      return true;
    };
    const verb = path === '/v1/profile-token' ? 'POST' : 'GET';
    if (method === 'OPTIONS') {
      if (!origin || !keys.anyAllows(origin)) return fail({ status: 403, code: 'origin_not_allowed', message: `origin ${origin ?? '(none)'} is not in any write key's allowedOrigins` });
      res.writeHead(204, { ...preflightHeaders(origin, req.headers['access-control-request-headers'] as string | undefined), 'Access-Control-Allow-Methods': `${verb}, OPTIONS` });
      res.end();
      return true;
    }
    if (method !== verb) return fail({ status: 405, code: 'method_not_allowed', message: `${method} is not allowed on ${path}; use ${verb}`, headers: { Allow: `${verb}, OPTIONS` } });

    const keyAllowed = (key: string | undefined): HttpError | undefined => {
      const check = authoriseKey(keys, key, origin, (k) => deps.take?.(req, k) ?? 0);
      cors = check.cors ?? cors;
      return check.error;
    };

    if (path === '/v1/profile-token') {
      const key = headerWriteKey(req);
      const denied = keyAllowed(key);
      if (denied || !key) return fail(denied!);
      const read = await readJsonBody(req, 4096);
      if (!read.ok) return fail(read);
      const body = read.body as { anonymousId?: unknown } | null;
      const anonymousId = body && typeof body === 'object' ? body.anonymousId : undefined;
      if (typeof anonymousId !== 'string' || !anonymousId || anonymousId.length > 128) {
        return fail({ status: 400, code: 'invalid_body', message: 'send { "anonymousId": "<the device id>" }' });
      }
      await deps.ready;
      if (!(await allowedProfile(anonymousId, key))) return fail(NOT_AVAILABLE);
      sendJson(res, 200, issue(anonymousId, key), cors);
      return true;
    }

    req.resume();
    const auth = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const token = path === '/v1/me' ? auth?.[1] : (url.searchParams.get('token') ?? auth?.[1] ?? undefined);
    const claims = verify(token);
    if ('status' in claims) return fail(claims);
    const denied = keyAllowed(claims.k);
    if (denied) return fail(denied);
    await deps.ready;
    const root = await allowedProfile(claims.a, claims.k);
    if (!root) return fail(NOT_AVAILABLE);
    if (path === '/v1/me') {
      sendJson(res, 200, await readSummary(db, root), cors);
      return true;
    }
    await openStream(req, res, claims, root, cors);
    return true;
  }

  const notifyAll = (ids: readonly string[]) => {
    deps.emitProfiles([...ids]);
    changed(ids);
  };
  const changed = (ids: readonly string[]) => {
    if (!streams.size || !ids.length) return;
    const set = new Set(ids);
    for (const s of streams) if (set.has(s.root)) void push(s);
  };

  return {
    handle,
    changed,
    close() {
      for (const s of [...streams]) endStream(s);
    },
  };
}
