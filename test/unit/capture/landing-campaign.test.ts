/**
 * The campaign of the landing page survives a decision made one click later: a visitor who arrives from a newsletter,
 * clicks on and only then accepts keeps the e-mail campaign as the arrival of the page view captured on grant (the
 * referrer is the landing address; nothing was stored before the decision). Real tracker, consent manager and memory
 * outbox over a happy-dom window per case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Window as HappyWindow } from 'happy-dom';
import { createTracker, type TrackerDeps } from '../../../src/core/tracker';
import { createConsentManager } from '../../../src/consent/manager';
import { createMemoryOutbox } from '../../../src/outbox/memory-outbox';
import type { OutboxRecord } from '../../../src/outbox/types';
import { config as consentConfig, flush, memoryStorage, quietLog } from '../consent/helpers';

const LANDING = 'https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=spring';
const windows: HappyWindow[] = [];
afterEach(async () => {
  for (const w of windows.splice(0)) await w.happyDOM.close();
});

/** A tracker on `url` reached from `referrer`, with the delivered records collected. */
function pageOf(url: string, referrer: string) {
  const win = new HappyWindow({ url });
  windows.push(win);
  Object.defineProperty(win.document, 'referrer', { value: referrer });
  const records: OutboxRecord[] = [];
  const deps: TrackerDeps = {
    createConsent: (_log, post) => createConsentManager({ config: consentConfig(), log: quietLog(), sdkVersion: 'test', postRecord: post, storage: memoryStorage().storage, window: win as unknown as Window }),
    openOutbox: async () => createMemoryOutbox(),
    createDelivery: () => ({ notify: (r) => void records.push(...r), flush: async () => {}, pageHide() {}, start() {}, stop() {}, status: () => ({}) }),
    createDestinations: () => [],
    postConsent() {},
    window: win as unknown as Window,
  };
  const tp = createTracker({ writeKey: 'wk_1', collectorUrl: 'https://collect.example', webVitals: false }, deps);
  const events = () => records.map((r) => r.event);
  return { tp, events, pages: () => events().filter((e) => e.type === 'page') };
}

describe('the arrival of a decision made after the first click', () => {
  it('takes the campaign and channel from the landing address in the referrer', async () => {
    const { tp, pages, events } = pageOf('https://shop.example/product?id=p1', LANDING);
    tp.consent.set({ analytics: true }, { method: 'cmp' });
    await flush();
    expect(pages()).toHaveLength(1);
    expect(pages()[0]!.context).toMatchObject({ campaign: { source: 'newsletter', medium: 'email', name: 'spring' }, channel: 'Email' });
    // events after the decision on this page belong to the same arrival
    tp.track('product_viewed', { product_id: 'p1' });
    await flush();
    expect(events().find((e) => e.type === 'track')!.context).toMatchObject({ campaign: { name: 'spring' }, channel: 'Email' });
  });

  it("keeps the page's own campaign, and never takes one from another site's address", async () => {
    const own = pageOf('https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=autumn', LANDING);
    own.tp.consent.set({ analytics: true }, { method: 'cmp' });
    const foreign = pageOf('https://shop.example/product?id=p1', 'https://partner.example/?utm_source=newsletter&utm_medium=email&utm_campaign=spring');
    foreign.tp.consent.set({ analytics: true }, { method: 'cmp' });
    await flush();
    expect(own.pages()[0]!.context).toMatchObject({ campaign: { source: 'google', name: 'autumn' }, channel: 'Paid Search' });
    expect(foreign.pages()[0]!.context!.campaign).toBeUndefined();
    expect(foreign.pages()[0]!.context!.channel).toBe('Referral');
  });

  it('leaves an internal click without a campaign as it was (Direct)', async () => {
    const { tp, pages } = pageOf('https://shop.example/product?id=p1', 'https://shop.example/?category=coffee');
    tp.consent.set({ analytics: true }, { method: 'cmp' });
    await flush();
    expect(pages()[0]!.context!.campaign).toBeUndefined();
    expect(pages()[0]!.context!.channel).toBe('Direct');
  });
});
