/**
 * The collector's profile endpoints. Secret key (server to server, no CORS): `GET /v1/profiles/{id}`,
 * `GET /v1/profiles?identity=type:value`, `GET /v1/merges`, `POST /v1/merges/{id}/undo`. Visitor side (write key,
 * CORS like /v1/batch): `POST /v1/profile-token` → a signed, expiring token bound to one device id, `GET /v1/me` and
 * `GET /v1/me/stream` (server-sent events). Imports: node built-ins, the Db seam, the profile readers. Never tells an
 * unknown device from one without personalization consent, and never answers one visitor with another's profile:
 * with an identity verification secret, a device reads a profile holding a person's identities only after it proved,
 * with a `user_hash` the shop's server computed, that it is that person's logged-in device.
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
  /**
   * The identity verification secret: when set, a device gets a profile token for a profile that holds any identity
   * beyond device ids only after an identify of its own carried `user_hash = HMAC-SHA256(secret, userId)` (hex).
   */
  identityVerificationSecret?: string;
}

/** The identity type that carries the shop server's proof of a login: `HMAC-SHA256(identityVerificationSecret, userId)`, hex. */
export const USER_HASH_IDENTITY = 'user_hash';

/**
 * The `user_hash` the shop's server computes at login and hands to the page, which sends it in its identify as
 * `{ type: 'user_hash', value }`.
 *
 * @example
 * ```ts
 * userHash(process.env.TOUCHPOINT_IDENTITY_SECRET!, 'C-1001'); // '3f1c…' (64 hex digits)
 * ```
 */
export function userHash(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId, 'utf8').digest('hex');
}
/** Identify events of one device examined for a verified login (newest first); older ones are not looked at. */
const MAX_VERIFY_EVENTS = 200;

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
/** Postgres text cannot hold U+0000: a query parameter carrying it fails the query, so it is refused first. */
const hasNul = (s: string) => s.includes('\u0000');
/** A path segment decoded, or undefined when it is not valid percent-encoding (decodeURIComponent throws) or holds U+0000. */
const decodeSegment = (s: string) => {
  try {
    const decoded = decodeURIComponent(s);
    return hasNul(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
};
const BAD_ENCODING: HttpError = { status: 400, code: 'invalid_path', message: 'the id in the path is not valid percent-encoding (URL-encode it as UTF-8) or holds U+0000' };
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

  const NOT_AVAILABLE: HttpError = {
    status: 403,
    code: 'profile_not_available',
    message: 'no profile is available for this device: it is unknown, or its latest consent does not grant personalization',
  };
  const NOT_VERIFIED: HttpError = {
    status: 403,
    code: 'identity_not_verified',
    message: "this device's profile holds identities it has not verified; identify with { type: 'user_hash', value: HMAC-SHA256(identity secret, userId) } computed by your server at login",
  };
  const secret = deps.identityVerificationSecret || undefined;
  const hashMatches = (userId: string, given: unknown) => {
    if (typeof given !== 'string') return false;
    const expected = Buffer.from(userHash(secret!, userId), 'utf8');
    const got = Buffer.from(given.trim().toLowerCase(), 'utf8');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };
  /** The user ids this device proved (identify with a valid `user_hash`) under this key, newest first. */
  const verifiedUserIds = async (anonymousId: string, writeKey: string): Promise<string[]> => {
    const { rows } = await db.query<{ user_id: string; identities: unknown }>(
      `SELECT user_id, body->'identities' AS identities FROM events
       WHERE anonymous_id = $1 AND write_key = $2 AND type = 'identify' AND user_id IS NOT NULL AND jsonb_typeof(body->'identities') = 'array'
       ORDER BY received_at DESC, timestamp DESC LIMIT ${MAX_VERIFY_EVENTS}`,
      [anonymousId, writeKey],
    );
    const out: string[] = [];
    for (const r of rows) {
      if (out.includes(r.user_id)) continue;
      const links = typeof r.identities === 'string' ? JSON.parse(r.identities) : r.identities;
      if (!Array.isArray(links)) continue;
      if (links.some((l) => l && l.type === USER_HASH_IDENTITY && hashMatches(r.user_id, l.value))) out.push(r.user_id);
    }
    return out;
  };
  /** Whether a profile tree holds any identity beyond device ids (a user id, e-mail, phone, customer or custom id). */
  const holdsPersonIdentity = async (root: string) =>
    (
      await db.query(
        `SELECT 1 FROM identities i JOIN profiles p ON p.profile_id = i.profile_id WHERE p.root_id = $1 AND i.type <> 'anonymous_id' LIMIT 1`,
        [root],
      )
    ).rows.length > 0;

  /**
   * The profile this device may read: none when it is unknown or its newest consent snapshot does not grant
   * personalization; with identity verification, the profile of the user id it last proved, else its own profile only
   * while that holds nothing but device ids.
   */
  const allowedProfile = async (anonymousId: string, writeKey: string): Promise<string | HttpError> => {
    // consent as given on this key's site: a device id seen only under another shop's key is unknown here
    const categories = await deviceConsent(db, anonymousId, writeKey);
    if (!categories?.includes(PERSONALIZATION)) return NOT_AVAILABLE;
    const root = await profileByIdentity(db, 'anonymous_id', anonymousId);
    if (!root) return NOT_AVAILABLE;
    if (!secret) return root;
    for (const userId of await verifiedUserIds(anonymousId, writeKey)) {
      const own = await profileByIdentity(db, 'user_id', userId);
      if (own) return own;
    }
    return (await holdsPersonIdentity(root)) ? NOT_VERIFIED : root;
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
        if (typeof root !== 'string') return endStream(s); // consent withdrawn, the device was unlinked or linked unverified
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
        if (profileId !== undefined && hasNul(profileId)) {
          sendError(res, { status: 400, code: 'invalid_profile_id', message: 'profileId must not hold U+0000' });
          return true;
        }
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
        if (at < 1 || !IDENTITY_TYPE.test(type) || !value || hasNul(value)) {
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
      if (typeof anonymousId !== 'string' || !anonymousId || anonymousId.length > 128 || hasNul(anonymousId)) {
        return fail({ status: 400, code: 'invalid_body', message: 'send { "anonymousId": "<the device id>" }' });
      }
      await deps.ready;
      const allowed = await allowedProfile(anonymousId, key);
      if (typeof allowed !== 'string') return fail(allowed);
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
    if (typeof root !== 'string') return fail(root);
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
