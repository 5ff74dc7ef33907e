/**
 * The unified customer view end to end with the demo: two devices' web touchpoints (a campaign arrival, consent, a
 * cart, a login on each) and a store purchase rung up on the till page in Chromium become one profile with two devices
 * and the web and store channels, its timeline in order, in the profile API, in device B's own /v1/me (the cart from
 * device A) and in the dashboard (search, identity graph, timeline, merge log). Imports: the demo server, the browser
 * harness. Only 127.0.0.1 is a target.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStaffEvent, startDemo, type Demo } from '../../demo/server.mjs';
import { normaliseEmail } from '../../src/identity/hash';
import { launchBrowser } from '../browser/harness';
import { eventually } from './helpers';

const SECRET = 'sk_e2e_identity';
const IDENTITY_SECRET = 'idv_e2e_identity';
let demo: Demo;
beforeAll(async () => {
  demo = await startDemo({ port: 0, host: '127.0.0.1', ipv6: false, databaseUrl: 'memory://', secretKey: SECRET, identitySecret: IDENTITY_SECRET, log: () => {} });
});
afterAll(async () => {
  await demo?.close();
});

const n = randomUUID().slice(0, 8);
const DEVICE_A = `device-a-${n}`;
const DEVICE_B = `device-b-${n}`;
const USER = `cust-${n}`;
const LOYALTY = `L-${n}`;
const EMAIL_HASH = createHash('sha256').update(`jana.${n}@example.com`).digest('hex');
/** What the shop's server hands a signed-in page (identity verification). */
const USER_HASH = createHmac('sha256', IDENTITY_SECRET).update(USER).digest('hex');
const CONSENT = { policyVersion: '1', categories: ['necessary', 'analytics', 'personalization'], method: 'accept_all' };
let clock = Date.now() - 3_600_000;

const web = (anonymousId: string, o: Record<string, unknown>) => ({
  type: 'track',
  messageId: randomUUID(),
  anonymousId,
  timestamp: new Date((clock += 60_000)).toISOString(),
  context: { channel: 'Direct', consent: CONSENT, library: { name: 'touchpoint', version: '0.1.0' }, page: { path: '/' } },
  ...o,
});
async function postBatch(batch: unknown[]) {
  const res = await fetch(demo.loopbackUrl + '/v1/batch', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Write-Key': 'demo-shop-key' }, body: JSON.stringify({ batch }) });
  expect(res.status).toBe(200);
  expect((await res.json()).accepted).toBe(batch.length);
}
const admin = async (path: string) => {
  const res = await fetch(demo.loopbackUrl + path, { headers: { Authorization: `Bearer ${SECRET}` } });
  expect(res.status).toBe(200);
  return res.json() as Promise<any>;
};

describe('one customer across two devices and the store', () => {
  let profileId: string;

  it('joins both devices and a till purchase into one profile', async () => {
    const product = { product_id: 'espresso-nordlicht', name: 'Espresso Nordlicht', price: 12.9 };
    // device A: arrives from a campaign, browses, fills the cart, signs in with the loyalty card linked
    await postBatch([
      web(DEVICE_A, { type: 'page', name: 'Home', context: { channel: 'Paid Search', campaign: { source: 'google', medium: 'cpc', name: 'autumn-espresso' }, consent: CONSENT, page: { path: '/' } } }),
      web(DEVICE_A, { event: 'product_viewed', properties: product }),
      web(DEVICE_A, { event: 'product_added', properties: { ...product, quantity: 2 } }),
      web(DEVICE_A, { type: 'identify', userId: USER, traits: { preferred_language: 'de' }, identities: [{ type: 'email', value: EMAIL_HASH, hashed: true }, { type: 'loyalty_id', value: LOYALTY, hashed: false }] }),
    ]);
    // device B: signs in later with the same account
    await postBatch([web(DEVICE_B, { type: 'page', name: 'Login' }), web(DEVICE_B, { type: 'identify', userId: USER, identities: [{ type: 'email', value: EMAIL_HASH, hashed: true }, { type: 'user_hash', value: USER_HASH, hashed: false }] })]);

    // the store: the cashier rings up a sale on the till page with the loyalty card
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(demo.loopbackUrl + '/staff/till');
      await page.fill('#loyalty-id', LOYALTY);
      await page.selectOption('#till-product', 'espresso-nordlicht');
      await page.fill('#till-qty', '1');
      await page.click('#till-add');
      await page.click('#till-submit');
      await page.waitForSelector('#staff-result[data-state="ok"]', { timeout: 10_000 });
      expect(await page.textContent('#staff-result')).toContain('accepted 1');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }

    const p = await admin(`/v1/profiles?identity=${encodeURIComponent(`loyalty_id:${LOYALTY}`)}`);
    profileId = p.profileId;
    expect((await admin(`/v1/profiles?identity=anonymous_id:${DEVICE_B}`)).profileId).toBe(profileId);
    expect(p.devices.map((d: any) => d.anonymousId).sort()).toEqual([DEVICE_A, DEVICE_B]);
    expect(p.channels).toEqual(['web', 'store']);
    // page events show their name, like the live table
    expect(p.timeline.map((t: any) => t.event ?? t.type)).toEqual(['Home', 'product_viewed', 'product_added', 'identify', 'Login', 'identify', 'order_completed']);
    const times = p.timeline.map((t: any) => Date.parse(t.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(p.timeline.at(-1)).toMatchObject({ channel: 'store', event: 'order_completed' });
    expect(p.attribution.firstTouch).toMatchObject({ channel: 'web', arrivalChannel: 'Paid Search', campaign: { name: 'autumn-espresso' } });
    expect(p.attribution.lastTouch).toMatchObject({ channel: 'store' });
    expect(p.identities.find((i: any) => i.type === 'email')).toMatchObject({ value: EMAIL_HASH, hashed: true });
    // exactly one profile holds any of these identities
    const { rows } = await demo.collector.db.query<{ n: number }>(
      `SELECT count(DISTINCT p.root_id)::int AS n FROM identities i JOIN profiles p USING (profile_id) WHERE i.value = ANY($1::text[])`,
      [[DEVICE_A, DEVICE_B, USER, LOYALTY, EMAIL_HASH]],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it("gives device B the cart started on device A, and nobody else's", async () => {
    const tokenOf = async (anonymousId: string) =>
      fetch(demo.loopbackUrl + '/v1/profile-token', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from('demo-shop-key:').toString('base64')}`, Origin: demo.loopbackUrl }, body: JSON.stringify({ anonymousId }) });
    const res = await tokenOf(DEVICE_B);
    expect(res.status).toBe(200);
    const { token } = await res.json();
    const me = await (await fetch(demo.loopbackUrl + '/v1/me', { headers: { Authorization: `Bearer ${token}` } })).json();
    // the till sold the very product of the web cart, so that line of the cart is settled
    expect(me.profileId).toBe(profileId);
    expect(me.openCart.products).toEqual([]);
    expect(me.recentlyViewed.map((x: any) => x.product_id)).toEqual(['espresso-nordlicht']);
    // a stranger's device gets no token at all
    expect((await tokenOf(`stranger-${n}`)).status).toBe(403);
  });

  it('shows the profile in the dashboard: search, graph, timeline across channels, merge log', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(demo.loopbackUrl + '/dashboard#profiles');
      await page.fill('#profile-query', `loyalty_id:${LOYALTY}`);
      await page.click('#profile-search button[type="submit"]');
      await page.waitForFunction((id) => document.querySelector('#profile-id')?.textContent === id, profileId, { timeout: 10_000 });
      expect(await page.textContent('#profile-devices')).toBe('2');
      expect(await page.textContent('#profile-channels')).toMatch(/web.*store/);
      const channels = await page.$$eval('#profile-timeline tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.channel));
      expect(channels).toEqual(['store', 'web', 'web', 'web', 'web', 'web', 'web']); // newest first
      expect(await page.$$eval('#identity-graph .id-node', (nodes) => nodes.map((g) => (g as SVGGElement).dataset.type).sort())).toEqual(
        ['anonymous_id', 'anonymous_id', 'anonymous_id', 'email', 'loyalty_id', 'user_id'], // two devices and the receipt
      );
      expect(await page.$$eval('#identity-graph .profile-node', (n) => n.length)).toBe(2); // device B's profile merged in
      expect(await page.textContent('#merges-body')).toContain('merged');
      // an e-mail typed in plain text is hashed in the page like the SDK does, and finds the same profile
      await page.goto(demo.loopbackUrl + '/dashboard#profiles');
      await page.fill('#profile-query', `email:jana.${n}@example.com`);
      await page.click('#profile-search button[type="submit"]');
      await page.waitForFunction((id) => document.querySelector('#profile-id')?.textContent === id, profileId, { timeout: 10_000 });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('updates the open profile live and undoes a merge from the dashboard', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${demo.loopbackUrl}/dashboard?profile=${profileId}#profiles`);
      await page.waitForSelector('#stream-status[data-state="live"]');
      await page.waitForFunction((id) => document.querySelector('#profile-id')?.textContent === id, profileId, { timeout: 10_000 });
      const before = Number(await page.textContent('#profile-touchpoints'));
      const call = await fetch(demo.loopbackUrl + '/staff/api/touchpoint', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'call_center_contact', customerId: '', email: `jana.${n}@example.com`, topic: 'order_status' }) });
      expect(call.status).toBe(200);
      expect((await call.json()).profileId).toBe(profileId);
      await page.waitForFunction((n) => Number(document.querySelector('#profile-touchpoints')?.textContent) === n, before + 1, { timeout: 10_000 });
      expect(await page.textContent('#profile-channels')).toContain('call center');

      const undo = page.locator('#merges-body [data-undo]').first();
      await undo.click();
      await eventually(() => demo.collector.profiles.merges({ profileId }), (m) => m.some((x) => x.status === 'undone'), 'the merge to be undone');
      await page.waitForFunction(() => document.querySelector('#merges-body')?.textContent?.includes('undone'), undefined, { timeout: 10_000 });
      const a = await demo.collector.profiles.find('anonymous_id', DEVICE_A);
      const b = await demo.collector.profiles.find('anonymous_id', DEVICE_B);
      expect(a!.profileId).not.toBe(b!.profileId);
    } finally {
      await browser.close();
    }
  });
});

describe('staff touchpoints', () => {
  const staff = (body: unknown, type = 'application/json') =>
    fetch(demo.loopbackUrl + '/staff/api/touchpoint', { method: 'POST', headers: { 'Content-Type': type }, body: JSON.stringify(body) });

  it('refuses incomplete input with a clear 4xx and stores nothing', async () => {
    const before = (await demo.collector.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;
    const noCard = await staff({ kind: 'store_purchase', items: [{ product_id: 'x', price: 1 }] });
    expect(noCard.status).toBe(400);
    expect((await noCard.json()).error.message).toMatch(/loyalty card/);
    expect((await staff({ kind: 'store_purchase', loyaltyId: 'L-1' })).status).toBe(400); // no products
    expect((await staff({ kind: 'call_center_contact', email: 'not-an-address' })).status).toBe(400);
    expect((await staff({ kind: 'teleport' })).status).toBe(400);
    expect((await staff({ kind: 'call_center_contact', customerId: 'C-1' }, 'text/plain')).status).toBe(415);
    expect((await demo.collector.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n).toBe(before);
  });

  it('sends e-mail only hashed, normalised exactly like the SDK', () => {
    const built = buildStaffEvent({ kind: 'email_click', email: ' Jana.X+promo@GoogleMail.com ' });
    if ('error' in built) throw new Error(built.error);
    const sent = JSON.stringify(built.event);
    expect(sent).not.toMatch(/jana/i);
    expect((built.event.identities as any[])[0]).toEqual({ type: 'email', value: createHash('sha256').update(normaliseEmail(' Jana.X+promo@GoogleMail.com ')!).digest('hex'), hashed: true });
    expect((built.event.context as any).channel).toBe('email');
  });
});

describe('identity verification', () => {
  it("gives no profile token to a device that claims the customer's id and e-mail without the shop's user_hash", async () => {
    const claim = `claim-${n}`;
    await postBatch([web(claim, { type: 'identify', userId: USER, identities: [{ type: 'email', value: EMAIL_HASH, hashed: true }, { type: 'user_hash', value: '0'.repeat(63) + '1', hashed: false }] })]);
    // the graph joins the claim to the customer (identities are claims), the profile API does not trust it
    expect((await admin(`/v1/profiles?identity=anonymous_id:${claim}`)).profileId).toBe((await admin(`/v1/profiles?identity=user_id:${USER}`)).profileId);
    const refused = await fetch(demo.loopbackUrl + '/v1/profile-token', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from('demo-shop-key:').toString('base64')}` }, body: JSON.stringify({ anonymousId: claim }) });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe('identity_not_verified');
  });
});
