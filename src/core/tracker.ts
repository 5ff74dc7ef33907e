/**
 * The tracker facade: builds events, gates them on consent, writes them to the outbox and wires every service
 * (capture, consent, outbox, transport). The only module that imports services. Never throws into the page.
 */
import type { Campaign, EventContext, IdentityLink, TouchpointEvent } from '../schema/event';
import type { ConsentManager, ConsentState } from '../consent/types';
import type { Outbox, OutboxRecord } from '../outbox/types';
import type { Destination } from '../transport/types';
import { OUTBOX_RECORD_VERSION } from '../outbox/types';
import { checkConfig, type TouchpointConfig } from './config';
import { createLog, type Log } from '../util/log';
import { guard } from '../util/guard';
import { uuid } from '../util/ids';
import { createEmitter } from '../util/emitter';
import { byteLength, nestsDeeper, repairSurrogates, safeStringify } from '../util/json';
import { watchNavigation } from '../capture/navigation';
import { parseCampaign } from '../capture/campaign';
import { classifyChannel, CHANNEL_RULES_VERSION } from '../capture/channel-rules';
import { DEFAULT_REDACTED_PARAMS, redactUrl } from '../capture/redact';
import { createCommerce, type Commerce } from '../capture/commerce';
import { campaignKey } from '../capture/campaign';
import type { IdentityInput, hashIdentities, mergeLinks } from '../identity/hash';
import { createSessions } from '../identity/session';
import type { startLinking } from '../identity/linker';
import type { createProfileHub, ProfileHub, ProfileSummary } from '../identity/profile-client';

/** The SDK version, replaced at build time. */
export const VERSION: string = typeof __TOUCHPOINT_VERSION__ === 'string' ? __TOUCHPOINT_VERSION__ : '0.0.0-dev';
declare const __TOUCHPOINT_VERSION__: string | undefined;

const MAX_EVENT_BYTES = 32 * 1024;
/** Deepest nesting of `properties` and `traits` (`{}` is 1), so the whole event stays within the collector's 32 levels. */
const MAX_PROPERTIES_DEPTH = 30;
const MAX_HELD_EVENTS = 200;

/** Options accepted by `page`, `track`, `identify` and `alias`. */
export interface CallOptions {
  /** The consent category the event belongs to. @defaultValue 'analytics' */
  category?: string;
  /** When the touchpoint happened (ms since epoch or ISO string); now when omitted. */
  timestamp?: number | string;
  /** Typed identity links for `identify` (e-mail and phone are hashed in the browser). */
  identities?: IdentityInput[];
}

/** Names `on` accepts. */
export type TouchpointEventName = 'ready' | 'event' | 'delivered' | 'retrying' | 'dropped' | 'consent' | 'profile' | 'error';

/** The public API, identical from the npm entry and from the script tag (`window.touchpoint`). */
export interface Touchpoint {
  /** Records a page view. @example touchpoint.page('Home') */
  page(name?: string, properties?: Record<string, unknown>, options?: CallOptions): void;
  /** Records an action. @example touchpoint.track('product_added', { product_id: 'p1', price: 9.5 }) */
  track(event: string, properties?: Record<string, unknown>, options?: CallOptions): void;
  /** Ties the device to a known user. @example touchpoint.identify('u-42', { plan: 'gold' }) */
  identify(userId?: string | null, traits?: Record<string, unknown>, options?: CallOptions): void;
  /** Links a new id to a previous one. @example touchpoint.alias('u-42') */
  alias(newId: string, previousId?: string, options?: CallOptions): void;
  /** Forgets the user and starts a new device identity (call on logout). */
  reset(): void;
  /** Sends what is waiting now; resolves when done (never rejects). */
  flush(): Promise<void>;
  /** Calls back once the SDK has loaded its consent state. */
  ready(callback: () => void): void;
  /** Subscribes to SDK events; returns an unsubscribe function. */
  on(name: TouchpointEventName, handler: (detail: unknown) => void): () => void;
  /** Prints the outbox size, consent state and last delivery error to the console, and returns them. */
  debug(): Promise<Record<string, unknown>>;
  /** Typed helpers for the commerce event catalogue. */
  commerce: Commerce;
  /**
   * The visitor's own unified profile summary (open cart, recently viewed products, preferred channel) from the
   * collector; needs personalization consent and a device id (analytics consent). Resolves undefined without them or on
   * any failure; never rejects. Live updates: `on('profile', handler)`.
   * @example const p = await touchpoint.profile(); if (p?.openCart) showCart(p.openCart.products);
   */
  profile(): Promise<ProfileSummary | undefined>;
  /** Consent: read, set from another CMP, open the preferences. */
  consent: {
    get(): ConsentState;
    set(choices: Record<string, boolean>, options?: { method?: 'api' | 'cmp' }): void;
    open(): void;
  };
}

/** What core needs from the services; each is a seam tests and the two entries fill. */
export interface TrackerDeps {
  createConsent(log: Log, post: (record: unknown) => void): ConsentManager | { failed: string };
  openOutbox(log: Log): Promise<Outbox>;
  createDelivery(outbox: Outbox, destinations: Destination[], emit: (name: string, detail: unknown) => void): Delivery;
  /** The destinations of the config: one native one from collectorUrl/writeKey unless `destinations` says otherwise. */
  createDestinations(config: TouchpointConfig): Destination[];
  postConsent(config: TouchpointConfig, record: unknown): void;
  loadAddon?(name?: 'vitals'): Promise<{ startVitals(report: (name: string, properties: Record<string, unknown>) => void): void } | undefined>;
  /** Loads the identity-link hashing chunk, needed only by `identify(…, { identities })`. */
  loadHashing?(): Promise<{ hashIdentities: typeof hashIdentities; mergeLinks: typeof mergeLinks }>;
  /** Loads the cross-domain linker chunk, needed only with `linkDomains` or a `_tp` landing parameter. */
  loadLinker?(): Promise<{ startLinking: typeof startLinking }>;
  /** Loads the profile client chunk, needed only by `profile()` and `on('profile')`. */
  loadProfiles?(): Promise<{ createProfileHub: typeof createProfileHub }>;
  now?: () => number;
  window?: Window;
}

/** The delivery side of the outbox (the flusher), as core drives it. */
export interface Delivery {
  notify(records: OutboxRecord[]): void;
  flush(): Promise<void>;
  pageHide(): void;
  start(): void;
  stop(): void;
  status(): Record<string, unknown>;
}

interface Queued {
  event: TouchpointEvent;
  category: string;
  /** Serialized size, measured once in capture; undefined when fields were added since (held events, ids loaded late). */
  bytes?: number;
}

/** Creates a tracker. Returns an inert one (every call a no-op) when the config cannot run, after one console error. */
export function createTracker(config: TouchpointConfig, deps: TrackerDeps): Touchpoint {
  const { fatal, problems } = checkConfig(config);
  const log = createLog(!!(config as TouchpointConfig | undefined)?.debug);
  if (fatal) log.error('not started, the config cannot run: ' + problems.join('; '));
  else problems.forEach((p) => log.warn(p));
  const threw = (e: unknown) => log.warn('an on() handler threw', e);
  const emitter = createEmitter(threw);
  const now = deps.now ?? Date.now;
  const win = deps.window ?? window;
  const doc = win.document;

  let consent: ConsentManager | undefined;
  if (!fatal) {
    const c = deps.createConsent(log, (record) => deps.postConsent(config, record));
    if ('failed' in c) log.error(c.failed + ' — tracking is off (fail closed)');
    else consent = c;
  }
  if (!consent) return inert(emitter);

  const redactKeys = [...DEFAULT_REDACTED_PARAMS, ...(Array.isArray(config.redactParams) ? config.redactParams : [])];
  const redact = (u: string) => (u ? redactUrl(u, redactKeys) : u);
  const loc = win.location;
  // cross-domain landing: `_tp` leaves the address bar at once so no page view, bookmark or share carries it; the token
  // stays in memory only; the linker chunk adopts it once analytics is granted, if fresh and valid
  const landing = /[?&]_tp=/.test(loc.search) && loc.href;
  if (landing) {
    const u = new URL(landing);
    u.searchParams.delete('_tp');
    storage(() => win.history.replaceState(win.history.state, '', u.href));
  }
  let campaign: Campaign | undefined;
  let channel: string;
  /** An arrival: its campaign and its channel (GA4's rules, channel-rules.ts). */
  const arrive = (c: Campaign | undefined, ref: string) => {
    campaign = c;
    channel = classifyChannel({ source: c?.source, medium: c?.medium, campaign: c?.name, referrer: ref, landingHost: loc.hostname, clickIds: c as Record<string, string> | undefined });
  };
  arrive(parseCampaign(loc.search), doc.referrer);
  let referrer = doc.referrer;
  let lastPageUrl = '';

  let anonymousId: string | undefined;
  let userId: string | undefined;
  /** The device's identity links (hashed where due), each identify carries them all; stored with the outbox. */
  let links: IdentityLink[] = [];
  let held: Queued[] = [];
  let outbox: Outbox | undefined;
  let opening: Promise<void> | undefined;
  let delivery: Delivery | undefined;
  let waiting: Queued[] = [];
  let writeScheduled = false;
  let seq = 0;
  let readyFired = false;
  const readyCallbacks: (() => void)[] = [];

  // the redacted page context only changes with the URL, referrer or title: build it once per change, not per event
  let pageKey = '';
  let pageContext: NonNullable<EventContext['page']>;
  const currentPage = () => {
    const key = loc.href + '\n' + referrer + '\n' + doc.title;
    if (key !== pageKey) {
      pageKey = key;
      pageContext = {
        url: redact(loc.href),
        path: loc.pathname,
        referrer: redact(referrer),
        title: doc.title,
        search: redact(loc.search ? '?' + loc.search.slice(1) : '').replace(/^[^?]*/, ''),
      };
    }
    return { ...pageContext };
  };

  const context = (): EventContext => {
    const { policyVersion, granted } = consent!.get();
    return {
      page: currentPage(),
      campaign,
      channel,
      channelRules: CHANNEL_RULES_VERSION,
      locale: win.navigator.language,
      screen: { width: win.screen.width, height: win.screen.height, density: win.devicePixelRatio },
      library: { name: 'touchpoint', version: VERSION },
      consent: { policyVersion, categories: granted },
    };
  };

  const timestampOf = (t: CallOptions['timestamp']) => {
    const d = new Date(t === undefined ? now() : t);
    return Number.isNaN(d.getTime()) ? new Date(now()).toISOString() : d.toISOString();
  };

  /** Builds, validates and routes one event. */
  const capture = (fields: Partial<TouchpointEvent> & { type: TouchpointEvent['type'] }, options: CallOptions = {}) => {
    const category = typeof options.category === 'string' ? options.category : 'analytics';
    const pending = consent!.get().status === 'pending';
    const allowed = !pending && consent!.allows(category);
    let event = {
      ...fields,
      messageId: uuid(),
      anonymousId,
      userId,
      timestamp: timestampOf(options.timestamp),
      context: context(),
    } as TouchpointEvent;
    // a consented event is final here, so the one serialization below also sizes its outbox record
    if (allowed) addSession(event);
    if (nestsDeeper(fields.properties, MAX_PROPERTIES_DEPTH) || nestsDeeper(fields.traits, MAX_PROPERTIES_DEPTH)) {
      return log.warn(`${fields.type} rejected: properties nest deeper than ${MAX_PROPERTIES_DEPTH} levels or are cyclic`);
    }
    let json = safeStringify(event);
    if (json === undefined) return log.warn(`${fields.type} rejected: properties are cyclic or not serializable`);
    const repaired = repairSurrogates(json);
    if (repaired) event = JSON.parse((json = repaired));
    const bytes = byteLength(json);
    if (bytes > MAX_EVENT_BYTES) return log.warn(`${fields.type} rejected: larger than ${MAX_EVENT_BYTES} bytes`);
    emitter.emit('event', event);
    if (pending) {
      if (heldMode() && held.length < MAX_HELD_EVENTS) held.push({ event, category });
      else log.info(`${fields.type} dropped: no consent decision yet`);
      return;
    }
    if (!allowed) return log.info(`${fields.type} dropped: category "${category}" not granted`);
    enqueue({ event, category, bytes: anonymousId ? bytes : undefined });
  };

  const heldMode = () => consent!.config().beforeConsent === 'hold';

  // only consented events carry a session
  const addSession = (event: TouchpointEvent) => {
    event.context!.session = { ...sessions.touch(campaignKey(event.context!.campaign)) };
  };

  const enqueue = (q: Queued) => {
    if (!q.event.context!.session) addSession(q.event);
    waiting.push(q);
    if (!outbox) return void openStore();
    if (!writeScheduled) {
      writeScheduled = true;
      // one transaction per burst: everything enqueued in this task is written together
      queueMicrotask(writeWaiting);
    }
  };

  const writeWaiting = () => {
    writeScheduled = false;
    if (!outbox || !waiting.length) return;
    const batch = waiting;
    waiting = [];
    const t = now();
    for (const q of batch) {
      q.event.anonymousId ??= anonymousId;
      q.event.userId ??= userId;
    }
    const records: OutboxRecord[] = batch.map((q) => {
      // strictly increasing across bursts of this page; other tabs interleave by time
      seq = Math.max(t * 1000, seq + 1);
      const bytes = q.bytes ?? byteLength(JSON.stringify(q.event));
      return { id: q.event.messageId, seq, createdAt: t, bytes, v: OUTBOX_RECORD_VERSION, category: q.category, event: q.event };
    });
    const o = outbox;
    o.put(records).then(
      () => outbox === o && delivery?.notify(records),
      (e) => log.warn('outbox write failed', e),
    );
  };

  const sessions = createSessions({
    read: () => storage(() => win.localStorage.getItem('tp_session')),
    write: (v) => storage(() => win.localStorage.setItem('tp_session', v)),
    uuid,
  });

  /** The device identity: the outbox database holds it, the cookie mirrors it for subdomains; one per browser. */
  const loadIdentity = async (o: Outbox) => {
    const l = await linking;
    // a fresh, valid `_tp` token from another of the shop's domains wins, then the stored id, then the cookie mirror
    const adopted = l?.adopt();
    const cookie = l?.cookie() ?? uuid();
    anonymousId = await o.updateMeta<string>('anonymousId', (old) => adopted ?? old ?? cookie);
    // a user identified before the store opened (a login before the decision) is kept for the next pages
    userId = await o.updateMeta<string | undefined>('userId', (old) => userId ?? old);
    // links given before consent join the stored set (the next identify folds duplicates)
    links = await o.updateMeta<IdentityLink[]>('identities', (old) => (old ?? []).concat(links));
    idChanged(anonymousId);
  };

  // what the identity chunks see of core
  const self = { config, consent, now, win, deviceId: () => anonymousId, onError: threw };
  /** A lazy chunk, or undefined (after one warning) when it cannot load; never rejects. */
  const chunk = <T>(name: string, load?: () => Promise<T>): Promise<T | void> => Promise.resolve(load?.()).catch((e) => log.warn(name + ' chunk failed to load', e));
  // the linker chunk (cross-domain tokens, the subdomain cookie mirror) loads only when one of them is in use
  const linking =
    landing || config.linkDomains?.length || config.cookieDomain
      ? chunk('linker', deps.loadLinker).then((m) => m && m.startLinking(self, landing))
      : undefined;
  /** A new (or no) device id: the cookie mirror follows it, the profile stream reopens for it or stops. */
  const idChanged = (id?: string) => {
    void linking?.then((l) => l && l.mirror(id));
    void hub?.then((h) => h && h.sync());
  };
  const saveLinks = () => void outbox?.updateMeta('identities', () => links);
  /** The identify calls with links still hashing, chained in call order. */
  let linked: Promise<void> = Promise.resolve();

  const setDeviceId = (id: string | undefined, user: string | undefined) => {
    anonymousId = id;
    userId = user;
    if (outbox && id) {
      void outbox.updateMeta('anonymousId', () => id);
      void outbox.updateMeta('userId', () => user);
      idChanged(id);
    }
  };

  const openStore = () => {
    if (opening) return opening;
    const p: Promise<void> = (opening = deps.openOutbox(log).then(
      async (o) => {
        if (opening === p) await loadIdentity(o).catch((e) => log.warn('device id not stored', e));
        // closed while the database opened: a withdrawal deletes it as if it had been open
        if (opening !== p) return consent!.allows('analytics') ? void o.close() : ((outbox = o), forget());
        outbox = o;
        delivery = deps.createDelivery(o, deps.createDestinations(config), (name, detail) => {
          if (name === 'error') log.warn(String(detail));
          emitter.emit(name, detail);
        });
        delivery.start();
        // what the journal takes over later (a crashed tab's writes) is sent without waiting for the next event
        o.taken?.((records) => outbox === o && delivery?.notify(records));
        writeWaiting();
      },
      (e) => log.warn('outbox could not open', e),
    ));
    return p;
  };

  const closeStore = async (destroy: boolean) => {
    delivery?.stop();
    const o = outbox;
    outbox = undefined;
    delivery = undefined;
    opening = undefined;
    waiting = [];
    if (o) await o.close(destroy);
  };

  // withdrawal is total: the whole outbox database and the device identity go at once
  const forget = () => {
    anonymousId = userId = undefined;
    links = [];
    sessions.reset();
    void closeStore(true);
    storage(() => win.localStorage.removeItem('tp_session'));
    idChanged();
  };

  const onConsent = (state: ConsentState, previous: ConsentState) => {
    emitter.emit('consent', state);
    const withdrawn = previous.granted.filter((c) => !state.granted.includes(c));
    if (withdrawn.includes('analytics')) forget();
    else if (withdrawn.length && outbox) {
      void outbox.clear(withdrawn);
    }
    if (previous.status === 'pending' && state.status === 'decided') {
      const keep = held.filter((q) => consent!.allows(q.category));
      held = [];
      if (!consent!.allows('analytics')) return;
      // open the outbox now: its start-up flush sends earlier pages' leftovers before anything new
      void openStore();
      keep.forEach(enqueue);
      // decided one click after landing: the landing page's address (the referrer) still names the campaign
      if (!campaign && referrer.startsWith(loc.origin + '/')) arrive(parseCampaign(referrer), '');
      // on grant the landing touchpoint is not lost: capture the current page view unless it was held
      if (config.autoPageViews !== false && !keep.some((q) => q.event.type === 'page' && q.event.context?.page?.url === redact(loc.href))) {
        lastPageUrl = '';
        pageView();
      }
      startVitals();
    } else if (state.status === 'pending') {
      held = [];
    }
  };

  const pageView = (name?: string, properties?: Record<string, unknown>, options?: CallOptions) => {
    lastPageUrl = loc.href;
    capture({ type: 'page', name, properties: { ...currentPage(), ...properties } }, options);
  };

  // profile() and on('profile') load the profile chunk on first use; it keeps the live stream in step with consent
  let hub: Promise<ProfileHub | void> | undefined;
  const profiles = () =>
    // a hub that fails to start resolves void: never an unhandled rejection in the page
    (hub ||= chunk('profile', () => Promise.resolve(deps.loadProfiles?.()).then((m) => m && m.createProfileHub(self))));

  let vitalsStarted = false;
  const startVitals = () => {
    if (vitalsStarted || config.webVitals === false || !consent!.allows('analytics')) return;
    vitalsStarted = true;
    void chunk('web vitals', deps.loadAddon).then((m) => m?.startVitals((event, properties) => capture({ type: 'track', event, properties })));
  };

  const api: Touchpoint = {
    page: guard(log, 'page', (name?: string, properties?: Record<string, unknown>, options?: CallOptions) => {
      if (name !== undefined && name !== null && typeof name !== 'string') return log.warn('page(name) needs a string name');
      if (!isProps(properties)) return log.warn('page properties must be a plain object');
      pageView(name ?? undefined, properties, options);
    }),
    track: guard(log, 'track', (event: string, properties?: Record<string, unknown>, options?: CallOptions) => {
      if (typeof event !== 'string' || !event.trim() || event.length > 200) return log.warn('track(event) needs an event name of 1–200 characters');
      if (!isProps(properties)) return log.warn(`track("${event}") properties must be a plain object`);
      capture({ type: 'track', event, properties: properties ?? {} }, options);
    }),
    identify: guard(log, 'identify', (id?: string | null, traits?: Record<string, unknown>, options?: CallOptions) => {
      if (id !== undefined && id !== null && (typeof id !== 'string' || !id)) return log.warn('identify(userId) needs a non-empty string or null');
      if (!isProps(traits)) return log.warn('identify traits must be a plain object');
      if (typeof id === 'string' && id !== userId) setDeviceId(anonymousId, id);
      const timestamp = options?.timestamp ?? now();
      const given = options?.identities;
      const send = () => capture({ type: 'identify', traits: traits ?? {}, ...(links.length && { identities: links }) }, { ...options, timestamp });
      if (!Array.isArray(given)) return send();
      // e-mail and phone leave the browser only as SHA-256 of the normalised value
      const onDrop = (type: string, reason: string) => log.warn(`identity link "${type}" dropped: ${reason}`);
      // hashing loads on first use; if it cannot, the links are left out rather than sent in clear. One call at a time,
      // in call order, each merging into the set the one before left (a quick second call must not overwrite the first)
      linked = linked
        .then(() => chunk('identity links left out: hashing', deps.loadHashing))
        .then(async (m) => {
          const hashed = m && (await m.hashIdentities(given, { onDrop }));
          // the device's whole identity set travels with every change, so the collector never needs an earlier event
          if (hashed) links = m.mergeLinks(links, hashed);
          saveLinks();
        })
        .then(send, send);
    }),
    alias: guard(log, 'alias', (newId: string, previousId?: string, options?: CallOptions) => {
      if (typeof newId !== 'string' || !newId) return log.warn('alias(newId) needs a non-empty string');
      const previous = previousId ?? userId ?? anonymousId;
      if (!previous) return log.warn('alias() has no previous id to link');
      setDeviceId(anonymousId, newId);
      capture({ type: 'alias', previousId: previous }, options);
    }),
    reset: guard(log, 'reset', () => {
      // logout: a new device identity and session; the identity set and the user belong to the old one
      links = [];
      saveLinks();
      sessions.reset();
      setDeviceId(outbox ? uuid() : undefined, undefined);
    }),
    // the profile chunk's client asks the collector only with personalization consent and a device id
    profile: guard(log, 'profile', async () => {
      await opening;
      return (await profiles())?.get();
    }, Promise.resolve() as Promise<undefined>),
    flush: guard(log, 'flush', async () => {
      writeWaiting();
      await delivery?.flush();
    }, Promise.resolve()),
    ready: guard(log, 'ready', (cb: () => void) => {
      if (typeof cb !== 'function') return;
      readyFired ? guard(log, 'ready callback', cb)() : readyCallbacks.push(cb);
    }),
    on: guard(log, 'on', (name: TouchpointEventName, handler: (d: unknown) => void) => {
      if (typeof handler !== 'function') return () => {};
      if (name !== 'profile') return emitter.on(name, handler);
      const off = profiles().then((h) => h && h.on(handler));
      return () => void off.then((f) => f && f());
    }, () => {}),
    debug: guard(log, 'debug', async () => {
      const info = { consent: consent!.get(), anonymousId, userId, outbox: outbox ? { kind: outbox.kind, size: await outbox.count() } : 'closed', ...delivery?.status() };
      try {
        console.info('[touchpoint]', info);
      } catch {}
      return info;
    }, Promise.resolve({})),
    commerce: createCommerce((event, properties) => api.track(event, properties), (reason) => log.warn(reason)),
    consent: {
      get: () => consent!.get(),
      set: guard(log, 'consent.set', (choices: Record<string, boolean>, options?: { method?: 'api' | 'cmp' }) => {
        if (!choices || typeof choices !== 'object') return log.warn('consent.set() needs an object of category: boolean');
        consent!.set(choices, { method: options?.method === 'cmp' ? 'cmp' : 'api' });
      }),
      open: guard(log, 'consent.open', () => consent!.open()),
    },
  };

  consent.onChange(guard(log, 'consent change', onConsent));
  const hide = guard(log, 'pagehide', () => {
    writeWaiting();
    delivery?.pageHide();
  });
  win.addEventListener('pagehide', hide);
  doc.addEventListener('visibilitychange', () => doc.visibilityState === 'hidden' && hide());

  if (consent.allows('analytics')) void openStore();
  if (config.autoPageViews !== false) {
    pageView();
    watchNavigation((url, previous, restored) => {
      if (url === lastPageUrl && !restored) return;
      if (!restored) referrer = previous;
      const c = parseCampaign(new URL(url).search);
      if (c) arrive(c, '');
      pageView();
    }, win);
  }
  startVitals();
  readyFired = true;
  readyCallbacks.splice(0).forEach((cb) => guard(log, 'ready callback', cb)());
  emitter.emit('ready');
  return api;
}

function isProps(p: unknown): boolean {
  return p === undefined || p === null || (typeof p === 'object' && !Array.isArray(p));
}

function storage<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null; // storage disabled or full: sessions fall back to memory
  }
}

function inert(emitter: ReturnType<typeof createEmitter>): Touchpoint {
  const noop = () => {};
  const none = () => Promise.resolve() as Promise<undefined>;
  const state: ConsentState = { status: 'pending', granted: ['necessary'], denied: [], policyVersion: '' };
  return {
    page: noop, track: noop, identify: noop, alias: noop, reset: noop,
    flush: none, profile: none, ready: noop, on: (n, h) => emitter.on(n, h),
    debug: () => Promise.resolve({ disabled: true }),
    commerce: createCommerce(noop, noop),
    consent: { get: () => state, set: noop, open: noop },
  };
}
