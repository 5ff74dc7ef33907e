/**
 * Core's identity wiring with small real services: the real consent manager, the memory outbox, the real linker,
 * hashing and profile chunks (imported as the npm entry does), a happy-dom window per tracker and a tiny collector
 * function for the profile endpoints. Checks consent gating of profile() and on('profile'), link decoration, the
 * adoption rules of `_tp`, and identity sync (full set, reset).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Window as HappyWindow } from 'happy-dom';
import { createTracker, type Touchpoint, type TrackerDeps } from '../../../src/core/tracker';
import type { TouchpointConfig } from '../../../src/core/config';
import { createConsentManager } from '../../../src/consent/manager';
import { createMemoryOutbox } from '../../../src/outbox/memory-outbox';
import type { Outbox, OutboxRecord } from '../../../src/outbox/types';
import { createLinker, LINKER_MAX_AGE_MS, LINKER_PARAM } from '../../../src/identity/linker';
import type { ProfileSummary } from '../../../src/identity/profile-client';
import { sha256Hex } from '../../../src/identity/hash';
import { config as consentConfig, memoryStorage, quietLog } from '../consent/helpers';

const T0 = 1_700_000_000_000;
const OTHER_ID = '0b9f4c1e-5d1a-4c1e-9a55-2f0f6a2c7b11';
const PROFILE: ProfileSummary = { profileId: 'p-1', openCart: { products: [{ product_id: 'sku-1' }], updatedAt: '2024-05-01T10:00:00.000Z' }, lastSeenAt: '2024-05-01T10:00:00.000Z' };

const windows: HappyWindow[] = [];
afterEach(async () => {
  for (const w of windows.splice(0)) await w.happyDOM.close();
});

/** Lets chunk imports, outbox writes and digests settle. */
const settle = async () => {
  for (let i = 0; i < 8; i++) await new Promise((r) => setTimeout(r, 5));
};

/** A `_tp` URL as shop.de's linker makes it for shop.at at time `t`. */
const decorated = (url: string, t = T0, id = OTHER_ID) =>
  createLinker({ domains: ['shop.at'], getDeviceId: () => id, allowed: () => true, now: () => t, location: { href: 'https://shop.de/' } }).decorate(url);

/** The collector's profile endpoints as a function: tokens bound to the device id, /v1/me answers PROFILE. */
function profileCollector() {
  const calls: { url: string; body?: any }[] = [];
  let n = 0;
  const fetch = async (url: string, init: RequestInit = {}) => {
    calls.push({ url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const json = (b: unknown) => new Response(JSON.stringify(b), { status: 200, headers: { 'Content-Type': 'application/json' } });
    if (url.endsWith('/v1/profile-token')) return json({ token: 'tok-' + ++n, expiresAt: new Date(Date.now() + 60_000).toISOString() });
    if (url.endsWith('/v1/me')) return json(PROFILE);
    return new Response('{}', { status: 404 });
  };
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls, tokenIds: () => calls.filter((c) => c.url.endsWith('/profile-token')).map((c) => c.body.anonymousId) };
}

interface Setup {
  url?: string;
  config?: Partial<TouchpointConfig>;
  consent?: Record<string, unknown>;
  outbox?: Outbox;
  clock?: { t: number };
  /** Replaces the profile chunk loader. */
  loadProfiles?: TrackerDeps['loadProfiles'];
  collector?: ReturnType<typeof profileCollector>;
  /** A stored consent decision (a returning visitor). */
  storedConsent?: string | null;
}

function setup(o: Setup = {}) {
  const win = new HappyWindow({ url: o.url ?? 'https://shop.at/' });
  windows.push(win);
  const outbox = o.outbox ?? createMemoryOutbox();
  const records: OutboxRecord[] = [];
  const clock = o.clock ?? { t: T0 };
  const collector = o.collector ?? profileCollector();
  const consentStorage = memoryStorage(o.storedConsent ?? null);
  const deps: TrackerDeps = {
    createConsent: (log, post) =>
      createConsentManager({ config: consentConfig(o.consent), log: quietLog(), sdkVersion: 'test', postRecord: post, storage: consentStorage.storage, window: win as unknown as Window, now: () => clock.t }),
    openOutbox: async () => outbox,
    createDelivery: () => ({ notify: (r) => void records.push(...r), flush: async () => {}, pageHide() {}, start() {}, stop() {}, status: () => ({}) }),
    // delivery is not under test: records are collected as the outbox hands them on
    createDestinations: () => [],
    postConsent() {},
    loadHashing: () => import('../../../src/identity/hash'),
    loadLinker: () => import('../../../src/identity/linker'),
    loadProfiles: o.loadProfiles ?? (async () => {
      const m = await import('../../../src/identity/profile-client');
      // the real hub over the collector function; polling instead of EventSource
      return { createProfileHub: (opts) => m.createProfileHub({ ...opts, fetch: collector.fetch, EventSource: null, pollMs: 20 }) };
    }),
    now: () => clock.t,
    window: win as unknown as Window,
  };
  const tp: Touchpoint = createTracker({ writeKey: 'wk_1', collectorUrl: 'https://collect.example', webVitals: false, ...o.config }, deps);
  const events = () => records.map((r) => r.event as Record<string, any>);
  return { tp, win, outbox, records, events, collector, clock, consentStorage };
}

const grant = (tp: Touchpoint, extra: Record<string, boolean> = {}) => tp.consent.set({ analytics: true, ...extra }, { method: 'cmp' });
const anonymousIdOf = async (tp: Touchpoint) => (await tp.debug()).anonymousId as string | undefined;

describe('profile()', () => {
  it('resolves undefined and asks nothing without personalization consent', async () => {
    const s = setup();
    expect(await s.tp.profile()).toBeUndefined();
    grant(s.tp);
    await settle();
    expect(await s.tp.profile()).toBeUndefined();
    expect(s.collector.calls).toEqual([]);
  });

  it('resolves undefined without a device id (personalization granted, analytics denied)', async () => {
    const s = setup();
    s.tp.consent.set({ analytics: false, personalization: true }, { method: 'cmp' });
    expect(await s.tp.profile()).toBeUndefined();
    expect(s.collector.calls).toEqual([]);
  });

  it("reads the visitor's own profile with a token bound to this device id", async () => {
    const s = setup();
    grant(s.tp, { personalization: true });
    expect(await s.tp.profile()).toEqual(PROFILE);
    expect(s.collector.tokenIds()).toEqual([await anonymousIdOf(s.tp)]);
  });
});

describe("on('profile')", () => {
  it('subscribes only once personalization is granted, stops on withdrawal, resubscribes after reset()', async () => {
    const s = setup();
    const seen: ProfileSummary[] = [];
    s.tp.on('profile', (p) => void seen.push(p as ProfileSummary));
    await settle();
    expect(s.collector.calls).toEqual([]);

    grant(s.tp, { personalization: true });
    await settle();
    expect(seen[0]).toEqual(PROFILE);
    const first = await anonymousIdOf(s.tp);
    expect(s.collector.tokenIds()).toEqual([first]);

    s.tp.reset();
    await settle();
    const second = await anonymousIdOf(s.tp);
    expect(second).not.toBe(first);
    expect(s.collector.tokenIds()).toContain(second);

    s.tp.consent.set({ analytics: true, personalization: false }, { method: 'cmp' });
    await settle();
    const after = s.collector.calls.length;
    await settle();
    expect(s.collector.calls.length).toBe(after);
  });

  it('a profile chunk that breaks on start is logged, never an unhandled rejection in the page', async () => {
    const unhandled: unknown[] = [];
    const record = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', record);
    try {
      const s = setup({ loadProfiles: async () => ({ createProfileHub: () => { throw new Error('broken hub'); } }) });
      const off = s.tp.on('profile', () => {});
      grant(s.tp, { personalization: true });
      await settle();
      expect(() => off()).not.toThrow();
      expect(await s.tp.profile()).toBeUndefined();
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it('an unsubscribed handler ends the stream', async () => {
    const s = setup();
    const off = s.tp.on('profile', () => {});
    grant(s.tp, { personalization: true });
    await settle();
    off();
    await settle();
    const after = s.collector.calls.length;
    await settle();
    expect(after).toBeGreaterThan(0);
    expect(s.collector.calls.length).toBe(after);
  });
});

describe('cross-domain linking', () => {
  const link = (s: ReturnType<typeof setup>, href = 'https://shop.de/cart') => {
    const a = s.win.document.createElement('a');
    a.href = href;
    s.win.document.body.appendChild(a);
    a.dispatchEvent(new s.win.MouseEvent('mousedown', { bubbles: true }));
    return new URL(a.href).searchParams.get(LINKER_PARAM);
  };

  it('decorates links to linked domains only with analytics consent', async () => {
    const s = setup({ config: { linkDomains: ['shop.de'] } });
    await settle();
    expect(link(s)).toBeNull();
    grant(s.tp);
    await settle();
    const token = link(s);
    expect(token).toContain(`.${await anonymousIdOf(s.tp)}.`);
    s.tp.consent.set({ analytics: false }, { method: 'cmp' });
    await settle();
    expect(link(s, 'https://shop.de/other')).toBeNull();
  });

  it('adopts a fresh, valid token when analytics is granted, and no page view carries _tp', async () => {
    const s = setup({ url: decorated('https://shop.at/landing?utm_source=nl') });
    expect(s.win.location.href).toBe('https://shop.at/landing?utm_source=nl');
    grant(s.tp);
    await settle();
    expect(await anonymousIdOf(s.tp)).toBe(OTHER_ID);
    const pages = s.events().filter((e) => e.type === 'page');
    expect(pages.length).toBeGreaterThan(0);
    for (const e of s.events()) expect(JSON.stringify(e)).not.toContain(LINKER_PARAM + '=');
    expect(pages.every((e) => e.anonymousId === OTHER_ID)).toBe(true);
  });

  it('adopts when consent was already decided before the page loaded', async () => {
    const first = setup();
    grant(first.tp);
    const s = setup({ url: decorated('https://shop.at/'), storedConsent: first.consentStorage.value });
    expect(s.tp.consent.get().status).toBe('decided');
    await settle();
    expect(await anonymousIdOf(s.tp)).toBe(OTHER_ID);
  });

  it('rejects a stale (> 2 min) or tampered token, and still removes it', async () => {
    const stale = setup({ url: decorated('https://shop.at/'), clock: { t: T0 + LINKER_MAX_AGE_MS + 5_000 } });
    grant(stale.tp);
    await settle();
    expect(await anonymousIdOf(stale.tp)).not.toBe(OTHER_ID);
    expect(stale.win.location.search).toBe('');

    const url = new URL(decorated('https://shop.at/'));
    url.searchParams.set(LINKER_PARAM, url.searchParams.get(LINKER_PARAM)!.replace(OTHER_ID, OTHER_ID.replace('0b9f', '0b9e')));
    const tampered = setup({ url: url.href });
    grant(tampered.tp);
    await settle();
    const id = await anonymousIdOf(tampered.tp);
    expect(id).toBeDefined();
    expect(id).not.toContain('0b9e4c1e');
    expect(tampered.win.location.search).toBe('');
  });

  it('never adopts when consent is denied, nor (beforeConsent drop) when it is granted only later', async () => {
    const denied = setup({ url: decorated('https://shop.at/') });
    denied.tp.consent.set({ analytics: false }, { method: 'cmp' });
    await settle();
    expect(denied.win.location.search).toBe('');
    grant(denied.tp);
    await settle();
    expect(await anonymousIdOf(denied.tp)).not.toBe(OTHER_ID);

    const pending = setup({ url: decorated('https://shop.at/') });
    await settle();
    expect(pending.win.location.search).toBe('');
    expect(pending.records).toEqual([]);
    grant(pending.tp);
    await settle();
    expect(await anonymousIdOf(pending.tp)).not.toBe(OTHER_ID);
  });

  it("under beforeConsent 'hold' a grant on the landing page adopts while the token is fresh", async () => {
    const clock = { t: T0 };
    const s = setup({ url: decorated('https://shop.at/'), consent: { beforeConsent: 'hold' }, clock });
    await settle();
    clock.t = T0 + 30_000;
    grant(s.tp);
    await settle();
    expect(await anonymousIdOf(s.tp)).toBe(OTHER_ID);

    const late = setup({ url: decorated('https://shop.at/'), consent: { beforeConsent: 'hold' }, clock: { t: T0 + LINKER_MAX_AGE_MS + 1_000 } });
    await settle();
    grant(late.tp);
    await settle();
    expect(await anonymousIdOf(late.tp)).not.toBe(OTHER_ID);
  });
});

describe('cookie mirror (cookieDomain, from the linker chunk)', () => {
  it('takes the id a subdomain stored, writes it only after consent, deletes it on withdrawal', async () => {
    const s = setup({ url: 'https://www.shop.at/', config: { cookieDomain: 'shop.at' } });
    // the cookie checkout.shop.at's page wrote for the whole domain
    s.win.document.cookie = `tp_id=${OTHER_ID}; Domain=shop.at; Path=/`;
    await settle();
    expect(await anonymousIdOf(s.tp)).toBeUndefined();
    grant(s.tp);
    await settle();
    expect(await anonymousIdOf(s.tp)).toBe(OTHER_ID);
    s.tp.reset();
    await settle();
    const fresh = await anonymousIdOf(s.tp);
    expect(fresh).not.toBe(OTHER_ID);
    expect(s.win.document.cookie).toContain(`tp_id=${fresh}`);
    s.tp.consent.set({ analytics: false }, { method: 'cmp' });
    await settle();
    expect(s.win.document.cookie).not.toContain('tp_id=');
  });
});

describe('identity sync', () => {
  const identifies = (s: ReturnType<typeof setup>) => s.events().filter((e) => e.type === 'identify');

  it('sends the whole identity set with every change, e-mail and phone hashed, through the outbox', async () => {
    const outbox = createMemoryOutbox();
    const s = setup({ outbox });
    grant(s.tp);
    s.tp.identify('u-1', {}, { identities: [{ type: 'email', value: ' Jane@Example.org ' }] });
    await settle();
    s.tp.identify('u-1', {}, { identities: [{ type: 'customer_id', value: 'C-1' }, { type: 'phone', value: '+49 151 2345678', raw: true }] });
    await settle();
    const [a, b] = identifies(s);
    const email = { type: 'email', value: await sha256Hex('jane@example.org'), hashed: true };
    expect(a.identities).toEqual([email]);
    expect(b.identities).toEqual([email, { type: 'customer_id', value: 'C-1', hashed: false }, { type: 'phone', value: '+49 151 2345678', hashed: false }]);

    // a later page of the same device still knows the set
    const next = setup({ outbox });
    grant(next.tp);
    next.tp.identify('u-1', {}, { identities: [{ type: 'loyalty_id', value: 'L-7' }] });
    await settle();
    expect(identifies(next)[0].identities.map((l: any) => l.type)).toEqual(['email', 'customer_id', 'phone', 'loyalty_id']);
  });

  it('keeps every link of identify calls made back to back (the slower e-mail hash first), in call order', async () => {
    const outbox = createMemoryOutbox();
    const s = setup({ outbox });
    grant(s.tp);
    await settle();
    s.tp.identify('u-1', {}, { identities: [{ type: 'email', value: 'jane@example.org' }] });
    s.tp.identify('u-1', {}, { identities: [{ type: 'customer_id', value: 'C-1' }] });
    await settle();
    const email = { type: 'email', value: await sha256Hex('jane@example.org'), hashed: true };
    const customer = { type: 'customer_id', value: 'C-1', hashed: false };
    expect(identifies(s).map((e) => e.identities)).toEqual([[email], [email, customer]]);
    expect(await outbox.getMeta('identities')).toEqual([email, customer]);
  });

  it('keeps identities in memory only before consent and drops the identify event (beforeConsent drop)', async () => {
    const outbox = createMemoryOutbox();
    const s = setup({ outbox });
    s.tp.identify('u-1', {}, { identities: [{ type: 'customer_id', value: 'C-9' }] });
    await settle();
    expect(s.records).toEqual([]);
    expect(await outbox.getMeta('identities')).toBeUndefined();
    grant(s.tp);
    await settle();
    s.tp.identify('u-1', {});
    await settle();
    expect(identifies(s)[0].identities).toEqual([{ type: 'customer_id', value: 'C-9', hashed: false }]);
  });

  it('a user identified before the decision still names the events of the next pages once consent is given', async () => {
    const outbox = createMemoryOutbox();
    const s = setup({ outbox });
    s.tp.identify('u-early', {}); // a login before the banner was answered: the identify itself is dropped
    grant(s.tp);
    await settle();
    expect(s.events().every((e) => e.userId === 'u-early')).toBe(true);
    const next = setup({ outbox });
    grant(next.tp);
    next.tp.track('next_page');
    await settle();
    expect(next.events().find((e) => e.event === 'next_page')!.userId).toBe('u-early');
  });

  it('reset() starts a new device id and session and forgets the user and the identity set', async () => {
    const s = setup();
    grant(s.tp);
    s.tp.identify('u-1', {}, { identities: [{ type: 'customer_id', value: 'C-1' }] });
    await settle();
    s.tp.track('before_logout');
    await settle();
    const before = s.events().at(-1)!;
    s.tp.reset();
    s.tp.track('after_logout');
    await settle();
    s.tp.identify('u-2', {}, { identities: [{ type: 'loyalty_id', value: 'L-2' }] });
    await settle();
    const after = s.events().find((e) => e.event === 'after_logout')!;
    expect(after.anonymousId).not.toBe(before.anonymousId);
    expect(after.userId).toBeUndefined();
    expect(after.context.session.id).not.toBe(before.context.session.id);
    expect(after.context.session.start).toBe(true);
    expect(identifies(s).at(-1)!.identities).toEqual([{ type: 'loyalty_id', value: 'L-2', hashed: false }]);
    expect(await s.outbox.getMeta('anonymousId')).toBe(after.anonymousId);
  });
});
