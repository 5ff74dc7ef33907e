/**
 * The reference collector: a Node request handler for node:http, Express or Fastify that validates events and consent
 * records with the schemas and stores each once in Postgres (embedded PGlite by default).
 * Imports: schema, node built-ins, pg, PGlite. Never imports browser code; never answers with a stack trace or SQL.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { batchSchema, EVENT_TYPES } from '../schema/event';
import { createDeviceCookie, stripDeviceIds, type DeviceCookieOptions } from './device-cookie';
import { authoriseKey, createKeyRing, corsHeaders, headerWriteKey, preflightHeaders, type WriteKeyOptions } from './auth';
import { openDb } from './db/open-db';
import type { Db } from './db/types';
import { readJsonBody, sendError, sendJson, type HttpError } from './http';
import { createIdentityRules, undoMerge, type MergeLogEntry, type UndoResult } from './identity-graph';
import { ingestConsent, ingestEvents, type StoredConsent, type StoredEvent } from './ingest';
import { migrate } from './migrations';
import { createProfileApi, DEFAULT_PROFILE_TOKEN_TTL_MS } from './profile-api';
import { listMerges, listProfiles, profileByIdentity, readProfile, readSummary, type ProfileListEntry, type ProfileSummaryView, type ProfileView } from './profiles';
import { createRateLimiter, type RateLimitOptions } from './rate-limit';

export type { Db, DbTx, QueryResult } from './db/types';
export type { WriteKeyOptions } from './auth';
export type { DeviceCookieOptions } from './device-cookie';
export type { RateLimitOptions } from './rate-limit';
export type { ConsentResponse, StoredConsent, StoredEvent } from './ingest';
export { MIGRATIONS, migrate } from './migrations';
export { openDb } from './db/open-db';
export { createPgliteDb } from './db/pglite';
export { createPostgresDb } from './db/postgres';
export { DEFAULT_MAX_DEVICES_PER_PROFILE, DEFAULT_PLACEHOLDER_IDENTITIES, DEFAULT_UNIQUE_IDENTITY_TYPES, NON_LINKING_IDENTITY_TYPES } from './identity-graph';
export type { MergeLogEntry, UndoResult } from './identity-graph';
export { channelKind } from './profiles';
export type { ConsentSnapshot, ProfileListEntry, ProfileSummaryView, ProfileView, TimelineEntry, Touch } from './profiles';
export { DEFAULT_PROFILE_TOKEN_TTL_MS, MAX_PROFILE_STREAMS_PER_DEVICE, USER_HASH_IDENTITY, userHash } from './profile-api';

/** Largest request body by default, before and after decompression. */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024;
/** Default per-client (IP + write key) limit: generous for browsers behind one shop NAT, tight for floods. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { requestsPerSecond: 50, burst: 100 };

/** Options of {@link createCollector}. */
export interface CollectorOptions {
  /** Accepted write keys and the origins each may send from, e.g. `{ wk_live_1: { allowedOrigins: ['https://shop.example'] } }`. */
  writeKeys: Record<string, WriteKeyOptions>;
  /**
   * `postgres://…` for a real Postgres, `memory://` for an in-memory PGlite (tests), or a directory for PGlite.
   * @defaultValue `process.env.DATABASE_URL`, else PGlite under {@link CollectorOptions.dataDir}
   */
  databaseUrl?: string;
  /** Directory of the embedded PGlite. @defaultValue `process.env.TOUCHPOINT_DATA_DIR`, else `.touchpoint` in the cwd */
  dataDir?: string;
  /** A database to use instead of opening one (its owner closes it; `close()` leaves it open). */
  db?: Db;
  /** Largest request body in bytes, checked as sent and after decompression. @defaultValue 524288 (512 KiB) */
  maxBodyBytes?: number;
  /** Token bucket per IP + write key, or `false` for none. @defaultValue {@link DEFAULT_RATE_LIMIT} */
  rateLimit?: RateLimitOptions | false;
  /** Take the client IP from the first `X-Forwarded-For` entry (only behind a proxy you run). @defaultValue false */
  trustProxy?: boolean;
  /** Clock in milliseconds, for the rate limiter. @defaultValue `Date.now` */
  now?: () => number;
  /**
   * Set the device id as an `HttpOnly` first-party cookie (only with analytics consent) so a visitor whose script
   * storage the browser wiped is recognised: `true` or {@link DeviceCookieOptions}. Needs the collector on the shop's
   * origin. @defaultValue false
   */
  deviceCookie?: boolean | DeviceCookieOptions;
  /** Receives unexpected errors (database down, a throwing listener); the client only sees a generic 500. @defaultValue `console.error` */
  onError?: (error: unknown, context: string) => void;
  /**
   * The secret key of the profile API (`GET /v1/profiles…`, `/v1/merges…`), sent as `Authorization: Bearer <key>`;
   * also signs visitors' profile tokens. Never give it to a browser. Without one the profile API answers 401.
   * @defaultValue `process.env.TOUCHPOINT_SECRET_KEY`
   */
  secretKey?: string;
  /**
   * Identity verification: your server computes `HMAC-SHA256(identityVerificationSecret, userId)` (hex) at login and
   * the page sends it in identify as `{ type: 'user_hash', value }`; a device then gets a profile token
   * (`POST /v1/profile-token`, `/v1/me`) for a profile holding a person's identities only after such a verified
   * identify. Without one, anyone who knows a visitor's user id or e-mail can claim their profile (a warning is logged).
   * @defaultValue `process.env.TOUCHPOINT_IDENTITY_SECRET`
   */
  identityVerificationSecret?: string;
  /** Values that never link identities, added to the built-in ones (`null`, `undefined`, `0`, empty, test@example.com, …); compared trimmed, case-insensitive and as SHA-256. */
  placeholderIdentities?: string[];
  /** Identity types a profile holds one value of; profiles with two different values never merge. @defaultValue `['user_id', 'customer_id', 'loyalty_id']` */
  uniqueIdentityTypes?: string[];
  /** Most device ids (`anonymous_id`) one profile links; a merge or link beyond it is refused. @defaultValue 50 */
  maxDevicesPerProfile?: number;
  /** How long a visitor's profile token (`POST /v1/profile-token`) is valid, in ms. @defaultValue 900000 (15 min) */
  profileTokenTtlMs?: number;
}

/** Events the collector emits after a commit, for dashboards that stream arrivals. */
export interface CollectorEvents {
  event: StoredEvent;
  consent: StoredConsent;
  /** Profiles that changed (new touchpoints, merges, undone merges): root ids and the ids they absorbed. */
  profile: { profileIds: string[] };
}

/** Server-side access to the unified profiles, the same data the secret-key profile API answers. */
export interface CollectorProfiles {
  /** The profile (an absorbed id reads its survivor); undefined when there is none. */
  get(profileId: string, timelineLimit?: number): Promise<ProfileView | undefined>;
  /** The profile holding identity `type:value`. */
  find(type: string, value: string): Promise<ProfileView | undefined>;
  /** The visitor-facing summary (open cart, recently viewed, …). */
  summary(profileId: string): Promise<ProfileSummaryView | undefined>;
  /** Root profiles, most recently changed first. */
  list(limit?: number): Promise<{ total: number; profiles: ProfileListEntry[] }>;
  /** The merge log, newest first. */
  merges(options?: { profileId?: string; limit?: number }): Promise<MergeLogEntry[]>;
  /** Undoes a merge, restoring both profiles' identities and events. */
  undoMerge(mergeId: string): Promise<UndoResult>;
}

/** A Node request handler with its database, readiness and arrival hooks. */
export interface Collector {
  /** Handles one request; calls `next` (when given) for paths it does not serve, else answers 404. */
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Resolves when the database is open and migrated; rejects when it cannot be. */
  readonly ready: Promise<void>;
  /** The database, for tests and the dashboard. */
  readonly db: Db;
  /** The unified profiles, for the dashboard and server code. */
  readonly profiles: CollectorProfiles;
  /** Calls `fn` for every newly stored event or consent record; returns a function that unsubscribes. */
  on<K extends keyof CollectorEvents>(type: K, fn: (payload: CollectorEvents[K]) => void): () => void;
  /** Removes a listener added with {@link Collector.on}. */
  off<K extends keyof CollectorEvents>(type: K, fn: (payload: CollectorEvents[K]) => void): void;
  /** Closes the database (unless it was passed in as `db`). */
  close(): Promise<void>;
}

const BATCH_PATHS = new Set(['/v1/batch', '/v1/b', '/v1/import']);
/** Segment's single-event endpoints: analytics-next posts to the short ones, the HTTP API to the long ones. */
const SINGLE_PATHS: Record<string, (typeof EVENT_TYPES)[number]> = {
  '/v1/t': 'track', '/v1/track': 'track',
  '/v1/p': 'page', '/v1/page': 'page',
  '/v1/s': 'screen', '/v1/screen': 'screen',
  '/v1/i': 'identify', '/v1/identify': 'identify',
  '/v1/a': 'alias', '/v1/alias': 'alias',
  '/v1/g': 'group', '/v1/group': 'group',
};
const CONSENT_PATH = '/v1/consent';
const PROFILE_PATH = /^\/v1\/(profiles(\/[^/]+)?|merges(\/[^/]+\/undo)?|profile-token|me|me\/stream)$/;
const HEALTH_PATH = '/healthz';
/** The missing-identity-secret warning is logged once per process, not once per collector. */
let warnedUnverified = false;

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Creates the reference collector: `POST /v1/batch` (and Segment's `/v1/b`, `/v1/t`, `/v1/p`, `/v1/i`, `/v1/a`, `/v1/g`),
 * `POST /v1/consent`, `GET /healthz`, the identity graph behind them, the secret-key profile API (`GET /v1/profiles/{id}`,
 * `GET /v1/profiles?identity=type:value`, `GET /v1/merges`, `POST /v1/merges/{id}/undo`) and the visitor's own profile
 * (`POST /v1/profile-token`, `GET /v1/me`, `GET /v1/me/stream`).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * const collector = createCollector({ writeKeys: { wk_live_1: { allowedOrigins: ['https://shop.example'] } } });
 * await collector.ready;
 * createServer(collector).listen(8081);
 * collector.on('event', ({ event }) => console.log(event.type, event.messageId));
 * // Express: app.use(collector)  ·  Fastify: await app.register(middie); app.use(collector)
 * ```
 */
export function createCollector(options: CollectorOptions): Collector {
  if (!options || !isObject(options.writeKeys) || !Object.keys(options.writeKeys).length) {
    throw new TypeError('createCollector: options.writeKeys needs at least one write key, e.g. { wk_dev: { allowedOrigins: ["http://localhost:3000"] } }');
  }
  const keys = createKeyRing(options.writeKeys);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const rateLimit = options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit;
  const limiter = rateLimit ? createRateLimiter(rateLimit, options.now) : undefined;
  const onError = options.onError ?? ((error, context) => console.error(`[touchpoint collector] ${context}:`, error));
  const ownsDb = !options.db;
  const db =
    options.db ?? openDb(options.databaseUrl ?? process.env.DATABASE_URL, options.dataDir ?? process.env.TOUCHPOINT_DATA_DIR ?? '.touchpoint', { onError: (e) => onError(e, 'database pool') });
  const ready = db.ready.then(() => migrate(db)).then(() => undefined);
  ready.catch((error) => onError(error, 'opening the database'));
  let closed = false;
  const device = options.deviceCookie ? createDeviceCookie(options.deviceCookie, options.trustProxy) : undefined;

  const listeners: { [K in keyof CollectorEvents]: Set<(p: CollectorEvents[K]) => void> } = { event: new Set(), consent: new Set(), profile: new Set() };
  const emit = <K extends keyof CollectorEvents>(type: K, payload: CollectorEvents[K]) => {
    for (const fn of listeners[type]) {
      try {
        fn(payload);
      } catch (error) {
        onError(error, `an on('${type}') listener threw`);
      }
    }
  };

  const clientIp = (req: IncomingMessage) => {
    const fwd = options.trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]!.trim() : '';
    return fwd || req.socket?.remoteAddress || 'unknown';
  };

  const rules = createIdentityRules(options);
  const identityVerificationSecret = options.identityVerificationSecret ?? process.env.TOUCHPOINT_IDENTITY_SECRET ?? undefined;
  if (!identityVerificationSecret && !warnedUnverified) {
    warnedUnverified = true;
    console.warn(
      '[touchpoint collector] no identityVerificationSecret (TOUCHPOINT_IDENTITY_SECRET): a device that identifies with a visitor\'s user id or e-mail can read that visitor\'s profile via /v1/me. Configure one; see README "Identity verification".',
    );
  }
  const profileApi = createProfileApi({
    identityVerificationSecret,
    db,
    ready,
    keys,
    secretKey: options.secretKey ?? process.env.TOUCHPOINT_SECRET_KEY ?? undefined,
    tokenTtlMs: options.profileTokenTtlMs ?? DEFAULT_PROFILE_TOKEN_TTL_MS,
    now: options.now ?? Date.now,
    take: limiter ? (req, key) => limiter.take(`${clientIp(req)}|${key}`) : undefined,
    onError,
    emitProfiles: (profileIds) => emit('profile', { profileIds }),
  });
  const profilesChanged = (profileIds: string[]) => {
    if (!profileIds.length) return;
    emit('profile', { profileIds });
    profileApi.changed(profileIds);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    // before the key is known, echo only origins that some key allows
    let cors = origin && keys.anyAllows(origin) ? corsHeaders(origin) : {};
    const error = (e: HttpError) => sendError(res, e, cors);

    if (path === HEALTH_PATH) {
      if (method !== 'GET' && method !== 'HEAD') return error({ status: 405, code: 'method_not_allowed', message: `${method} is not allowed on ${HEALTH_PATH}; use GET`, headers: { Allow: 'GET, HEAD' } });
      try {
        await ready;
        await db.query('SELECT 1');
        return sendJson(res, 200, { status: 'ok', database: db.kind });
      } catch {
        return sendJson(res, 503, { status: 'unavailable', database: db.kind, error: { code: 'database_unavailable', message: 'the database is not reachable' } });
      }
    }

    if (PROFILE_PATH.test(path) && (await profileApi.handle(req, res, path, method, origin))) return;

    const single = SINGLE_PATHS[path];
    const kind = BATCH_PATHS.has(path) ? 'batch' : single ? 'single' : path === CONSENT_PATH ? 'consent' : undefined;
    if (!kind) {
      if (next) return next();
      return error({ status: 404, code: 'not_found', message: `no endpoint at ${path}; use POST /v1/batch, POST /v1/consent, GET /v1/profiles/{id} or GET /healthz` });
    }

    if (method === 'OPTIONS') {
      if (!origin || !keys.anyAllows(origin)) {
        return error({ status: 403, code: 'origin_not_allowed', message: `origin ${origin ?? '(none)'} is not in any write key's allowedOrigins` });
      }
      res.writeHead(204, preflightHeaders(origin, req.headers['access-control-request-headers'] as string | undefined));
      return void res.end();
    }
    if (method !== 'POST') return error({ status: 405, code: 'method_not_allowed', message: `${method} is not allowed on ${path}; use POST`, headers: { Allow: 'POST, OPTIONS' } });

    // a key in the headers is checked before the body is read; Segment's single-event bodies carry it inside
    let writeKey = headerWriteKey(req);
    const authorise = (key: string | undefined): HttpError | undefined => {
      const check = authoriseKey(keys, key, origin, (k) => limiter?.take(`${clientIp(req)}|${k}`) ?? 0, 'as HTTP Basic user name, in X-Write-Key, or as writeKey in the body');
      cors = check.cors ?? cors;
      return check.error;
    };
    if (writeKey) {
      const denied = authorise(writeKey);
      if (denied) {
        req.resume();
        return error(denied);
      }
    }

    const read = await readJsonBody(req, maxBodyBytes);
    if (!read.ok) return error(read);
    const body = read.body;

    if (!writeKey) {
      const inBody = isObject(body) ? body.writeKey : undefined;
      const firstEvent = isObject(body) && Array.isArray(body.batch) && isObject(body.batch[0]) ? body.batch[0].writeKey : undefined;
      writeKey = typeof inBody === 'string' ? inBody : typeof firstEvent === 'string' ? firstEvent : undefined;
      const denied = authorise(writeKey);
      if (denied) return error(denied);
    }
    const key = writeKey!;

    let items: unknown[];
    if (kind === 'batch') {
      const parsed = batchSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const where = issue.path.length ? issue.path.join('.') : 'body';
        return error({ status: 400, code: 'invalid_batch', message: `body is not a batch: ${where}: ${issue.message}; send { batch: [...], sentAt }` });
      }
      items = parsed.data.batch;
    } else if (kind === 'single') {
      if (!isObject(body)) return error({ status: 400, code: 'invalid_event', message: 'body is not an event object' });
      items = [{ ...body, type: body.type ?? single }];
    } else {
      if (isObject(body) && 'records' in body) {
        const records = body.records;
        if (!Array.isArray(records) || !records.length || records.length > 100) {
          return error({ status: 400, code: 'invalid_consent_body', message: 'records must be an array of 1 to 100 consent records' });
        }
        items = records;
      } else if (isObject(body)) {
        const { writeKey: _key, ...record } = body;
        items = [record];
      } else {
        return error({ status: 400, code: 'invalid_consent_body', message: 'send one consent record or { records: [...] }' });
      }
    }

    try {
      await ready;
    } catch {
      return error({ status: 503, code: 'database_unavailable', message: 'the collector cannot reach its database; retry later', headers: { 'Retry-After': '5' } });
    }
    if (kind !== 'consent') stripDeviceIds(items);
    const setCookie = device && (kind === 'consent' ? device.consent(req, items) : device.batch(req, items));
    const headers = setCookie ? { ...cors, 'Set-Cookie': setCookie } : cors;
    if (kind === 'consent') {
      const { response, stored } = await ingestConsent(db, items, key);
      sendJson(res, response.accepted + response.duplicates ? 200 : 400, response, headers);
      for (const s of stored) emit('consent', s);
    } else {
      const { response, stored, profiles } = await ingestEvents(db, items, key, rules);
      sendJson(res, response.accepted + response.duplicates ? 200 : 400, response, headers);
      for (const s of stored) emit('event', s);
      profilesChanged(profiles);
    }
  }

  const collector = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    if (closed) return sendError(res, { status: 503, code: 'closed', message: 'the collector is shutting down', headers: { 'Retry-After': '5' } });
    handle(req, res, next).catch((error) => {
      // the path only: a query may carry a profile token (EventSource cannot send headers)
      onError(error, `${req.method} ${(req.url ?? '/').split('?')[0]}`);
      sendError(res, { status: 500, code: 'internal_error', message: 'the collector could not store the request; retry later' });
    });
  }) as Collector;

  const viewOf = async (id: string | undefined, limit?: number) => (id ? readProfile(db, id, limit) : undefined);
  const profiles: CollectorProfiles = {
    get: async (id, limit) => (await ready, viewOf(id, limit)),
    find: async (type, value) => (await ready, viewOf(await profileByIdentity(db, type, value))),
    async summary(id) {
      await ready;
      const root = (await db.query<{ root_id: string }>(`SELECT root_id FROM profiles WHERE profile_id = $1`, [id])).rows[0]?.root_id;
      return root ? readSummary(db, root) : undefined;
    },
    list: async (limit) => (await ready, listProfiles(db, limit)),
    merges: async (o) => (await ready, listMerges(db, o)),
    async undoMerge(mergeId) {
      await ready;
      const r = await undoMerge(db, mergeId);
      if (r.ok) profilesChanged(r.touched);
      return r;
    },
  };
  Object.defineProperties(collector, {
    ready: { value: ready, enumerable: true },
    db: { value: db, enumerable: true },
    profiles: { value: profiles, enumerable: true },
  });
  collector.on = (type, fn) => {
    listeners[type].add(fn);
    return () => void listeners[type].delete(fn);
  };
  collector.off = (type, fn) => void listeners[type].delete(fn);
  collector.close = async () => {
    if (closed) return;
    closed = true;
    profileApi.close();
    await ready.catch(() => {});
    if (ownsDb) await db.close();
  };
  return collector;
}
