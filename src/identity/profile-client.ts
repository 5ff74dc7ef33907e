/**
 * Context hand-off (personalization): reads the visitor's own profile summary from the collector with a scoped,
 * expiring token, once or live (server-sent events, polling when EventSource is missing). Imports nothing. Never runs
 * without personalization consent, never throws, never rejects.
 */

/** A product as the profile summary lists it (the commerce catalogue's product fields). */
export interface ProfileProduct {
  product_id?: string;
  sku?: string;
  name?: string;
  price?: number;
  quantity?: number;
  [key: string]: unknown;
}

/** The visitor's own profile summary, as `GET /v1/me` and the `profile` stream events carry it. */
export interface ProfileSummary {
  profileId?: string;
  openCart?: { products: ProfileProduct[]; updatedAt: string };
  recentlyViewed?: ProfileProduct[];
  /** e.g. 'email', 'store', 'web'. */
  preferredChannel?: string;
  /** ISO-8601 time the profile last saw a touchpoint. */
  lastSeenAt: string;
}

/** Options of {@link createProfileClient}. */
export interface ProfileClientOptions {
  /** Base URL of the collector. */
  collectorUrl: string;
  /** The write key the token request is authorised with. */
  writeKey: string;
  /** The current ids; the token is bound to `anonymousId`. */
  getIds(): { anonymousId?: string; userId?: string };
  /** Whether personalization consent is granted (checked before every request and every delivery). */
  allowed(): boolean;
  /** @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** EventSource constructor; `null` forces polling. @defaultValue globalThis.EventSource */
  EventSource?: typeof EventSource | null;
  /** Clock, epoch ms. @defaultValue Date.now */
  now?: () => number;
  /** Polling interval without EventSource, and the delay before reopening a stream the server closed, in ms. @defaultValue 30000 */
  pollMs?: number;
}

/** Profile client returned by {@link createProfileClient}. */
export interface ProfileClient {
  /** The visitor's profile summary; undefined without consent, without a device id or on any failure. */
  get(): Promise<ProfileSummary | undefined>;
  /** Calls `handler` with every profile update; returns an unsubscribe function. */
  subscribe(handler: (profile: ProfileSummary) => void): () => void;
}

// refresh a token this long before it expires, so a request never leaves with a token about to lapse
const EXPIRY_MARGIN_MS = 10_000;

const isProfile = (p: unknown): p is ProfileSummary => !!p && typeof p == 'object' && !Array.isArray(p);

/**
 * Creates the profile client. `POST {collectorUrl}/v1/profile-token` with `{ anonymousId }` (write key as Basic auth)
 * answers `{ token, expiresAt }`; the token is cached until shortly before it expires and fetched anew on a 401 or
 * when the device id changes. `GET /v1/me` (Bearer token) answers the summary; `GET /v1/me/stream?token=…` streams
 * `event: profile` messages.
 *
 * @param options - collector, key, ids, consent check and seams
 * @example
 * const profiles = createProfileClient({
 *   collectorUrl: 'https://collect.shop.example', writeKey: 'wk_live_1',
 *   getIds: () => ({ anonymousId }), allowed: () => consent.allows('personalization'),
 * });
 * const stop = profiles.subscribe((p) => renderCartReminder(p.openCart));
 */
export function createProfileClient(options: ProfileClientOptions): ProfileClient {
  const base = String(options.collectorUrl).replace(/\/+$/, '');
  const now = options.now || Date.now;
  const pollMs = options.pollMs || 30_000;
  let cached: { id: string; token: string; expires: number } | undefined;
  let pending: Promise<string | undefined> | undefined;

  const doFetch = (path: string, init: RequestInit) => (options.fetch || fetch)(base + path, { credentials: 'omit', ...init });

  const requestToken = async (id: string): Promise<string | undefined> => {
    const res = await doFetch('/v1/profile-token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + btoa(options.writeKey + ':') },
      body: JSON.stringify({ anonymousId: id }),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { token?: unknown; expiresAt?: unknown };
    const expires = typeof body.expiresAt == 'number' ? body.expiresAt : Date.parse(String(body.expiresAt));
    if (typeof body.token != 'string' || !body.token || !(expires > now())) return undefined;
    cached = { id, token: body.token, expires };
    return body.token;
  };

  /** A valid token for the current device id; one request at a time. */
  const token = (): Promise<string | undefined> => {
    const id = options.getIds().anonymousId;
    if (!id) return Promise.resolve(undefined);
    if (cached && cached.id == id && cached.expires - EXPIRY_MARGIN_MS > now()) return Promise.resolve(cached.token);
    cached = undefined;
    return (pending ||= requestToken(id).catch(() => undefined).finally(() => (pending = undefined)));
  };

  const get = async (): Promise<ProfileSummary | undefined> => {
    try {
      for (let attempt = 0; attempt < 2 && options.allowed(); attempt++) {
        const t = await token();
        if (!t) return undefined;
        const res = await doFetch('/v1/me', { headers: { Authorization: 'Bearer ' + t } });
        if (res.status == 401) {
          // revoked or expired early: forget it and ask once more
          if (cached?.token == t) cached = undefined;
          continue;
        }
        if (!res.ok) return undefined;
        const p: unknown = await res.json();
        return isProfile(p) && options.allowed() ? p : undefined;
      }
    } catch {}
    return undefined;
  };

  const subscribe = (handler: (profile: ProfileSummary) => void): (() => void) => {
    let stopped = false;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = '';
    const ES = options.EventSource === undefined ? globalThis.EventSource : options.EventSource;
    const stop = () => {
      stopped = true;
      source?.close();
      clearTimeout(timer);
    };
    const deliver = (p: unknown) => {
      if (stopped || !isProfile(p)) return;
      if (!options.allowed()) return stop();
      const json = JSON.stringify(p);
      if (json == last) return;
      last = json;
      try {
        handler(p);
      } catch {}
    };
    const later = (fn: () => void) => {
      if (!stopped) timer = setTimeout(fn, pollMs);
    };
    const poll = async () => {
      deliver(await get());
      later(poll);
    };
    const open = async () => {
      if (stopped || !options.allowed()) return;
      const t = await token();
      if (stopped) return;
      if (!t) return later(open);
      const es = (source = new ES!(base + '/v1/me/stream?token=' + encodeURIComponent(t)));
      es.addEventListener('profile', (e) => {
        try {
          deliver(JSON.parse((e as MessageEvent).data));
        } catch {}
      });
      es.onerror = () => {
        // the browser reconnects by itself unless the server refused (e.g. 401 once the token expired): then renew
        if (es.readyState != 2) return;
        es.close();
        if (cached?.token == t) cached = undefined;
        later(open);
      };
    };
    try {
      if (typeof handler != 'function' || !options.allowed()) return () => {};
      void (ES ? open() : poll()).catch(() => {});
    } catch {}
    return stop;
  };

  return { get, subscribe };
}

/** Options of {@link createProfileHub}: core's view of itself, plus the client's seams. */
export interface ProfileHubOptions extends Partial<Pick<ProfileClientOptions, 'fetch' | 'EventSource' | 'now' | 'pollMs'>> {
  /** The tracker config: the collector and the write key. */
  config: { collectorUrl: string; writeKey: string };
  /** `allows('personalization')` gates every request and delivery; each change re-checks the live stream. */
  consent: { allows(category: string): boolean; onChange(handler: () => void): unknown };
  /** The current device id (the token is bound to it); undefined without analytics consent. */
  deviceId(): string | undefined;
  /** Sees a throw of an `on('profile')` handler; the other handlers still run. */
  onError?: (e: unknown) => void;
}

/** What `touchpoint.profile()` and `touchpoint.on('profile', …)` run on; returned by {@link createProfileHub}. */
export interface ProfileHub {
  /** The visitor's profile summary; undefined without personalization consent, without a device id or on any failure. */
  get(): Promise<ProfileSummary | undefined>;
  /** Adds a handler for profile updates; the first one opens the live stream. Returns the remove function. */
  on(handler: (profile: ProfileSummary) => void): () => void;
  /** Re-checks handlers, consent and the device id: opens, stops or reopens the stream (core calls it when the id changes). */
  sync(): void;
}

/**
 * Creates the hub behind `profile()` and `on('profile')`: one live subscription while a handler exists and
 * personalization is granted, bound to the current device id (a new id after `reset()` or a cross-domain adoption
 * reopens it; withdrawal stops it). A handler added to a running stream gets the last profile at once.
 *
 * @param options - the client's options and the consent manager
 * @example
 * const hub = createProfileHub({ config: { collectorUrl, writeKey }, consent, deviceId: () => anonymousId });
 * const off = hub.on((p) => renderCartReminder(p.openCart));
 */
export function createProfileHub(options: ProfileHubOptions): ProfileHub {
  const allowed = () => options.consent.allows('personalization');
  const client = createProfileClient({ ...options, ...options.config, getIds: () => ({ anonymousId: options.deviceId() }), allowed });
  const handlers = new Set<(profile: ProfileSummary) => void>();
  let stream: { id: string; stop(): void } | undefined;
  let last: ProfileSummary | undefined;
  const call = (h: (profile: ProfileSummary) => void, p: ProfileSummary) => {
    try {
      h(p);
    } catch (e) {
      options.onError?.(e);
    }
  };
  const sync = () => {
    const id = (handlers.size && allowed() && options.deviceId()) || '';
    if (stream && stream.id != id) {
      stream.stop();
      stream = last = undefined;
    }
    if (id && !stream) stream = { id, stop: client.subscribe((p) => handlers.forEach((h) => call(h, (last = p)))) };
  };
  options.consent.onChange(sync);
  return {
    get: client.get,
    on(handler) {
      if (typeof handler != 'function') return () => {};
      handlers.add(handler);
      if (last && stream) call(handler, last);
      sync();
      return () => {
        handlers.delete(handler);
        sync();
      };
    },
    sync,
  };
}
