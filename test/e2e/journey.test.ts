/**
 * The issue's whole omnichannel journey through the real SDK in headless Chromium, browser contexts as devices: device
 * A lands from an e-mail campaign, browses on to a second page, accepts there, views and adds a product and signs in;
 * device B accepts and signs in with the same e-mail; the cashier rings up a purchase on the till page with the loyalty
 * card shown on the account page. Then the profile API and the dashboard show one profile with both devices, web and
 * store, the campaign as first touch and the whole timeline in order; device B's `touchpoint.profile()` and the shop's
 * hand-off notice show device A's cart, live as A adds more; a device D that signs in before deciding joins once it
 * accepts; no request of either device carries the raw e-mail; a third visitor reads only their own profile, and a
 * stranger who identifies with the customer's user id and e-mail but no valid user_hash (identity verification) gets
 * no profile token and never the customer's cart.
 * Imports: the demo server (via helpers), the browser harness, playwright-core, axe. Only 127.0.0.1 is a target.
 */
import { createHash, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { launchBrowser } from '../browser/harness';
import { normaliseEmail } from '../../src/identity/hash';
import { customerId } from '../../demo/server.mjs';
import { eventually, useTestDemo, type Demo } from './helpers';

const SECRET = 'sk_e2e_journey';
const BANNER_TIMEOUT_MS = 15_000;
const n = randomUUID().slice(0, 8);
// typed differently on the two devices: the SDK normalises before hashing, so both link the same identity
const EMAIL_A = `Jana.Journey.${n}@Example.com`;
const EMAIL_B = `  jana.journey.${n}@example.com`;
const EMAIL_HASH = createHash('sha256').update(normaliseEmail(EMAIL_A)!).digest('hex');
const CAMPAIGN_URL = '/?utm_source=newsletter&utm_medium=email&utm_campaign=spring';
const WEB_PRODUCT = 'espresso-nordlicht';
const STORE_PRODUCT = 'tee-sencha';
const LATER_PRODUCT = 'filter-morgenrot';
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let demo: Demo;
useTestDemo((d) => (demo = d), { secretKey: SECRET });

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** One device: a browser context whose every request (URL and decoded body) is recorded, and its page errors. */
interface Device {
  context: BrowserContext;
  page: Page;
  sent: { url: string; body: string }[];
  errors: string[];
}
async function device(): Promise<Device> {
  const context = await browser.newContext({ locale: 'de-DE' });
  const d: Device = { context, page: await context.newPage(), sent: [], errors: [] };
  context.on('request', (r: Request) => {
    const raw = r.postDataBuffer();
    // bodies of 1 KiB and more travel gzipped: read what the collector would read
    const body = raw && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : (raw?.toString('utf8') ?? '');
    d.sent.push({ url: r.url(), body });
  });
  d.page.on('pageerror', (e) => d.errors.push(String(e)));
  return d;
}

const acceptAll = async (page: Page) => {
  await page.locator('[data-touchpoint-action="accept-all"]:visible').first().click({ timeout: BANNER_TIMEOUT_MS });
  await expect.poll(() => page.evaluate(() => (window as any).touchpoint.consent.get().status)).toBe('decided');
};
const deviceId = (page: Page) =>
  expect.poll(() => page.evaluate(async () => (await (window as any).touchpoint.debug()).anonymousId as string | undefined)).toMatch(/^[0-9a-f-]{36}$/).then(
    () => page.evaluate(async () => (await (window as any).touchpoint.debug()).anonymousId as string),
  );
const signIn = async (page: Page, email: string) => {
  await page.goto(demo.loopbackUrl + '/login');
  await page.fill('#login-email', email);
  await page.fill('#login-password', 'demo');
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector('[data-loyalty-id]');
  // the identify leaves through the outbox; send it now rather than on the next timer
  await page.evaluate(() => (window as any).touchpoint.flush());
};
/** Every request but the sign-in form's post to the shop's own server (/shop/api/login), which is the login itself, not tracking. */
const tracking = (sent: Device['sent']) => sent.filter((r) => !new URL(r.url).pathname.startsWith('/shop/api/login'));
const admin = async (path: string) => {
  const res = await fetch(demo.loopbackUrl + path, { headers: { Authorization: `Bearer ${SECRET}` } });
  return { status: res.status, body: (await res.json()) as any };
};

describe('the omnichannel journey through the real SDK: two devices and the store', () => {
  let a: Device;
  let b: Device;
  let idA: string;
  let idB: string;
  let loyaltyId: string;
  let profileId: string;

  afterAll(async () => {
    await a?.context.close();
    await b?.context.close();
  });

  it('device A: campaign arrival, anonymous browsing, consent, product, cart, login', async () => {
    a = await device();
    const { page } = a;
    await page.goto(demo.loopbackUrl + CAMPAIGN_URL);
    await page.waitForSelector('.card');
    // browsing before the decision, one click on: nothing reaches the collector
    await page.locator(`.card-title [data-product-link="${STORE_PRODUCT}"]`).scrollIntoViewIfNeeded();
    await page.click('#category-filter a[href="/?category=coffee"]');
    await page.waitForURL(/\/\?category=coffee$/);
    await page.waitForSelector('.card');
    expect(a.sent.filter((r) => r.url.includes('/v1/'))).toEqual([]);
    // the decision on the second page: the landing's campaign is still the arrival's (test below: first touch)
    await acceptAll(page);
    idA = await deviceId(page);

    await page.click(`.card-title [data-product-link="${WEB_PRODUCT}"]`);
    await page.waitForURL(new RegExp(`/product\\?id=${WEB_PRODUCT}$`));
    await page.fill('#qty', '2');
    await page.click(`[data-add-product="${WEB_PRODUCT}"]`);
    await expect.poll(() => page.textContent('[data-cart-count]')).toBe('2');

    await signIn(page, EMAIL_A);
    loyaltyId = (await page.textContent('[data-loyalty-id]'))!;
    expect(loyaltyId).toMatch(/^L-\d{5}$/);
    // device A holds the cart itself: no hand-off notice here
    await page.goto(demo.loopbackUrl + '/cart');
    await page.waitForSelector(`.cart-line[data-line="${WEB_PRODUCT}"]`);
    await eventually(() => demo.collector.profiles.find('loyalty_id', loyaltyId), (p) => !!p, 'the login in the identity graph');
    await expect.poll(() => page.evaluate(async () => (await (window as any).touchpoint.profile())?.openCart?.products?.length)).toBe(1);
    expect(await page.locator('#cart-handoff [data-handoff-line]').count()).toBe(0);
  });

  it('device B: consent and login with the same e-mail', async () => {
    b = await device();
    const { page } = b;
    await page.goto(demo.loopbackUrl + '/');
    await page.waitForSelector('.card');
    await acceptAll(page);
    idB = await deviceId(page);
    expect(idB).not.toBe(idA);
    await signIn(page, EMAIL_B);
    expect(await page.textContent('[data-loyalty-id]')).toBe(loyaltyId); // the same customer, the same card
    // the login reached the collector and joined device B to device A's profile
    const joined = await eventually(
      () => demo.collector.profiles.find('anonymous_id', idB),
      (p) => !!p && p.devices.some((d) => d.anonymousId === idA),
      "device B in device A's profile",
    );
    profileId = joined!.profileId;
  });

  it('the store: the cashier rings up a purchase with the loyalty card from the account page', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(demo.loopbackUrl + '/staff/till');
      await page.fill('#loyalty-id', loyaltyId);
      await page.selectOption('#till-product', STORE_PRODUCT);
      await page.fill('#till-qty', '1');
      await page.click('#till-add');
      await page.click('#till-submit');
      await page.waitForSelector('#staff-result[data-state="ok"]', { timeout: 10_000 });
    } finally {
      await page.close();
    }
    await eventually(() => demo.collector.profiles.find('loyalty_id', loyaltyId), (p) => !!p?.channels.includes('store'), 'the till purchase in the profile');
  });

  it('the profile API shows one profile: two devices, web and store, the campaign first, the whole timeline in order', async () => {
    const { status, body: p } = await admin(`/v1/profiles?identity=${encodeURIComponent(`loyalty_id:${loyaltyId}`)}`);
    expect(status).toBe(200);
    expect(p.profileId).toBe(profileId);
    for (const identity of [`anonymous_id:${idA}`, `anonymous_id:${idB}`, `email:${EMAIL_HASH}`]) {
      expect((await admin(`/v1/profiles?identity=${encodeURIComponent(identity)}`)).body.profileId, identity).toBe(profileId);
    }
    expect(p.devices.map((d: any) => d.anonymousId).sort()).toEqual([idA, idB].sort());
    expect(p.channels).toEqual(['web', 'store']);
    expect(p.identities.find((i: any) => i.type === 'email')).toMatchObject({ value: EMAIL_HASH, hashed: true });
    expect(p.attribution.firstTouch).toMatchObject({ channel: 'web', arrivalChannel: 'Email', campaign: { source: 'newsletter', medium: 'email', name: 'spring' } });
    expect(p.attribution.lastTouch).toMatchObject({ channel: 'store' });

    // the whole timeline: every event either device delivered, and the receipt, oldest first
    // (the open pages may still deliver, e.g. web vitals: compare again until both reads agree)
    const stored = async () => (await demo.collector.db.query<{ message_id: string }>(`SELECT message_id FROM events WHERE anonymous_id = ANY($1::text[]) OR channel = 'store'`, [[idA, idB]])).rows.map((r) => r.message_id).sort();
    await expect
      .poll(async () => {
        const [ids, view] = [await stored(), (await admin(`/v1/profiles/${profileId}`)).body];
        return view.touchpoints.total === ids.length && JSON.stringify(view.timeline.map((t: any) => t.messageId).sort()) === JSON.stringify(ids);
      }, { timeout: 10_000 })
      .toBe(true);
    const times = p.timeline.map((t: any) => Date.parse(t.timestamp));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    const first = p.timeline[0];
    expect(first).toMatchObject({ type: 'page', anonymousId: idA, path: '/', campaign: { name: 'spring' } });
    // the journey's steps, in this order, across both devices and the store
    const step = (t: any) => `${t.anonymousId === idA ? 'A' : t.anonymousId === idB ? 'B' : t.channel} ${t.event ?? t.type}`;
    const steps = p.timeline.map(step);
    const journey = ['A page', 'A product_viewed', 'A product_added', 'A identify', 'B page', 'B identify', 'store order_completed'];
    let at = -1;
    for (const s of journey) {
      const next = steps.indexOf(s, at + 1);
      expect(next, `${s} after ${journey[journey.indexOf(s) - 1] ?? 'the start'} in ${steps.join(', ')}`).toBeGreaterThan(at);
      at = next;
    }
    expect(steps.at(-1)).toBe('store order_completed');
    expect(p.timeline.find((t: any) => t.event === 'product_added').properties).toMatchObject({ product_id: WEB_PRODUCT, quantity: 2 });
    // exactly one profile holds any identity of the journey
    const { rows: roots } = await demo.collector.db.query<{ n: number }>(
      `SELECT count(DISTINCT p.root_id)::int AS n FROM identities i JOIN profiles p USING (profile_id) WHERE i.value = ANY($1::text[])`,
      [[idA, idB, EMAIL_HASH, loyaltyId]],
    );
    expect(roots[0]!.n).toBe(1);
  });

  it('the dashboard shows the same profile, its timeline and the merge', async () => {
    const { body: p } = await admin(`/v1/profiles/${profileId}`);
    const page = await browser.newPage();
    try {
      await page.goto(demo.loopbackUrl + '/dashboard#profiles');
      await page.fill('#profile-query', `loyalty_id:${loyaltyId}`);
      await page.click('#profile-search button[type="submit"]');
      await page.waitForFunction((id) => document.querySelector('#profile-id')?.textContent === id, profileId, { timeout: 10_000 });
      expect(await page.textContent('#profile-devices')).toBe('2');
      expect(await page.textContent('#profile-channels')).toMatch(/web.*store/);
      expect(await page.textContent('#profile-device-list')).toContain(idA);
      expect(await page.textContent('#profile-device-list')).toContain(idB);
      // newest first: the same touchpoints as the API, in reverse (the open pages may still deliver, e.g. web vitals: read both again then)
      const rows = () => page.$$eval('#profile-timeline tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.messageId));
      expect(await rows()).toEqual(expect.arrayContaining(p.timeline.map((t: any) => t.messageId)));
      await expect
        .poll(async () => {
          const [shown, fresh] = [await rows(), (await admin(`/v1/profiles/${profileId}`)).body.timeline.map((t: any) => t.messageId).reverse()];
          if (JSON.stringify(shown) === JSON.stringify(fresh)) return 'the same';
          await page.click('#profile-search button[type="submit"]');
          await page.waitForTimeout(300);
          return `${shown.length} shown, ${fresh.length} in the API`;
        }, { timeout: 10_000 })
        .toBe('the same');
      expect(await page.textContent('#merges-body')).toContain('merged');
      // the e-mail typed in plain text is hashed in the page and finds the same customer
      await page.goto(demo.loopbackUrl + '/dashboard#profiles');
      await page.fill('#profile-query', `email:${EMAIL_A}`);
      await page.click('#profile-search button[type="submit"]');
      await page.waitForFunction((id) => document.querySelector('#profile-id')?.textContent === id, profileId, { timeout: 10_000 });
    } finally {
      await page.close();
    }
  });

  it("device B: touchpoint.profile() and the shop's hand-off notice show the cart from device A", async () => {
    const { page } = b;
    const summary = await page.evaluate(() => (window as any).touchpoint.profile());
    expect(summary.profileId).toBe(profileId);
    expect(summary.openCart.products).toEqual([expect.objectContaining({ product_id: WEB_PRODUCT, quantity: 2 })]);
    expect(summary.recentlyViewed.map((x: any) => x.product_id)).toEqual([WEB_PRODUCT]);

    await page.goto(demo.loopbackUrl + '/cart');
    await page.waitForSelector('.empty'); // device B's own cart is empty
    const line = page.locator(`#cart-handoff [data-handoff-line="${WEB_PRODUCT}"]`);
    await line.waitFor({ timeout: 10_000 });
    expect(await page.getAttribute('#cart-handoff', 'role')).toBe('status');
    expect(await page.textContent('#cart-handoff')).toContain('Ihr Warenkorb von einem anderen Gerät');
    expect(await line.getAttribute('data-qty')).toBe('2');
    const axe = await new AxeBuilder({ page }).include('#cart-handoff').withTags(WCAG).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((x) => x.target.join(' ')).join(', ')}`)).toEqual([]);
    await page.click('#cart-handoff [data-handoff-take]');
    await page.waitForSelector(`.cart-line[data-line="${WEB_PRODUCT}"]`);
    expect(await page.textContent('[data-cart-count]')).toBe('2');
    await expect.poll(() => page.locator('#cart-handoff [data-handoff-line]').count()).toBe(0);
    // taking over is no new product_added: the customer's one cart still holds two
    await page.evaluate(() => (window as any).touchpoint.flush());
    expect((await demo.collector.profiles.summary(profileId))!.openCart!.products).toEqual([expect.objectContaining({ product_id: WEB_PRODUCT, quantity: 2 })]);
    // and reloading the cart page offers nothing more
    await page.reload();
    await page.waitForSelector(`.cart-line[data-line="${WEB_PRODUCT}"]`);
    await page.evaluate(() => (window as any).touchpoint.profile());
    expect(await page.locator('#cart-handoff [data-handoff-line]').count()).toBe(0);
  });

  it('device B sees live what device A adds to the cart meanwhile (on(\'profile\'))', async () => {
    // device B stays on its cart page; device A adds another product
    await a.page.goto(`${demo.loopbackUrl}/product?id=${LATER_PRODUCT}`);
    await a.page.click(`[data-add-product="${LATER_PRODUCT}"]`);
    await a.page.evaluate(() => (window as any).touchpoint.flush());
    const line = b.page.locator(`#cart-handoff [data-handoff-line="${LATER_PRODUCT}"]`);
    await line.waitFor({ timeout: 15_000 });
    expect(await line.getAttribute('data-qty')).toBe('1');
    // the two already taken over are not offered again
    expect(await b.page.locator('#cart-handoff [data-handoff-line]').count()).toBe(1);
    await b.page.click('#cart-handoff [data-handoff-dismiss]');
    expect(await b.page.locator('#cart-handoff [data-handoff-line]').count()).toBe(0);
    expect(await b.page.textContent('[data-cart-count]')).toBe('2');
  });

  it('device D signs in before deciding on consent and accepts afterwards: it joins the same profile', async () => {
    const d = await device();
    try {
      await d.page.goto(demo.loopbackUrl + '/login');
      await d.page.fill('#login-email', EMAIL_A);
      await d.page.fill('#login-password', 'demo');
      await d.page.click('#login-form button[type="submit"]');
      await d.page.waitForSelector('[data-loyalty-id]');
      expect(d.sent.filter((r) => r.url.includes('/v1/'))).toEqual([]);
      await acceptAll(d.page);
      const idD = await deviceId(d.page);
      await d.page.goto(demo.loopbackUrl + '/cart');
      await d.page.evaluate(() => (window as any).touchpoint.flush());
      const p = await eventually(() => demo.collector.profiles.find('anonymous_id', idD), (p) => p?.profileId === profileId, "device D in the customer's profile");
      expect(p!.devices.map((x) => x.anonymousId)).toContain(idD);
      // its events after the decision name the customer, on later pages too, and the shop linked the login once allowed
      const { rows } = await eventually(
        () =>
          demo.collector.db.query<{ type: string; user_id: string | null; path: string; body: any }>(
            `SELECT type, user_id, body->'context'->'page'->>'path' AS path, body FROM events WHERE anonymous_id = $1 ORDER BY timestamp`,
            [idD],
          ),
        (r) => r.rows.some((x) => x.path === '/cart') && r.rows.some((x) => x.type === 'identify'),
        "device D's identify and its cart page",
      );
      const customer = p!.timeline.find((t) => t.userId)!.userId;
      expect(rows.filter((r) => r.user_id !== customer).map((r) => `${r.type} ${r.path} ${r.user_id}`)).toEqual([]);
      const identify = rows.find((r) => r.type === 'identify');
      expect((typeof identify?.body === 'string' ? JSON.parse(identify.body) : identify?.body)?.identities).toEqual(
        expect.arrayContaining([{ type: 'email', value: EMAIL_HASH, hashed: true }, { type: 'loyalty_id', value: loyaltyId, hashed: false }]),
      );
      await d.page.locator(`#cart-handoff [data-handoff-line="${WEB_PRODUCT}"]`).waitFor({ timeout: 15_000 });
      for (const r of tracking(d.sent)) expect(decodeURIComponent(r.url + r.body).toLowerCase()).not.toContain(`jana.journey.${n}`);
    } finally {
      await d.context.close();
    }
  });

  it('identity links are hashed on the wire: no request of either device carries the raw e-mail', () => {
    const raw = [normaliseEmail(EMAIL_A)!, `jana.journey.${n}`];
    const all = tracking([...a.sent, ...b.sent]);
    for (const r of all) {
      const text = decodeURIComponent(r.url + '\n' + r.body).toLowerCase();
      for (const v of raw) expect(text, r.url).not.toContain(v);
    }
    // the recording saw the identify of both devices: the hash went out, from each
    expect(a.sent.some((r) => r.url.includes('/v1/') && r.body.includes(EMAIL_HASH))).toBe(true);
    expect(b.sent.some((r) => r.url.includes('/v1/') && r.body.includes(EMAIL_HASH))).toBe(true);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it("a stranger who identifies as the customer without the shop's user_hash gets no token and never the cart", async () => {
    const x = await device();
    try {
      await x.page.goto(demo.loopbackUrl + '/');
      await acceptAll(x.page);
      const idX = await deviceId(x.page);
      // the stranger knows the customer's e-mail and customer number, and makes up a user_hash
      const victimId = customerId(EMAIL_A);
      await x.page.evaluate(
        ({ userId, email }) =>
          (window as any).touchpoint.identify(userId, {}, { identities: [{ type: 'email', value: email }, { type: 'customer_id', value: userId }, { type: 'user_hash', value: 'f'.repeat(64) }] }),
        { userId: victimId, email: EMAIL_A },
      );
      await x.page.evaluate(() => (window as any).touchpoint.flush());
      // the graph does join the claim to the customer (identities are claims)…
      await eventually(() => demo.collector.profiles.find('anonymous_id', idX), (p) => p?.profileId === profileId, "the stranger's claim in the identity graph");
      // …but the collector hands this device no token, so neither /v1/me nor the stream shows the customer's cart
      const basic = `Basic ${Buffer.from('demo-shop-key:').toString('base64')}`;
      const res = await fetch(demo.loopbackUrl + '/v1/profile-token', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: basic }, body: JSON.stringify({ anonymousId: idX }) });
      expect(res.status).toBe(403);
      expect(((await res.json()) as any).error.code).toBe('identity_not_verified');
      expect(await x.page.evaluate(() => (window as any).touchpoint.profile())).toBeFalsy();
      await x.page.goto(demo.loopbackUrl + '/cart');
      await x.page.waitForSelector('.empty');
      expect(await x.page.locator('#cart-handoff [data-handoff-line]').count()).toBe(0);
      for (const r of x.sent) if (r.url.includes('/v1/me')) expect(r.body).not.toContain(WEB_PRODUCT);
      // the real customer's device B signed in through the shop's server and sent the user_hash it answered
      const hashes = b.sent.filter((r) => r.url.includes('/v1/') && r.body.includes('user_hash'));
      expect(hashes.length).toBeGreaterThan(0);
      expect(x.errors).toEqual([]);
    } finally {
      await x.context.close();
    }
  });

  it('another visitor reads only their own profile, and nobody reads one without a key or a known device', async () => {
    const c = await device();
    try {
      await c.page.goto(demo.loopbackUrl + '/');
      await acceptAll(c.page);
      const idC = await deviceId(c.page);
      await c.page.evaluate(() => (window as any).touchpoint.flush());
      const own = await expect
        .poll(() => c.page.evaluate(() => (window as any).touchpoint.profile()), { timeout: 15_000 })
        .toBeTruthy()
        .then(() => c.page.evaluate(() => (window as any).touchpoint.profile()));
      expect(own.profileId).not.toBe(profileId);
      expect(own.openCart).toBeUndefined();
      expect(own.recentlyViewed).toEqual([]);
      expect((await demo.collector.profiles.find('anonymous_id', idC))!.profileId).toBe(own.profileId);

      // device C's token reads device C; changed to name device A, it is refused
      const basic = `Basic ${Buffer.from('demo-shop-key:').toString('base64')}`;
      const tokenFor = (anonymousId: string) =>
        fetch(demo.loopbackUrl + '/v1/profile-token', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: basic }, body: JSON.stringify({ anonymousId }) });
      const { token } = (await (await tokenFor(idC)).json()) as { token: string };
      const me = (token: string) => fetch(demo.loopbackUrl + '/v1/me', { headers: { Authorization: `Bearer ${token}` } });
      expect(((await (await me(token)).json()) as any).profileId).toBe(own.profileId);
      const [payload, mac] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      const forged = `${Buffer.from(JSON.stringify({ ...claims, a: idA })).toString('base64url')}.${mac}`;
      expect((await me(forged)).status).toBe(401);
      // a device id the collector never saw gets no token; ids cannot be tried out
      expect((await tokenFor(randomUUID())).status).toBe(403);
      // the profile API wants the secret key: none, or the shop's write key, is 401
      expect((await fetch(`${demo.loopbackUrl}/v1/profiles/${profileId}`)).status).toBe(401);
      expect((await fetch(`${demo.loopbackUrl}/v1/profiles/${profileId}`, { headers: { Authorization: 'Bearer demo-shop-key' } })).status).toBe(401);
      expect((await fetch(`${demo.loopbackUrl}/v1/profiles?identity=${encodeURIComponent(`loyalty_id:${loyaltyId}`)}`)).status).toBe(401);
      expect(c.errors).toEqual([]);
    } finally {
      await c.context.close();
    }
  });
});
