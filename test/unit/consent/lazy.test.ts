/**
 * What moved out of the core bundle still behaves the same: the shipped texts load only when shown or hashed (and the
 * proof record's hash is that of the full default config), the interop chunk loads only for embeds or a CMP.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as interop from '../../../src/consent/interop';
import { createConsentManager, type ConsentManagerDeps } from '../../../src/consent/manager';
import type { BannerModule, BannerOptions, ConsentManager } from '../../../src/consent/types';
import type { ConsentRecord } from '../../../src/schema/consent-record';
import { DEFAULT_TEXTS } from '../../../src/consent/default-texts';
import { DEFAULT_CONSENT_CONFIG } from '../../../src/consent/default-config';
import { defaultPolicy } from '../../../src/consent/default-policy';
import { validateConfig } from '../../../src/consent/validate-config';
import { config, flush, memoryStorage, quietLog } from './helpers';

let made: ConsentManager[] = [];
afterEach(() => {
  made.forEach((m) => m.destroy());
  made = [];
  document.body.replaceChildren();
});

function make(over: Partial<ConsentManagerDeps> = {}) {
  const records: ConsentRecord[] = [];
  const mounts: BannerOptions[] = [];
  const loadBanner = vi.fn(async (): Promise<BannerModule> => ({ mountBanner: (o) => (mounts.push(o), { open() {}, update() {}, destroy() {} }) }));
  const loadTexts = vi.fn(async () => structuredClone(DEFAULT_TEXTS));
  const loadInterop = vi.fn(async () => interop);
  const m = createConsentManager({
    config: undefined, log: quietLog(), sdkVersion: '1', postRecord: (r) => records.push(r), storage: memoryStorage().storage,
    loadBanner, loadTexts, loadInterop, navigator: { languages: ['de-DE'] } as unknown as Navigator, ...over,
  });
  if ('failed' in m) throw new Error(m.failed);
  made.push(m);
  return { m, records, mounts, loadBanner, loadTexts, loadInterop };
}

describe('default texts outside the core', () => {
  it('the core policy plus the texts is exactly the shipped default config', () => {
    const full = validateConfig(DEFAULT_CONSENT_CONFIG);
    const core = defaultPolicy();
    core.texts = DEFAULT_TEXTS.texts;
    core.categories.forEach((c) => Object.assign(c, DEFAULT_TEXTS.categories[c.id]));
    expect(JSON.parse(JSON.stringify(core))).toEqual(JSON.parse(JSON.stringify(full)));
  });

  it('shows the banner with the loaded texts, and the proof hash equals that of the explicit default config', async () => {
    const lazy = make();
    await flush();
    expect(lazy.mounts[0].texts.acceptAll).toBe('Alle akzeptieren');
    expect(lazy.mounts[0].categories.map((c) => c.label)).toEqual(['Notwendig', 'Statistik', 'Marketing', 'Personalisierung']);
    lazy.mounts[0].onDecision({ action: 'reject_all', granted: [], layer: 'banner' });
    const explicit = make({ config: config() });
    await flush();
    explicit.mounts[0].onDecision({ action: 'reject_all', granted: [], layer: 'banner' });
    await flush();
    expect(lazy.records).toHaveLength(1);
    expect(lazy.records[0].textHash).toMatch(/^[0-9a-f]{64}$/);
    expect(lazy.records[0].textHash).toBe(explicit.records[0].textHash);
    expect(explicit.loadTexts).not.toHaveBeenCalled();
  });

  it('loads no texts for a visitor whose decision is stored, until a new decision needs the hash', async () => {
    const mem = memoryStorage();
    const first = make({ storage: mem.storage });
    await flush();
    first.mounts[0].onDecision({ action: 'accept_all', granted: ['analytics'], layer: 'banner' });
    await flush();
    first.m.destroy();
    const next = make({ storage: mem.storage });
    await flush();
    expect(next.m.get()).toMatchObject({ status: 'decided', method: 'accept_all' });
    expect(next.loadTexts).not.toHaveBeenCalled();
    expect(next.loadBanner).not.toHaveBeenCalled();
    next.m.set({ analytics: false });
    await flush();
    expect(next.loadTexts).toHaveBeenCalledTimes(1);
    expect(next.records).toMatchObject([{ method: 'withdrawal' }]);
    expect(next.records[0].textHash).toBe(first.records[0].textHash);
  });

  it('sends no proof record (and says so) when the texts cannot load; the decision itself still holds', async () => {
    const log = quietLog();
    let online = false;
    const t = make({ log, loadTexts: async () => (online ? structuredClone(DEFAULT_TEXTS) : Promise.reject(new Error('offline'))), loadBanner: undefined });
    t.m.set({ analytics: false });
    await flush();
    expect(t.m.get()).toMatchObject({ status: 'decided', method: 'api' });
    expect(t.records).toEqual([]);
    expect(log.warnings.flat().join(' ')).toMatch(/proof record not sent/);
    // the failure is not remembered: the next decision loads the texts again and is recorded
    online = true;
    t.m.set({ analytics: true });
    await flush();
    expect(t.records).toMatchObject([{ method: 'api', granted: ['necessary', 'analytics'] }]);
  });
});

describe('the lazy interop chunk', () => {
  it('is not loaded for a page without embeds or a CMP', async () => {
    const { loadInterop } = make();
    await flush();
    expect(loadInterop).not.toHaveBeenCalled();
  });

  it('loads when a data-consent placeholder is added later, and activates it once granted', async () => {
    const { m, loadInterop } = make({ config: config() });
    await flush();
    expect(loadInterop).not.toHaveBeenCalled();
    const frame = document.createElement('iframe');
    frame.setAttribute('data-consent', 'marketing');
    frame.setAttribute('data-src', 'https://video.example/embed/1');
    document.body.append(frame);
    await flush();
    expect(loadInterop).toHaveBeenCalledTimes(1);
    await loadInterop.mock.results[0].value; // the chunk's first import may take longer than a flush
    await flush();
    expect(frame.getAttribute('src')).toBeNull();
    m.set({ marketing: true });
    expect(frame.getAttribute('src')).toBe('https://video.example/embed/1');
  });

  it('a CMP config whose chunk fails to load stays denied and says why', async () => {
    const log = quietLog();
    const { m } = make({ log, config: config({ tcf: { purposes: { analytics: [8] } } }), loadInterop: () => Promise.reject(new Error('blocked')) });
    await flush();
    expect(m.get().status).toBe('pending');
    expect(m.allows('analytics')).toBe(false);
    expect(log.warnings.flat().join(' ')).toMatch(/staying denied/);
  });
});
