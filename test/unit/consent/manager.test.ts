import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConsentManager, CONSENT_EVENT, type ConsentManagerDeps } from '../../../src/consent/manager';
import type { BannerHandle, BannerModule, BannerOptions, ConsentManager } from '../../../src/consent/types';
import type { ConsentRecord } from '../../../src/schema/consent-record';
import { consentRecordSchema } from '../../../src/schema/consent-record';
import { cookieStorage } from '../../../src/consent/cookie-storage';
import { config, flush, memoryStorage, quietLog } from './helpers';
import { DEFAULT_TEXTS } from '../../../src/consent/default-texts';
import { DEFAULT_CONSENT_CONFIG } from '../../../src/consent/default-config';

const DAY = 864e5;
let managers: ConsentManager[] = [];

function fakeBanner() {
  const mounts: BannerOptions[] = [];
  const opened: (Element | null | undefined)[] = [];
  const updates: [string[], boolean | undefined][] = [];
  const handle: BannerHandle = { open: (o) => void opened.push(o), update: (g, p) => void updates.push([g, p]), destroy() {} };
  const load = vi.fn(async (): Promise<BannerModule> => ({ mountBanner: (o) => (mounts.push(o), handle) }));
  return { load, mounts, opened, updates, decide: (d: Parameters<BannerOptions['onDecision']>[0]) => mounts[0].onDecision(d) };
}

function setup(over: Partial<ConsentManagerDeps> & { nav?: Record<string, unknown> } = {}) {
  const mem = over.storage ? undefined : memoryStorage();
  const records: ConsentRecord[] = [];
  const banner = fakeBanner();
  const log = quietLog();
  const m = createConsentManager({
    config: config(),
    log,
    sdkVersion: '0.1.0',
    postRecord: (r) => records.push(r),
    storage: mem?.storage,
    loadBanner: banner.load,
    navigator: { languages: ['de-DE'], ...over.nav } as unknown as Navigator,
    ...over,
  });
  if ('failed' in m) throw new Error(m.failed);
  managers.push(m);
  return { m, mem, records, banner, log };
}

beforeEach(() => {
  managers = [];
});
afterEach(() => {
  managers.forEach((m) => m.destroy());
  delete (window as unknown as { dataLayer?: unknown }).dataLayer;
});

describe('consent manager', () => {
  it('starts pending, shows the banner, and decides on accept all with a complete proof record (R11)', async () => {
    const { m, mem, records, banner } = setup();
    expect(m.get().status).toBe('pending');
    expect(m.allows('analytics')).toBe(false);
    expect(m.allows('necessary')).toBe(true);
    await flush();
    expect(banner.mounts[0]).toMatchObject({ show: 'banner', locale: 'de', granted: ['necessary'] });
    expect(banner.mounts[0].categories.map((c) => [c.id, c.required])).toEqual([['necessary', true], ['analytics', false], ['marketing', false], ['personalization', false]]);

    banner.decide({ action: 'accept_all', granted: ['analytics', 'marketing', 'personalization'], layer: 'banner' });
    expect(m.get()).toMatchObject({ status: 'decided', method: 'accept_all', granted: ['necessary', 'analytics', 'marketing', 'personalization'], denied: [] });
    expect(m.allows('marketing')).toBe(true);
    expect(mem!.calls).toEqual(['read', 'write']);
    await flush();
    expect(records).toHaveLength(1);
    const r = records[0];
    expect(consentRecordSchema.parse(r)).toEqual(r);
    expect(r).toMatchObject({ method: 'accept_all', layer: 'banner', locale: 'de', policyVersion: '1', sdkVersion: '0.1.0', denied: [] });
    expect(r.consentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(r.textHash).toMatch(/^[0-9a-f]{64}$/);
    expect(m.record()).toEqual(r);
    // no tracking id and no PII in the stored decision
    expect(Object.keys(JSON.parse(mem!.value!)).sort()).toEqual(['e', 'f', 'g', 'id', 'm', 'p', 't', 'v']);
  });

  it('R1: before a decision the only storage access is one read of the own consent record', async () => {
    const touched: string[] = [];
    const trap = (obj: object, key: string) => {
      Object.defineProperty(obj, key, { configurable: true, get: () => (touched.push(key), undefined), set: () => void touched.push(key) });
      return () => delete (obj as Record<string, unknown>)[key];
    };
    const undo = [trap(document, 'cookie'), trap(window, 'localStorage'), trap(window, 'sessionStorage'), trap(window, 'indexedDB'), trap(window, 'caches')];
    void (window as unknown as { caches: unknown }).caches; // positive control: the trap sees reads
    expect(touched).toEqual(['caches']);
    touched.length = 0;
    const { m, mem } = setup({ config: config({ googleConsentMode: {} }) });
    m.get();
    m.allows('analytics');
    await flush();
    undo.forEach((u) => u());
    expect(mem!.calls).toEqual(['read']);
    expect(touched).toEqual([]);
  });

  it('keeps the decision in the first-party tp_consent cookie by default', async () => {
    const { m, banner } = setup({ storage: undefined });
    await flush();
    banner.decide({ action: 'reject_all', granted: [], layer: 'banner' });
    const raw = decodeURIComponent(document.cookie.match(/tp_consent=([^;]*)/)![1]);
    expect(JSON.parse(raw)).toMatchObject({ v: 1, g: [], m: 'reject_all', p: '1' });
    expect(m.get().method).toBe('reject_all');
    // the next page reads it back
    expect(setup({ storage: undefined }).m.get()).toMatchObject({ status: 'decided', method: 'reject_all' });
    document.cookie = 'tp_consent=; Max-Age=0; Path=/';
  });

  it('cookieStorage writes Secure on https, SameSite=Lax, Path=/ and Max-Age = lifetime', () => {
    const written: string[] = [];
    const fakeDoc = { location: { protocol: 'https:' }, get cookie() { return 'a=1; tp_consent=%7B%7D; b=2'; }, set cookie(v: string) { written.push(v); } };
    const s = cookieStorage(fakeDoc as unknown as Document, 182 * 86400);
    expect(s.read()).toBe('{}');
    s.write('{"v":1}');
    s.remove();
    expect(written).toEqual([
      'tp_consent=%7B%22v%22%3A1%7D; Max-Age=15724800; Path=/; SameSite=Lax; Secure',
      'tp_consent=; Max-Age=0; Path=/; SameSite=Lax; Secure',
    ]);
  });

  it.each([
    ['gpc', { globalPrivacyControl: true }],
    ['gpc', { globalPrivacyControl: '1' }],
    ['dnt', { doNotTrack: '1' }],
    ['dnt', { msDoNotTrack: '1' }],
  ] as const)('R16: %s signal %j starts the visitor as denied with a decision record and a notice', async (method, nav) => {
    const { m, records, banner } = setup({ nav });
    expect(m.get()).toMatchObject({ status: 'decided', method, signal: method, granted: ['necessary'] });
    expect(m.allows('analytics')).toBe(false);
    await flush();
    expect(records).toMatchObject([{ method, layer: 'none', granted: ['necessary'], denied: ['analytics', 'marketing', 'personalization'] }]);
    expect(banner.mounts[0].show).toBe('notice');
    // the visitor can still opt in explicitly
    banner.decide({ action: 'custom', granted: ['analytics'], layer: 'preferences' });
    expect(m.allows('analytics')).toBe(true);
    expect(m.get().method).toBe('custom');
  });

  it('R16: window.doNotTrack counts, and signals set to "ignore" leave the visitor undecided', async () => {
    const w = window as unknown as { doNotTrack?: string };
    w.doNotTrack = '1';
    expect(setup().m.get().method).toBe('dnt');
    delete w.doNotTrack;
    const { m, banner } = setup({ nav: { globalPrivacyControl: true }, config: config({ signals: { gpc: 'ignore', dnt: 'deny' } }) });
    expect(m.get()).toMatchObject({ status: 'pending', signal: 'gpc' });
    await flush();
    expect(banner.mounts[0].show).toBe('banner');
  });

  it('a stored GPC decision lapses when the browser stops sending the signal', () => {
    const mem = memoryStorage();
    setup({ storage: mem.storage, nav: { globalPrivacyControl: true } });
    expect(setup({ storage: mem.storage }).m.get().status).toBe('pending');
    expect(setup({ storage: mem.storage, nav: { globalPrivacyControl: true } }).m.get().method).toBe('gpc');
  });

  it('R13: a refusal is remembered until expiry; no banner on the next page', async () => {
    const mem = memoryStorage();
    let t = Date.UTC(2026, 0, 1);
    const now = () => t;
    const first = setup({ storage: mem.storage, now });
    await flush();
    first.banner.decide({ action: 'reject_all', granted: [], layer: 'banner' });
    t += 180 * DAY;
    const next = setup({ storage: mem.storage, now });
    expect(next.m.get()).toMatchObject({ status: 'decided', method: 'reject_all' });
    await flush();
    expect(next.banner.load).not.toHaveBeenCalled();
    t += 3 * DAY; // past 182 days
    const later = setup({ storage: mem.storage, now });
    expect(later.m.get().status).toBe('pending');
    await flush();
    expect(later.banner.mounts[0].show).toBe('banner');
  });

  it('an expiry during the page pauses tracking and shows the banner again', async () => {
    let t = 0;
    const { m, banner } = setup({ now: () => t, config: config({ lifetimeDays: 1 }) });
    await flush();
    banner.decide({ action: 'accept_all', granted: ['analytics'], layer: 'banner' });
    const changes: string[] = [];
    m.onChange((s) => changes.push(s.status));
    t = DAY;
    expect(m.allows('analytics')).toBe(false);
    expect(changes).toEqual(['pending']);
    await flush();
    expect(banner.updates.at(-1)).toEqual([['necessary'], true]);
  });

  it('R12: a material policy change asks again; a copy-only edit does not', async () => {
    const mem = memoryStorage();
    const first = setup({ storage: mem.storage });
    await flush();
    first.banner.decide({ action: 'accept_all', granted: ['analytics', 'marketing', 'personalization'], layer: 'banner' });
    expect(setup({ storage: mem.storage, config: config({ policyVersion: '1.1', materialVersion: '1' }) }).m.get().status).toBe('decided');
    expect(setup({ storage: mem.storage, config: config({ policyVersion: '2' }) }).m.get().status).toBe('pending');
    const more = config({ policyVersion: '1.2', materialVersion: '1' });
    (more.categories as unknown[]).push({ id: 'functional', label: { de: 'F', en: 'F' }, description: { de: 'F', en: 'F' } });
    expect(setup({ storage: mem.storage, config: more }).m.get().status).toBe('pending');
  });

  it('R9/R11: taking back a granted category is recorded as a withdrawal', async () => {
    const { m, banner, records } = setup();
    await flush();
    banner.decide({ action: 'accept_all', granted: ['analytics', 'marketing', 'personalization'], layer: 'banner' });
    banner.decide({ action: 'custom', granted: ['analytics'], layer: 'preferences' });
    expect(m.get()).toMatchObject({ method: 'withdrawal', granted: ['necessary', 'analytics'], denied: ['marketing', 'personalization'] });
    m.set({}, { method: 'cmp' });
    await flush();
    expect(records.map((r) => r.method)).toEqual(['accept_all', 'withdrawal', 'withdrawal']);
    expect(records[1].consentId).not.toBe(records[0].consentId);
  });

  it('R18: set() maps explicitly — unknown, unmapped or non-true choices are denied; methods are api or cmp only', async () => {
    const { m, records } = setup();
    const s = m.set({ analytics: true, marketing: 'yes' as unknown as boolean, tiktok: true }, { method: 'cmp' });
    expect(s).toMatchObject({ status: 'decided', method: 'cmp', granted: ['necessary', 'analytics'], denied: ['marketing', 'personalization'] });
    expect(m.set({ analytics: true }, { method: 'accept_all' }).method).toBe('api');
    expect(m.set(null as unknown as Record<string, boolean>).granted).toEqual(['necessary']);
    await flush();
    expect(records.map((r) => [r.method, r.layer])).toEqual([['cmp', 'none'], ['api', 'none'], ['withdrawal', 'none']]);
  });

  it('emits touchpoint:consent_updated and onChange(state, previous) on every change', () => {
    const { m } = setup();
    const events: unknown[] = [];
    const listener = (e: Event) => events.push((e as CustomEvent).detail);
    window.addEventListener(CONSENT_EVENT, listener);
    const seen: [string, string][] = [];
    const off = m.onChange((s, p) => seen.push([s.method!, p.status]));
    m.set({ analytics: true });
    m.set({ analytics: true, marketing: true });
    off();
    m.set({});
    window.removeEventListener(CONSENT_EVENT, listener);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ status: 'decided', granted: ['necessary', 'analytics'] });
    expect(seen).toEqual([['api', 'pending'], ['api', 'decided']]);
  });

  it('fails closed on a bad config: one console error, no storage, no banner, no throw', async () => {
    const log = quietLog();
    const mem = memoryStorage();
    const load = vi.fn();
    const bad = config();
    (bad.categories as Record<string, unknown>[])[1].default = true;
    const r = createConsentManager({ config: bad, log, sdkVersion: '0', postRecord() {}, storage: mem.storage, loadBanner: load });
    expect(r).toEqual({ failed: expect.stringContaining('categories.1.default') });
    expect(log.errors).toHaveLength(1);
    expect(mem.calls).toEqual([]);
    expect(load).not.toHaveBeenCalled();
    expect(createConsentManager({ config: 'nope', log, sdkVersion: '0', postRecord() {} })).toHaveProperty('failed');
    // no config = the shipped default, whose texts load with the banner
    const dflt = createConsentManager({ config: undefined, log, sdkVersion: '0', postRecord() {}, storage: memoryStorage().storage, loadBanner: fakeBanner().load, loadTexts: async () => DEFAULT_TEXTS });
    await flush();
    expect('failed' in dflt ? dflt.failed : dflt.config().texts.de.acceptAll).toBe('Alle akzeptieren');
    if (!('failed' in dflt)) dflt.destroy();
  });

  it('open() and any [data-touchpoint-consent="open"] element (also added later) open the preferences', async () => {
    const { m, banner } = setup();
    m.set({});
    m.open();
    await flush();
    expect(banner.opened).toHaveLength(1);
    const link = document.createElement('a');
    link.href = '#';
    link.setAttribute('data-touchpoint-consent', 'open');
    link.append(document.createElement('span'));
    document.body.append(link);
    (link.firstChild as HTMLElement).click();
    await flush();
    expect(banner.opened).toEqual([undefined, link]);
    expect(banner.load).toHaveBeenCalledTimes(1);
    link.remove();
  });

  it('chooses the locale: page/browser language, else EN fallback, else DE default', async () => {
    expect(setup({ nav: { languages: ['en-GB'] } }).m).toBeTruthy();
    const a = setup({ nav: { languages: ['fr-FR'] } });
    const b = setup({ nav: { languages: [] } });
    const c = setup({ locale: 'en' });
    await flush();
    expect([a.banner.mounts[0].locale, b.banner.mounts[0].locale, c.banner.mounts[0].locale]).toEqual(['en', 'de', 'en']);
  });

  it('drives Google Consent Mode: default at start, update for a stored decision at load and on each change', async () => {
    const mem = memoryStorage();
    const dl = () => ((window as unknown as { dataLayer: IArguments[] }).dataLayer || []).map((a) => Array.from(a));
    const { m } = setup({ storage: mem.storage, config: config({ googleConsentMode: {} }) });
    expect(dl()).toEqual([['consent', 'default', expect.objectContaining({ analytics_storage: 'denied', security_storage: 'granted' })]]);
    m.set({ analytics: true });
    expect(dl()[1]).toEqual(['consent', 'update', expect.objectContaining({ analytics_storage: 'granted', ad_storage: 'denied' })]);
    m.destroy();
    delete (window as unknown as { dataLayer?: unknown }).dataLayer;
    setup({ storage: mem.storage, config: config({ googleConsentMode: {} }) });
    expect(dl().map((a) => a[1])).toEqual(['default', 'update']);
    expect(dl()[1][2]).toMatchObject({ analytics_storage: 'granted' });
  });
});
