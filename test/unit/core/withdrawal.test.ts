/**
 * Core's answer to a withdrawal that lands while the outbox is still opening (a CMP that grants and then refuses on
 * load, or a quick second click): the database that was opening is deleted once it opens, no device id is kept and
 * nothing starts delivering. Small real services: the consent manager, the memory outbox, a happy-dom window.
 */
import { afterEach, expect, it } from 'vitest';
import { Window as HappyWindow } from 'happy-dom';
import { createTracker, type TrackerDeps } from '../../../src/core/tracker';
import { createConsentManager } from '../../../src/consent/manager';
import { createMemoryOutbox } from '../../../src/outbox/memory-outbox';
import type { Outbox } from '../../../src/outbox/types';
import { config as consentConfig, memoryStorage, quietLog } from '../consent/helpers';

const windows: HappyWindow[] = [];
afterEach(async () => {
  for (const w of windows.splice(0)) await w.happyDOM.close();
});
const settle = async () => {
  for (let i = 0; i < 8; i++) await new Promise((r) => setTimeout(r, 5));
};

it('deletes an outbox that finishes opening after analytics was withdrawn, and keeps no device id', async () => {
  const win = new HappyWindow({ url: 'https://shop.example/' });
  windows.push(win);
  const memory = createMemoryOutbox();
  const closed: boolean[] = [];
  const outbox: Outbox = { ...memory, close: (destroy) => (closed.push(!!destroy), memory.close(destroy)) };
  let opened!: (o: Outbox) => void;
  let deliveries = 0;
  const deps: TrackerDeps = {
    createConsent: (log, post) =>
      createConsentManager({ config: consentConfig(), log: quietLog(), sdkVersion: 'test', postRecord: post, storage: memoryStorage().storage, window: win as unknown as Window }),
    // IndexedDB takes a while to open: the test decides when it has
    openOutbox: () => new Promise<Outbox>((resolve) => (opened = resolve)),
    createDelivery: () => (deliveries++, { notify() {}, flush: async () => {}, pageHide() {}, start() {}, stop() {}, status: () => ({}) }),
    createDestinations: () => [],
    postConsent() {},
    window: win as unknown as Window,
  };
  const tp = createTracker({ writeKey: 'wk_1', collectorUrl: 'https://collect.example', webVitals: false }, deps);
  tp.consent.set({ analytics: true });
  tp.track('product_viewed', { product_id: 'p1' });
  tp.consent.set({ analytics: false });
  opened(outbox);
  await settle();

  expect(closed).toEqual([true]);
  expect(deliveries).toBe(0);
  expect((await tp.debug()).anonymousId).toBeUndefined();
  expect((await tp.debug()).outbox).toBe('closed');
});
