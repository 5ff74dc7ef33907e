/**
 * Identity in real headless Chromium against the built bundle: cross-domain linking between two sites
 * (http://127.0.0.1:<port> and http://localhost:<port>), the adoption rules of `_tp` (fresh, valid, consented), identity
 * links hashed on the wire, and the context hand-off (`profile()`, `on('profile')`) against a small implementation of
 * the collector's visitor endpoints (token → /v1/me → SSE) in the test server.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { fixturePage, useBrowserSuite, type TestServer } from './harness';
import { fnv1a } from '../../src/util/hash';

let browser: Browser;
let server: TestServer;
useBrowserSuite({ browser: (b) => (browser = b), server: (s) => (server = s) });

const TOKEN_ID = '3f2a9c1e-7b4d-4e8a-9c55-1d2e3f4a5b6c';
/** The second site: same server, another host name, so another origin and another site for the browser. */
const otherSite = () => server.url.replace('127.0.0.1', 'localhost');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const tp = (page: Page, fn: string) => page.evaluate(`(${fn})(window.touchpoint)`);
const anonymousIdOf = async (page: Page) => ((await page.evaluate(() => (window as any).touchpoint.debug())) as { anonymousId?: string }).anonymousId;
/** The device id once the outbox has opened. */
const settledId = async (page: Page) => {
  await page.waitForFunction(() => (window as any).touchpoint?.debug);
  await expect.poll(() => anonymousIdOf(page), { timeout: 10_000 }).toBeTruthy();
  return anonymousIdOf(page);
};
const eventsFrom = (host: string) => server.events.filter((e) => new URL(e.context.page.url).hostname === host);

/** A `_tp` token as the linker makes it, for crafting stale and tampered ones (the checksum binds the user agent). */
const token = (ua: string, id: string, timeMs: number, secret = '') => {
  const ts = Math.floor(timeMs / 1000).toString(36);
  return `v1.${id}.${ts}.${fnv1a(['v1', id, ts, ua, secret].join('.'))}`;
};

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

/** Landing page on the other site: analytics granted by the page unless `decide` says otherwise. */
function landingPage(decide: Record<string, boolean> | null = { analytics: true }, config: Record<string, unknown> = {}) {
  server.page('/landing.html', fixturePage({ decide: decide ?? undefined, config: { linkDomains: ['127.0.0.1'], ...config }, body: '<h1>Landing</h1>' }));
}

describe('cross-domain linking in Chromium', () => {
  it('a click carries the device id to the other site: same anonymousId on both, _tp gone from the address bar and the page view', async () => {
    // the origin site configures linking through the script tag's data-link-domains
    server.page('/shop.html', `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="/touchpoint.js" data-write-key="wk_test" data-collector-url="/" data-banner="false" data-web-vitals="false" data-link-domains="localhost, shop.example"></script>
<script>touchpoint.consent.set({ analytics: true }, { method: 'cmp' });</script>
</head><body><a id="go" href="${otherSite()}/landing.html?utm_source=crosslink#top">to the other shop</a>
<a id="same" href="/shop.html?p=2">same site</a></body></html>`);
    landingPage();
    const { context, page } = await newPage();
    await page.goto(server.url + '/shop.html');
    await server.waitFor(() => eventsFrom('127.0.0.1').some((e) => e.type === 'page'), 15_000, 'page view on the first site');
    const idA = eventsFrom('127.0.0.1')[0].anonymousId;
    expect(idA).toBe(await anonymousIdOf(page));

    // only the other site's link is decorated, on mousedown, with a fresh token for this device
    await page.dispatchEvent('#same', 'mousedown');
    expect(await page.getAttribute('#same', 'href')).toBe('/shop.html?p=2');
    await Promise.all([page.waitForURL(/landing\.html/), page.click('#go')]);
    await server.waitFor(() => eventsFrom('localhost').some((e) => e.type === 'page'), 15_000, 'page view on the second site');

    const landing = eventsFrom('localhost').find((e) => e.type === 'page')!;
    expect(landing.anonymousId).toBe(idA);
    expect(await anonymousIdOf(page)).toBe(idA);
    expect(page.url()).toBe(`${otherSite()}/landing.html?utm_source=crosslink#top`);
    expect(landing.context.page.url).toBe(`${otherSite()}/landing.html?utm_source=crosslink#top`);
    expect(landing.context.campaign).toMatchObject({ source: 'crosslink' });
    for (const e of server.events) expect(JSON.stringify(e)).not.toContain('_tp=');
    // the device id is stored on the second site too, so its next page keeps it
    await page.reload();
    await server.waitFor(() => eventsFrom('localhost').filter((e) => e.type === 'page').length >= 2, 15_000, 'second page view');
    expect(eventsFrom('localhost').every((e) => e.anonymousId === idA)).toBe(true);
    await context.close();
  });

  it('accepts a crafted fresh token but rejects a stale (> 2 min) or tampered one, removing each from the address bar', async () => {
    landingPage();
    const { context, page } = await newPage();
    const ua = await page.evaluate(() => navigator.userAgent);
    const land = async (t: string) => {
      await page.goto(`${otherSite()}/landing.html?a=1&_tp=${encodeURIComponent(t)}`);
      const id = await settledId(page);
      expect(page.url()).toBe(`${otherSite()}/landing.html?a=1`);
      return id;
    };
    expect(await land(token(ua, TOKEN_ID, Date.now() - 5_000))).toBe(TOKEN_ID);

    // a new browser profile each time: the adopted id is stored, so the next landing would keep it anyway
    await context.close();
    for (const bad of [
      token(ua, TOKEN_ID, Date.now() - 3 * 60_000),
      token(ua, TOKEN_ID, Date.now()).replace(/.$/, (c) => (c === '0' ? '1' : '0')),
      token(ua, TOKEN_ID, Date.now()).replace(TOKEN_ID, TOKEN_ID.replace('3f2a', '3f2b')),
      token('another browser', TOKEN_ID, Date.now()),
    ]) {
      const fresh = await newPage();
      const landBad = async () => {
        await fresh.page.goto(`${otherSite()}/landing.html?a=1&_tp=${encodeURIComponent(bad)}`);
        const id = await settledId(fresh.page);
        expect(fresh.page.url()).toBe(`${otherSite()}/landing.html?a=1`);
        return id;
      };
      const id = await landBad();
      expect(id, bad).toMatch(/^[0-9a-f-]{36}$/);
      expect([TOKEN_ID, TOKEN_ID.replace('3f2a', '3f2b')], bad).not.toContain(id);
      await fresh.context.close();
    }
  });

  it('without consent nothing is adopted or stored: _tp is removed, denial drops it, a later grant gets a new id', async () => {
    landingPage(null);
    const { context, page } = await newPage();
    const ua = await page.evaluate(() => navigator.userAgent);
    await page.goto(`${otherSite()}/landing.html?_tp=${encodeURIComponent(token(ua, TOKEN_ID, Date.now()))}`);
    await page.waitForFunction(() => (window as any).touchpoint?.consent?.get?.());
    expect(page.url()).toBe(`${otherSite()}/landing.html`);
    await page.waitForTimeout(500);
    const stored = await page.evaluate(async () => ({ idb: (await indexedDB.databases()).map((d) => d.name), local: localStorage.length }));
    expect(stored).toEqual({ idb: [], local: 0 });
    expect((await context.cookies()).map((c) => c.name)).toEqual([]);
    expect(server.received).toEqual([]);

    await tp(page, `(t) => t.consent.set({ analytics: false }, { method: 'cmp' })`);
    await tp(page, `(t) => t.consent.set({ analytics: true }, { method: 'cmp' })`);
    await tp(page, `(t) => t.track('newsletter_opened')`);
    await server.waitFor(() => server.events.length > 0, 15_000, 'events after the grant');
    expect(server.events[0].anonymousId).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.events.every((e) => e.anonymousId !== TOKEN_ID)).toBe(true);
    await context.close();
  });
});

describe('identity links in Chromium', () => {
  it('e-mail and phone are hashed before they leave the browser; the set travels whole with each identify', async () => {
    server.page('/login.html', fixturePage({ decide: { analytics: true } }));
    const { context, page } = await newPage();
    await page.goto(server.url + '/login.html');
    await tp(page, `(t) => t.identify('u-42', { plan: 'gold' }, { identities: [
      { type: 'email', value: ' Jane.Doe@Example.org ' }, { type: 'phone', value: '0151 2345 6789' }, { type: 'loyalty_id', value: 'L-77' } ] })`);
    await tp(page, `(t) => t.identify('u-42', {}, { identities: [{ type: 'customer_id', value: 'C-1001' }] })`);
    await server.waitFor(() => server.events.filter((e) => e.type === 'identify').length === 2, 15_000, 'two identify events');
    const [first, second] = server.events.filter((e) => e.type === 'identify');
    const email = { type: 'email', value: sha256('jane.doe@example.org'), hashed: true };
    expect(first.identities).toEqual([email, { type: 'loyalty_id', value: 'L-77', hashed: false }]); // a national number without a country code cannot be normalised: left out
    expect(second.identities).toEqual([email, { type: 'loyalty_id', value: 'L-77', hashed: false }, { type: 'customer_id', value: 'C-1001', hashed: false }]);

    await tp(page, `(t) => t.identify('u-42', {}, { identities: [{ type: 'phone', value: '+49 151 2345 6789' }] })`);
    await server.waitFor(() => server.events.filter((e) => e.type === 'identify').length === 3, 15_000, 'third identify');
    const third = server.events.filter((e) => e.type === 'identify')[2];
    expect(third.identities.at(-1)).toEqual({ type: 'phone', value: sha256('+4915123456789'), hashed: true });
    const wire = JSON.stringify(server.received.map((r) => r.body));
    for (const clear of ['jane', 'Jane', 'example.org', '2345 6789', '23456789', '4915123456789']) expect(wire).not.toContain(clear);
    await context.close();
  });
});

/** The visitor endpoints as the collector implements them: a token bound to the device, /v1/me, an SSE stream. */
function profileEndpoints(s: TestServer) {
  const tokens = new Map<string, string>();
  const streams = new Set<ServerResponse>();
  const closed: string[] = [];
  let cart = ['sku-1'];
  const profile = (anonymousId: string) => ({
    profileId: 'p-' + anonymousId.slice(0, 8),
    openCart: { products: cart.map((id) => ({ product_id: id, quantity: 1 })), updatedAt: new Date().toISOString() },
    preferredChannel: 'web',
    lastSeenAt: new Date().toISOString(),
  });
  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  const bodyOf = (req: IncomingMessage) => new Promise<any>((r) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c)).on('end', () => r(JSON.parse(Buffer.concat(chunks).toString() || '{}')));
  });
  s.route('/v1/profile-token', async (req, res) => {
    const body = await bodyOf(req);
    if (req.headers.authorization !== 'Basic ' + Buffer.from('wk_test:').toString('base64') || !body.anonymousId) return json(res, 401, { error: 'no' });
    const t = 'tok-' + (tokens.size + 1);
    tokens.set(t, body.anonymousId);
    json(res, 200, { token: t, expiresAt: new Date(Date.now() + 60_000).toISOString() });
  });
  s.route('/v1/me', (req, res) => {
    const id = tokens.get(String(req.headers.authorization).replace('Bearer ', ''));
    id ? json(res, 200, profile(id)) : json(res, 401, { error: 'no' });
  });
  s.route('/v1/me/stream', (req, res) => {
    const t = new URL(req.url!, 'http://x').searchParams.get('token') ?? '';
    const id = tokens.get(t);
    if (!id) return json(res, 401, { error: 'no' });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    const send = () => res.write(`event: profile\ndata: ${JSON.stringify(profile(id))}\n\n`);
    (res as any).send = send;
    streams.add(res);
    send();
    req.on('close', () => (streams.delete(res), closed.push(t)));
  });
  return {
    tokens,
    streams,
    closed,
    /** The cart changes on another device: every open stream gets the new profile. */
    addToCart(id: string) {
      cart = [...cart, id];
      for (const r of streams) (r as any).send();
    },
  };
}

describe('context hand-off in Chromium', () => {
  it('profile() and on(\'profile\') read the own profile with a device-bound token, get live updates, and stop on withdrawal', async () => {
    const ep = profileEndpoints(server);
    server.page('/account.html', fixturePage({
      decide: { analytics: true, personalization: true },
      script: `window.seen = []; touchpoint.on('profile', (p) => seen.push(p)); touchpoint.profile().then((p) => (window.first = p));`,
    }));
    const { context, page } = await newPage();
    await page.goto(server.url + '/account.html');
    await page.waitForFunction(() => (window as any).first && (window as any).seen.length > 0, undefined, { timeout: 15_000 });
    const id = await anonymousIdOf(page);
    expect([...ep.tokens.values()].every((v) => v === id)).toBe(true);
    const first = (await page.evaluate(() => (window as any).first)) as any;
    expect(first.openCart.products.map((p: any) => p.product_id)).toEqual(['sku-1']);

    ep.addToCart('sku-2');
    await page.waitForFunction(() => (window as any).seen.some((p: any) => p.openCart.products.length === 2), undefined, { timeout: 15_000 });
    expect(ep.streams.size).toBe(1);

    await tp(page, `(t) => t.consent.set({ analytics: true, personalization: false }, { method: 'cmp' })`);
    await server.waitFor(() => ep.streams.size === 0, 10_000, 'stream closed after withdrawal');
    const seen = await page.evaluate(() => (window as any).seen.length);
    ep.addToCart('sku-3');
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as any).seen.length)).toBe(seen);
    expect(await tp(page, `(t) => t.profile()`)).toBeUndefined();
    await context.close();
  });

  it('without personalization consent profile() resolves undefined and no profile request is made', async () => {
    const ep = profileEndpoints(server);
    server.page('/account.html', fixturePage({ decide: { analytics: true }, script: `touchpoint.on('profile', () => {});` }));
    const { context, page } = await newPage();
    await page.goto(server.url + '/account.html');
    expect(await tp(page, `(t) => t.profile()`)).toBeUndefined();
    await page.waitForTimeout(300);
    expect(ep.tokens.size).toBe(0);
    expect(server.requests.filter((r) => r.path.startsWith('/v1/me') || r.path === '/v1/profile-token')).toEqual([]);
    await context.close();
  });
});
