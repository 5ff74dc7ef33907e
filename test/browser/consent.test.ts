/**
 * Consent in real headless Chromium against the built bundle: nothing stored or sent before a decision (R1/R2), the
 * consent cookie and proof record after it, refusal remembered across reloads (R13), GPC honoured (R16), reflow at 320 px.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useBrowserSuite, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;

useBrowserSuite({ browser: (b) => (browser = b), server: (s) => (server = s) });
beforeEach(() => {
  server.page('/shop.html', `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Shop</title>
<script src="/touchpoint.js" data-write-key="wk_test" data-collector-url="${server.url}" data-web-vitals="false" data-debug="true"></script>
</head><body><main><h1>Shop</h1><button id="buy">Kaufen</button></main></body></html>`);
});

const state = (page: Page) => page.evaluate(() => (window as any).touchpoint.consent.get());
const storageAudit = (page: Page, context: BrowserContext) =>
  Promise.all([
    context.cookies(),
    page.evaluate(async () => ({
      local: localStorage.length,
      session: sessionStorage.length,
      idb: (await indexedDB.databases()).map((d) => d.name),
      caches: (await caches.keys()).length,
    })),
  ]);

async function open(init?: (p: Page) => Promise<unknown>, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 700 } });
  const page = await context.newPage();
  await init?.(page);
  await page.goto(server.url + '/shop.html');
  await page.waitForFunction(() => (window as any).touchpoint?.consent?.get?.());
  return { context, page };
}

describe('consent in Chromium', () => {
  it('R1/R2: before a decision nothing is stored and nothing is sent; after accept only then', async () => {
    const { context, page } = await open();
    await page.locator('#tp-consent section[role="region"]').first().waitFor();
    await page.evaluate(() => (window as any).touchpoint.track('product_viewed', { sku: 'A1' }));
    await page.waitForTimeout(1500);
    const [cookies, stores] = await storageAudit(page, context);
    expect(cookies).toEqual([]);
    expect(stores).toEqual({ local: 0, session: 0, idb: [], caches: 0 });
    expect(server.received).toEqual([]);
    expect((await state(page)).status).toBe('pending');

    await page.click('section[role="region"] [data-touchpoint-action="accept-all"]');
    await server.waitFor(() => server.consentRecords.length == 1, 10_000, 'proof record');
    const [record] = server.consentRecords;
    expect(record).toMatchObject({ method: 'accept_all', layer: 'banner', locale: 'de', granted: ['necessary', 'analytics', 'marketing', 'personalization'], denied: [] });
    expect(record.textHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(record)).not.toMatch(/anonymousId|userId|messageId/);
    const cookie = (await context.cookies()).find((c) => c.name == 'tp_consent')!;
    expect(cookie).toMatchObject({ path: '/', sameSite: 'Lax', httpOnly: false });
    expect(Math.round((cookie.expires * 1000 - Date.now()) / 864e5)).toBe(182);
    expect(Object.keys(JSON.parse(decodeURIComponent(cookie.value))).sort()).toEqual(['e', 'f', 'g', 'id', 'm', 'p', 't', 'v']);
    await context.close();
  });

  it('R13: a refusal is remembered — no banner after a reload, nothing sent', async () => {
    const { context, page } = await open();
    await page.click('section[role="region"] [data-touchpoint-action="reject-all"]');
    await server.waitFor(() => server.consentRecords.length == 1, 10_000, 'proof record');
    await page.reload();
    await page.waitForFunction(() => (window as any).touchpoint?.consent?.get?.());
    await page.waitForTimeout(800);
    expect(await state(page)).toMatchObject({ status: 'decided', method: 'reject_all' });
    expect(await page.locator('#tp-consent section[role="region"]:not([hidden])').count()).toBe(0);
    expect(server.received.filter((r) => r.path != '/v1/consent')).toEqual([]);
    await context.close();
  });

  it('R16: GPC starts the visitor as denied with a gpc record and a short notice; opting in stays possible', async () => {
    const { context, page } = await open((p) => p.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })));
    await server.waitFor(() => server.consentRecords.length == 1, 10_000, 'gpc record');
    expect(server.consentRecords[0]).toMatchObject({ method: 'gpc', layer: 'none', granted: ['necessary'] });
    expect(await state(page)).toMatchObject({ status: 'decided', method: 'gpc', signal: 'gpc' });
    const notice = page.locator('#tp-consent section[role="region"]:not([hidden])');
    await notice.waitFor();
    expect(await notice.locator('[data-touchpoint-action="accept-all"]').count()).toBe(0);
    await notice.locator('[data-touchpoint-action="open-preferences"]').click();
    await page.locator('dialog [role="switch"]:not([disabled])').first().click();
    await page.click('dialog [data-touchpoint-action="save-preferences"]');
    expect(await state(page)).toMatchObject({ method: 'custom', granted: ['necessary', 'analytics'] });
    await context.close();
  });

  it('reflows at 320 px: no horizontal scrolling, reject visible without scrolling', async () => {
    const { context, page } = await open(undefined, 320);
    await page.locator('#tp-consent section[role="region"]').first().waitFor();
    const m = await page.evaluate(() => {
      const root = document.getElementById('tp-consent')!.shadowRoot!;
      const card = root.querySelector('section:not([hidden])') as HTMLElement;
      const reject = root.querySelector('section:not([hidden]) [data-touchpoint-action="reject-all"]')!.getBoundingClientRect();
      return { scrollW: document.documentElement.scrollWidth, cardW: card.scrollWidth, clientW: card.clientWidth, rejectRight: reject.right, rejectBottom: reject.bottom, vh: innerHeight };
    });
    expect(m.scrollW).toBeLessThanOrEqual(320);
    expect(m.cardW).toBeLessThanOrEqual(m.clientW);
    expect(m.rejectRight).toBeLessThanOrEqual(320);
    expect(m.rejectBottom).toBeLessThanOrEqual(m.vh);
    await context.close();
  });
});
