/**
 * End to end in real headless Chromium: the demo shop, served by the real demo server with the built snippet and
 * bundle, walked like a visitor — once accepting the consent banner (the commerce events arrive in the collector's
 * database with the right order id) and once rejecting it (the order still completes; the events table stays empty and
 * the browser keeps no Touchpoint database). Imports: the demo server, the browser harness. Only 127.0.0.1 is a target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../browser/harness';
import { countRows, eventually, useTestDemo, storedTrackEvents, type Demo } from './helpers';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const BANNER_TIMEOUT_MS = 15_000;

/** The visible banner button for `action` (the preferences dialog holds a hidden twin until it opens). */
const bannerButton = (page: Page, action: 'accept-all' | 'reject-all') => page.locator(`[data-touchpoint-action="${action}"]:visible`).first();

/** Browses a product, adds it to the cart, goes through cart and checkout and places the order; returns its order id. */
async function shopAndOrder(page: Page, base: string, itemsBefore = 0): Promise<string> {
  await page.click('.card-title [data-product-link="handmuehle-kegel"]');
  await page.waitForURL(/\/product\?id=handmuehle-kegel$/);
  await page.waitForSelector('h1:has-text("Handmühle")');
  await page.fill('#qty', '2');
  await page.click('[data-add-product="handmuehle-kegel"]');
  await expect.poll(() => page.textContent('[data-cart-count]')).toBe(String(itemsBefore + 2));

  await page.goto(base + '/cart');
  await page.waitForSelector('.cart-line[data-line="handmuehle-kegel"]');
  await page.click('#to-checkout');
  await page.waitForURL(/\/checkout$/);
  await page.fill('#name', 'Erika Mustermann');
  await page.fill('#email', 'erika@example.com');
  await page.fill('#street', 'Hafenstraße 1');
  await page.fill('#zip', '20457');
  await page.fill('#city', 'Hamburg');
  await page.check('input[name="payment"][value="sepa"]');
  await page.click('#place-order');
  const confirmation = await page.waitForSelector('[data-order-id]');
  const orderId = await confirmation.getAttribute('data-order-id');
  expect(orderId).toMatch(/^BB-\d{8}-[A-Z0-9]{5}$/);
  expect(await page.textContent('[data-cart-count]')).toBe('0');
  return orderId!;
}

describe('demo shop, consent accepted', () => {
  let demo: Demo;
  useTestDemo((d) => (demo = d));

  it('delivers product_viewed, product_added and order_completed with the order id to the collector database', async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(demo.loopbackUrl + '/');
      await page.waitForSelector('.card');
      const accept = bannerButton(page, 'accept-all');
      await accept.waitFor({ state: 'visible', timeout: BANNER_TIMEOUT_MS });
      await accept.click();
      await expect.poll(() => page.evaluate(() => (window as any).touchpoint.consent.get().status)).toBe('decided');

      const orderId = await shopAndOrder(page, demo.loopbackUrl);

      const events = await eventually(
        () => storedTrackEvents(demo),
        (list) => list.some((e) => e.event === 'order_completed' && e.properties.order_id === orderId),
        `order_completed ${orderId} in the events table`,
      );
      const names = events.map((e) => e.event);
      // product_list_viewed of the landing page happened before the decision, so it was dropped (beforeConsent: 'drop')
      for (const name of ['product_clicked', 'product_viewed', 'product_added', 'cart_viewed', 'checkout_started', 'payment_info_entered', 'order_completed']) {
        expect(names, `${name} stored`).toContain(name);
      }
      expect(events.find((e) => e.event === 'product_viewed')!.properties).toMatchObject({ product_id: 'handmuehle-kegel', sku: 'BB-GRN-38', price: 79, currency: 'EUR' });
      expect(events.find((e) => e.event === 'product_added')!.properties).toMatchObject({ product_id: 'handmuehle-kegel', quantity: 2 });
      const order = events.find((e) => e.event === 'order_completed')!.properties;
      expect(order).toMatchObject({ order_id: orderId, currency: 'EUR', total: 158, shipping: 0 });
      expect(order.products).toEqual([expect.objectContaining({ product_id: 'handmuehle-kegel', quantity: 2, price: 79 })]);
      expect(events.find((e) => e.event === 'payment_info_entered')!.properties).toMatchObject({ order_id: orderId, payment_method: 'sepa' });
      // one device identity across the visit's pages
      expect(new Set(events.map((e) => e.anonymousId)).size).toBe(1);

      const { rows: consent } = await demo.collector.db.query<{ method: string; granted: string[] }>('SELECT method, granted FROM consent_records');
      expect(consent).toEqual([expect.objectContaining({ method: 'accept_all', granted: expect.arrayContaining(['analytics']) })]);
      const { rows: pages } = await demo.collector.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'page'`);
      expect(pages[0]!.n).toBeGreaterThanOrEqual(3);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('links the login to the device with identify and a hashed e-mail, and reset() on logout starts a new device id', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(demo.loopbackUrl + '/login');
      await bannerButton(page, 'accept-all').click({ timeout: BANNER_TIMEOUT_MS });
      await page.fill('#login-email', 'Max.Muster@Example.com');
      await page.fill('#login-password', 'demo');
      await page.click('#login-form button[type="submit"]');
      await page.waitForSelector('[data-user-email]');
      const { rows } = await eventually(
        () => demo.collector.db.query<{ user_id: string; anonymous_id: string; body: any }>(`SELECT user_id, anonymous_id, body FROM events WHERE type = 'identify'`),
        (r) => r.rows.length > 0,
        'an identify event',
      );
      const identify = typeof rows[0]!.body === 'string' ? JSON.parse(rows[0]!.body) : rows[0]!.body;
      expect(rows[0]!.user_id).toMatch(/^cust-[0-9a-f]{8}$/);
      // the login links the hashed e-mail, the customer number and the loyalty card the till scans (the shown number)
      const card = await page.textContent('[data-loyalty-id]');
      expect(identify.identities).toEqual(
        expect.arrayContaining([
          { type: 'email', value: expect.stringMatching(/^[0-9a-f]{64}$/), hashed: true },
          { type: 'customer_id', value: rows[0]!.user_id, hashed: false },
          { type: 'loyalty_id', value: card, hashed: false },
        ]),
      );
      expect(JSON.stringify(identify)).not.toContain('Example.com');

      await page.click('#logout');
      await page.waitForSelector('#login-form');
      await page.goto(demo.loopbackUrl + '/');
      await eventually(
        () => demo.collector.db.query<{ n: number }>(`SELECT count(DISTINCT anonymous_id)::int AS n FROM events WHERE body->'context'->'page'->>'path' IN ('/login', '/')`),
        (r) => r.rows[0]!.n >= 2,
        'a new device id after reset()',
      );
    } finally {
      await context.close();
    }
  });
});

describe('demo shop, consent rejected', () => {
  let demo: Demo;
  useTestDemo((d) => (demo = d));

  it('R10 (no cookie wall): after reject all the shop works — browse, cart, checkout — with the refusal as proof and no event', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(demo.loopbackUrl + '/');
      await page.waitForSelector('.card');
      const reject = bannerButton(page, 'reject-all');
      await reject.waitFor({ state: 'visible', timeout: BANNER_TIMEOUT_MS });
      await reject.click();
      await expect.poll(() => page.evaluate(() => (window as any).touchpoint.consent.get().status)).toBe('decided');

      // the card's add button works on the list page too
      await page.click('[data-add="tee-sencha"]');
      await expect.poll(() => page.textContent('[data-cart-count]')).toBe('1');
      const orderId = await shopAndOrder(page, demo.loopbackUrl, 1);
      expect(await page.textContent('[data-order-number]')).toBe(orderId);
      // the next page shows no banner again (the refusal is remembered)
      await page.goto(demo.loopbackUrl + '/');
      await page.waitForSelector('.card');
      await page.waitForTimeout(1500);
      expect(await page.locator('[data-touchpoint-action="reject-all"]:visible').count()).toBe(0);

      await eventually(() => countRows(demo, 'consent_records'), (n) => n >= 1, 'the reject_all consent record');
      const { rows } = await demo.collector.db.query<{ method: string; granted: string[] }>('SELECT method, granted FROM consent_records');
      expect(rows).toEqual([expect.objectContaining({ method: 'reject_all' })]);
      expect(rows[0]!.granted).not.toContain('analytics');
      // give a would-be flush (1 s interval) time to arrive before asserting absence
      await page.waitForTimeout(2500);
      expect(await countRows(demo, 'events')).toBe(0);
      const databases = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
      expect(databases).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('R10: a visitor who never answers the banner can still browse, fill the cart and order; nothing is stored or sent', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      const recordsBefore = await countRows(demo, 'consent_records');
      await page.goto(demo.loopbackUrl + '/');
      await page.waitForSelector('.card');
      await bannerButton(page, 'reject-all').waitFor({ state: 'visible', timeout: BANNER_TIMEOUT_MS });
      // the banner is a non-modal region: the shop behind it stays operable without a decision
      const orderId = await shopAndOrder(page, demo.loopbackUrl);
      expect(await page.textContent('[data-order-number]')).toBe(orderId);
      expect(await page.evaluate(() => (window as any).touchpoint.consent.get().status)).toBe('pending');
      await page.waitForTimeout(1500);
      expect(await countRows(demo, 'consent_records')).toBe(recordsBefore);
      expect(await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).toEqual([]);
      expect((await context.cookies()).map((c) => c.name).filter((n) => n.startsWith('tp_'))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
