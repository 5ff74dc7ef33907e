/**
 * Core never builds an event a collector cannot store: lone UTF-16 surrogates (a title cut inside an emoji) become
 * U+FFFD at capture, and properties nested deeper than 30 levels are refused with one debug message, not a throw.
 * Small real services: the consent manager, the memory outbox, a happy-dom window.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { Window as HappyWindow } from 'happy-dom';
import { createTracker, type TrackerDeps } from '../../../src/core/tracker';
import { createConsentManager } from '../../../src/consent/manager';
import { createMemoryOutbox } from '../../../src/outbox/memory-outbox';
import { repairSurrogates } from '../../../src/util/json';
import { config as consentConfig, memoryStorage, quietLog } from '../consent/helpers';

const windows: HappyWindow[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const w of windows.splice(0)) await w.happyDOM.close();
});
const settle = async () => {
  for (let i = 0; i < 8; i++) await new Promise((r) => setTimeout(r, 5));
};

function start() {
  const win = new HappyWindow({ url: 'https://shop.example/' });
  windows.push(win);
  const outbox = createMemoryOutbox();
  const deps: TrackerDeps = {
    createConsent: (log, post) =>
      createConsentManager({ config: consentConfig(), log: quietLog(), sdkVersion: 'test', postRecord: post, storage: memoryStorage().storage, window: win as unknown as Window }),
    openOutbox: async () => outbox,
    createDelivery: () => ({ notify() {}, flush: async () => {}, pageHide() {}, start() {}, stop() {}, status: () => ({}) }),
    createDestinations: () => [],
    postConsent() {},
    window: win as unknown as Window,
  };
  const warnings: string[] = [];
  vi.spyOn(console, 'warn').mockImplementation((_p, m) => void warnings.push(String(m)));
  const tp = createTracker({ writeKey: 'wk_1', collectorUrl: 'https://collect.example', webVitals: false, autoPageViews: false, debug: true }, deps);
  tp.consent.set({ analytics: true });
  return { tp, win, outbox, warnings };
}

/** Whether every string and key in `v` is well-formed UTF-16. */
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const wellFormed = (v: unknown): boolean =>
  typeof v === 'string' ? !LONE.test(v) : !v || typeof v !== 'object' || Object.entries(v).every(([k, x]) => !LONE.test(k) && wellFormed(x));

const nested = (depth: number) => {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) v = { a: v };
  return v;
};

it('replaces lone surrogates in every string and key with U+FFFD, and keeps well-formed pairs', async () => {
  const { tp, win, outbox } = start();
  win.document.title = 'Becher \ud83d';
  tp.track('cup_\udfff_viewed', { name: 'smile \ud83d\ude00', cut: '\udfff\ud800', ['k\ud800']: 1, literal: '\\ud800' });
  await settle();
  const [r] = await outbox.peek(10);
  const e = r.event as any;
  expect(e.event).toBe('cup_\ufffd_viewed');
  expect(e.properties).toEqual({ name: 'smile \ud83d\ude00', cut: '\ufffd\ufffd', ['k\ufffd']: 1, literal: '\\ud800' });
  expect(e.context.page.title).toBe('Becher \ufffd');
  // the stored event is well-formed, and its recorded size is that of what is sent
  expect(wellFormed(e)).toBe(true);
  expect(r.bytes).toBe(new TextEncoder().encode(JSON.stringify(e)).length);
});

it('refuses properties or traits nested deeper than 30 levels with one debug message, and keeps tracking', async () => {
  const { tp, outbox, warnings } = start();
  expect(() => tp.track('deep_sent', nested(31))).not.toThrow();
  expect(() => tp.track('very_deep_sent', nested(10_000))).not.toThrow();
  expect(() => tp.identify('u1', nested(31))).not.toThrow();
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  tp.track('cyclic_sent', cyclic);
  tp.track('ok_sent', nested(30));
  await settle();
  expect((await outbox.peek(10)).map((r) => r.event.event ?? r.event.type)).toEqual(['ok_sent']);
  expect(warnings.filter((w) => w.includes('nest deeper than 30 levels'))).toHaveLength(4);
});

it('repairSurrogates leaves escaped backslashes and valid JSON alone', () => {
  expect(repairSurrogates(JSON.stringify({ a: 'plain' }))).toBeUndefined();
  expect(repairSurrogates(JSON.stringify('\\ud800'))).toBeUndefined();
  expect(JSON.parse(repairSurrogates(JSON.stringify('\\\ud800'))!)).toBe('\\\ufffd');
  expect(JSON.parse(repairSurrogates(JSON.stringify('a\udbff\udbffb'))!)).toBe('a\ufffd\ufffdb');
});
