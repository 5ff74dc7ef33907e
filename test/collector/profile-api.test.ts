/**
 * The profile API and the visitor's own profile over real HTTP, on PGlite and a real Postgres: the secret key (not a
 * write key) reads profiles, clear 400/401/404 answers, traits and consent; profile tokens only for a known device with
 * personalization consent, bound to that device, expiring; /v1/me and its server-sent event stream; with identity
 * verification, only a device that proved the login (a valid user_hash) reads a profile holding a person's identities.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, createHmac } from 'node:crypto';
import { MAX_PROFILE_STREAMS_PER_DEVICE, userHash, type Db } from '../../src/collector/index';
import { profileByIdentity, readSummary } from '../../src/collector/profiles';
import { BACKENDS, basic, OTHER_KEY, post, serve, SHOP_ORIGIN, WRITE_KEY, type Served } from './helpers';

const SECRET = 'sk_test_profiles';
const GRANTED = { policyVersion: '1', categories: ['necessary', 'analytics', 'personalization'], method: 'accept_all' };
const NO_PERSONALIZATION = { policyVersion: '1', categories: ['necessary', 'analytics'], method: 'custom' };
const IDENTITY_SECRET = 'idv_test_secret';
/** What the shop's server computes at login: HMAC-SHA256(identity secret, userId), hex (written out, not the collector's helper). */
const shopUserHash = (userId: string) => createHmac('sha256', IDENTITY_SECRET).update(userId).digest('hex');
const emailHash = (email: string) => createHash('sha256').update(email).digest('hex');

describe.each(BACKENDS)('profile API on $name', (backend) => {
  if (!backend.available) return void it.skip('needs Postgres binaries (apt-get install postgresql); CI fails instead');
  let db: Db;
  let stopDb: () => Promise<void>;
  let served: Served;
  let now = Date.parse('2025-02-01T00:00:00Z');

  beforeAll(async () => {
    const opened = await backend.open();
    db = opened.db;
    stopDb = opened.stop;
    // the clock is real by default; a test moves it to expire tokens
    served = await serve({ db, secretKey: SECRET, now: () => (now > Date.now() ? now : Date.now()) });
  });
  afterAll(async () => {
    await served?.close();
    await stopDb?.();
  });

  const ns = () => randomUUID().slice(0, 8);
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const ev = (o: Record<string, unknown>) => ({ type: 'track', event: 'page_viewed', messageId: randomUUID(), timestamp: new Date((clock += 1000)).toISOString(), context: { channel: 'Direct', consent: GRANTED }, ...o });
  const send = async (...batch: Record<string, unknown>[]) => expect((await post(`${served.url}/v1/batch`, { batch })).status).toBe(200);
  const get = (path: string, auth?: string) => fetch(served.url + path, { headers: auth ? { authorization: auth } : {} });
  const token = (anonymousId: string, headers: Record<string, string> = {}) => post(`${served.url}/v1/profile-token`, { anonymousId }, headers);

  it('needs the secret key, not a write key, and answers 401 clearly', async () => {
    for (const [auth, code] of [
      [undefined, 'missing_secret_key'],
      [basic(WRITE_KEY), 'write_key_not_allowed'],
      [`Bearer ${WRITE_KEY}`, 'write_key_not_allowed'],
      ['Bearer sk_wrong', 'invalid_secret_key'],
    ] as const) {
      const res = await get('/v1/profiles?identity=user_id:x', auth);
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe(code);
    }
    const off = await serve({ db });
    try {
      const res = await fetch(`${off.url}/v1/profiles/x`, { headers: { authorization: `Bearer ${SECRET}` } });
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('secret_key_not_configured');
    } finally {
      await off.close();
    }
  });

  it('answers 400 for a malformed lookup and 404 for unknown profiles', async () => {
    const auth = `Bearer ${SECRET}`;
    expect((await (await get('/v1/profiles', auth)).json()).error.code).toBe('missing_identity');
    expect((await get('/v1/profiles?identity=nocolon', auth)).status).toBe(400);
    expect((await get('/v1/profiles?identity=Bad-Type:1', auth)).status).toBe(400);
    expect((await get('/v1/profiles/x?limit=0', auth)).status).toBe(400);
    for (const limit of ['0', '1001', 'x']) expect((await get(`/v1/merges?limit=${limit}`, auth)).status).toBe(400);
    expect((await get('/v1/merges?limit=1000', auth)).status).toBe(200);
    const missing = await get('/v1/profiles?identity=user_id:nobody-' + ns(), auth);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('profile_not_found');
    expect((await get('/v1/profiles/' + randomUUID(), auth)).status).toBe(404);
    expect((await fetch(served.url + '/v1/profiles/x', { method: 'DELETE', headers: { authorization: auth } })).status).toBe(405);
  });

  it('finds a profile by any identity, with traits (latest wins), consent history and attribution', async () => {
    const n = ns();
    await send(
      ev({ anonymousId: `T-${n}`, context: { channel: 'Paid Search', campaign: { source: 'google', medium: 'cpc', name: 'spring' }, consent: NO_PERSONALIZATION } }),
      ev({ type: 'identify', event: undefined, anonymousId: `T-${n}`, userId: `tu-${n}`, traits: { plan: 'basic', city: 'Köln' } }),
      ev({ type: 'identify', event: undefined, anonymousId: `T-${n}`, userId: `tu-${n}`, traits: { plan: 'gold' }, identities: [{ type: 'customer_id', value: `TC-${n}`, hashed: false }] }),
      ev({ event: 'contact_logged', anonymousId: `call-${n}`, identities: [{ type: 'customer_id', value: `TC-${n}`, hashed: false }], context: { channel: 'call_center' } }),
    );
    const byUser = await (await get(`/v1/profiles?identity=user_id:tu-${n}`, `Bearer ${SECRET}`)).json();
    const byCustomer = await (await get(`/v1/profiles?identity=${encodeURIComponent(`customer_id:TC-${n}`)}`, `Bearer ${SECRET}`)).json();
    const byId = await (await get(`/v1/profiles/${byUser.profileId}`, `Bearer ${SECRET}`)).json();
    expect(byCustomer.profileId).toBe(byUser.profileId);
    expect(byId.profileId).toBe(byUser.profileId);
    expect(byId.traits.plan.value).toBe('gold');
    expect(byId.traits.city.value).toBe('Köln');
    expect(Date.parse(byId.traits.plan.timestamp)).toBeGreaterThan(Date.parse(byId.traits.city.timestamp));
    expect(byId.consent.history.map((h: any) => h.categories.includes('personalization'))).toEqual([false, true]);
    expect(byId.consent.latest.categories).toContain('personalization');
    expect(byId.attribution.firstTouch).toMatchObject({ channel: 'web', arrivalChannel: 'Paid Search', campaign: { source: 'google', name: 'spring' } });
    expect(byId.attribution.lastTouch).toMatchObject({ channel: 'call_center' });
    expect(byId.channels).toEqual(['web', 'call_center']);
    expect(byId.touchpoints.total).toBe(4);
    const short = await (await get(`/v1/profiles/${byUser.profileId}?limit=2`, `Bearer ${SECRET}`)).json();
    expect(short.timeline.map((t: any) => t.event ?? t.type)).toEqual(['identify', 'contact_logged']);
  });

  it('issues a profile token only to a known device whose latest consent grants personalization', async () => {
    const n = ns();
    expect((await token(`unknown-${n}`)).status).toBe(403);
    await send(ev({ anonymousId: `NP-${n}`, context: { channel: 'Direct', consent: NO_PERSONALIZATION } }));
    const denied = await token(`NP-${n}`);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe((await token(`unknown-${n}`)).body.error.code); // unknown and not consented look the same
    await send(ev({ anonymousId: `NP-${n}` })); // grants personalization now
    const ok = await token(`NP-${n}`, { origin: SHOP_ORIGIN });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
    expect(typeof ok.body.token).toBe('string');
    expect(Date.parse(ok.body.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    // withdrawn again: no more tokens, and the one issued stops working
    await send(ev({ anonymousId: `NP-${n}`, context: { channel: 'Direct', consent: NO_PERSONALIZATION } }));
    expect((await token(`NP-${n}`)).status).toBe(403);
    expect((await get('/v1/me', `Bearer ${ok.body.token}`)).status).toBe(403);
    // wrong key, no key, bad body
    expect((await token(`NP-${n}`, { authorization: basic(OTHER_KEY) })).status).toBe(403);
    expect((await fetch(`${served.url}/v1/profile-token`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await post(`${served.url}/v1/profile-token`, { id: 1 })).status).toBe(400);
  });

  it('answers /v1/me with the cart across devices, and another visitor cannot read it', async () => {
    const n = ns();
    const product = (id: string) => ({ product_id: id, name: `Product ${id}`, price: 10 });
    await send(
      ev({ anonymousId: `M1-${n}`, event: 'product_viewed', properties: product('p1') }),
      ev({ anonymousId: `M1-${n}`, event: 'product_added', properties: { ...product('p1'), quantity: 2 } }),
      ev({ anonymousId: `M1-${n}`, event: 'product_added', properties: product('p2') }),
      ev({ anonymousId: `M1-${n}`, event: 'product_removed', properties: product('p2') }),
      ev({ type: 'identify', event: undefined, anonymousId: `M1-${n}`, userId: `mu-${n}` }),
      ev({ type: 'identify', event: undefined, anonymousId: `M2-${n}`, userId: `mu-${n}` }),
      ev({ anonymousId: `other-${n}`, event: 'product_viewed', properties: product('secret') }),
    );
    const t2 = (await token(`M2-${n}`)).body.token as string;
    const me = await get('/v1/me', `Bearer ${t2}`);
    expect(me.status).toBe(200);
    const summary = await me.json();
    expect(summary.openCart.products).toEqual([expect.objectContaining({ product_id: 'p1', quantity: 2 })]);
    expect(summary.recentlyViewed.map((p: any) => p.product_id)).toEqual(['p1']);
    expect(summary.preferredChannel).toBe('web');
    expect(summary.profileId).toBe((await (await get(`/v1/profiles?identity=user_id:mu-${n}`, `Bearer ${SECRET}`)).json()).profileId);

    const other = (await token(`other-${n}`)).body.token as string;
    const theirs = await (await get('/v1/me', `Bearer ${other}`)).json();
    expect(theirs.profileId).not.toBe(summary.profileId);
    expect(theirs.openCart).toBeUndefined();
    // a token re-bound to another device by editing it fails its signature
    const [payload, mac] = other.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...claims, a: `M2-${n}` })).toString('base64url')}.${mac}`;
    const res = await get('/v1/me', `Bearer ${forged}`);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('invalid_token');
    expect((await get('/v1/me', `Bearer ${SECRET}`)).status).toBe(401);
    expect((await get('/v1/me')).status).toBe(401);
    // an order empties the cart
    await send(ev({ anonymousId: `M1-${n}`, event: 'order_completed', properties: { order_id: 'o1', products: [product('p1')] } }));
    expect((await (await get('/v1/me', `Bearer ${t2}`)).json()).openCart.products).toEqual([]);
  });

  it('keeps the web cart open across a store purchase, which settles only the products it bought', async () => {
    const n = ns();
    const product = (id: string) => ({ product_id: id, name: `Product ${id}`, price: 10 });
    const till = (products: Record<string, unknown>[]) =>
      ev({ anonymousId: `receipt-${randomUUID()}`, event: 'order_completed', identities: [{ type: 'loyalty_id', value: `L-${n}`, hashed: false }], properties: { order_id: `R-${ns()}`, products }, context: { channel: 'store' } });
    await send(
      ev({ anonymousId: `W1-${n}`, event: 'product_added', properties: { ...product('mug'), quantity: 2 } }),
      ev({ anonymousId: `W1-${n}`, event: 'product_added', properties: product('tea') }),
      ev({ type: 'identify', event: undefined, anonymousId: `W1-${n}`, userId: `wu-${n}`, identities: [{ type: 'loyalty_id', value: `L-${n}`, hashed: false }] }),
    );
    const t = (await token(`W1-${n}`)).body.token as string;
    const me = async () => (await get('/v1/me', `Bearer ${t}`)).json();
    const before = (await me()).openCart;
    // a purchase of something else at the till leaves the online cart as it was
    await send(till([product('beans')]));
    expect((await me()).openCart).toEqual(before);
    // buying one of its products in the store settles that line, whatever the quantity
    await send(till([{ ...product('mug'), quantity: 1 }]));
    const after = (await me()).openCart;
    expect(after.products).toEqual([expect.objectContaining({ product_id: 'tea', quantity: 1 })]);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    // the web checkout closes the whole cart
    await send(ev({ anonymousId: `W1-${n}`, event: 'order_completed', properties: { order_id: `o-${n}` } }));
    expect((await me()).openCart.products).toEqual([]);
    // a customer seen only in the store has no online cart
    await send(ev({ anonymousId: `receipt-${randomUUID()}`, event: 'order_completed', identities: [{ type: 'loyalty_id', value: `L-only-${n}`, hashed: false }], properties: { order_id: 'R-x', products: [product('mug')] }, context: { channel: 'store' } }));
    const storeOnly = await readSummary(db, (await profileByIdentity(db, 'loyalty_id', `L-only-${n}`))!);
    expect(storeOnly.openCart).toBeUndefined();
    expect(storeOnly.preferredChannel).toBe('store');
  });

  it('rejects an expired token', async () => {
    const n = ns();
    await send(ev({ anonymousId: `E-${n}` }));
    const t = (await token(`E-${n}`)).body.token as string;
    expect((await get('/v1/me', `Bearer ${t}`)).status).toBe(200);
    now = Date.now() + 16 * 60_000;
    try {
      const res = await get('/v1/me', `Bearer ${t}`);
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('token_expired');
      expect((await get(`/v1/me/stream?token=${encodeURIComponent(t)}`)).status).toBe(401);
    } finally {
      now = 0;
    }
  });

  it('streams the summary at once and again when the profile changes, from another device too', async () => {
    const n = ns();
    await send(ev({ type: 'identify', event: undefined, anonymousId: `S1-${n}`, userId: `su-${n}` }), ev({ type: 'identify', event: undefined, anonymousId: `S2-${n}`, userId: `su-${n}` }));
    const t = (await token(`S1-${n}`)).body.token as string;
    expect((await fetch(`${served.url}/v1/me/stream?token=bogus`)).status).toBe(401);
    const controller = new AbortController();
    const res = await fetch(`${served.url}/v1/me/stream?token=${encodeURIComponent(t)}`, { signal: controller.signal, headers: { origin: SHOP_ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
    const reader = res.body!.getReader();
    let buffer = '';
    const nextProfile = async () => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const at = buffer.indexOf('event: profile\ndata: ');
        const end = at >= 0 ? buffer.indexOf('\n\n', at) : -1;
        if (end >= 0) {
          const data = JSON.parse(buffer.slice(at + 'event: profile\ndata: '.length, end));
          buffer = buffer.slice(end + 2);
          return data;
        }
        if (Date.now() > deadline) throw new Error('no profile event within 10 s: ' + buffer);
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += new TextDecoder().decode(value);
      }
    };
    try {
      const first = await nextProfile();
      expect(first.openCart).toBeUndefined();
      await send(ev({ anonymousId: `S2-${n}`, event: 'product_added', properties: { product_id: 'phone-cart', quantity: 1 } }));
      const second = await nextProfile();
      expect(second.openCart.products.map((p: any) => p.product_id)).toEqual(['phone-cart']);
    } finally {
      controller.abort();
    }
  });

  it('closes the stream when its token expires', async () => {
    const n = ns();
    await send(ev({ anonymousId: `X-${n}` }));
    const short = await serve({ db, secretKey: SECRET, profileTokenTtlMs: 800 });
    try {
      const t = (await post(`${short.url}/v1/profile-token`, { anonymousId: `X-${n}` })).body.token as string;
      const res = await fetch(`${short.url}/v1/me/stream?token=${encodeURIComponent(t)}`);
      expect(res.status).toBe(200);
      const started = Date.now();
      const text = await res.text(); // resolves when the server ends the stream
      expect(text).toContain('event: profile');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await fetch(`${short.url}/v1/me/stream?token=${encodeURIComponent(t)}`)).status).toBe(401);
    } finally {
      await short.close();
    }
  });

  it('takes the consent a device gave last as received: a clock running ahead cannot outlast a withdrawal', async () => {
    const n = ns();
    const at = (ms: number) => new Date(ms).toISOString();
    // granted on a device whose clock ran a day ahead, withdrawn later from the same device with a correct clock
    await send(ev({ anonymousId: `CK-${n}`, timestamp: at(Date.now() + 86_400_000) }));
    expect((await token(`CK-${n}`)).status).toBe(200);
    await send(ev({ anonymousId: `CK-${n}`, timestamp: at(Date.now()), context: { channel: 'Direct', consent: NO_PERSONALIZATION } }));
    expect((await token(`CK-${n}`)).status).toBe(403);
    // events that arrive late (an offline outbox) still count in the order they happened
    await send(ev({ anonymousId: `CK-${n}`, timestamp: at(Date.now() - 60_000) }));
    expect((await token(`CK-${n}`)).status).toBe(403);
  });

  it("takes a device's consent from the events of the write key that asks, not from another site's", async () => {
    const n = ns();
    await send(ev({ anonymousId: `WK-${n}`, context: { channel: 'Direct', consent: NO_PERSONALIZATION } }));
    // the same device id under another shop's key, granting personalization there, later
    expect((await post(`${served.url}/v1/batch`, { batch: [ev({ anonymousId: `WK-${n}` })] }, { authorization: basic(OTHER_KEY) })).status).toBe(200);
    expect((await token(`WK-${n}`)).status).toBe(403);
    expect((await token(`WK-${n}`, { authorization: basic(OTHER_KEY) })).status).toBe(200);
  });

  it('never writes a profile token into the error log', async () => {
    const n = ns();
    const own = await backend.open();
    const errors: string[] = [];
    const logged = await serve({ db: own.db, secretKey: SECRET, onError: (_e, context) => void errors.push(context) });
    try {
      expect((await post(`${logged.url}/v1/batch`, { batch: [ev({ anonymousId: `L-${n}` })] })).status).toBe(200);
      const t = (await post(`${logged.url}/v1/profile-token`, { anonymousId: `L-${n}` })).body.token as string;
      await own.stop(); // the database goes away: the stream request fails with a 500
      const res = await fetch(`${logged.url}/v1/me/stream?token=${encodeURIComponent(t)}`);
      expect(res.status).toBe(500);
      expect(errors.join('\n')).toContain('/v1/me/stream');
      expect(errors.join('\n')).not.toContain(t.slice(0, 20));
    } finally {
      await logged.close();
    }
  });

  it('answers 400, not 500, for a profile or merge id that is not valid percent-encoding', async () => {
    for (const [path, method] of [['/v1/profiles/%E0%A4%A', 'GET'], ['/v1/merges/%ZZ/undo', 'POST']] as const) {
      const res = await fetch(served.url + path, { method, headers: { authorization: `Bearer ${SECRET}` } });
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(/percent-encod/);
    }
  });

  it('caps the open streams of one device, and a closed stream frees its place', async () => {
    const n = ns();
    await send(ev({ anonymousId: `SC-${n}` }));
    const t = (await token(`SC-${n}`)).body.token as string;
    const open = async () => {
      const controller = new AbortController();
      const res = await fetch(`${served.url}/v1/me/stream?token=${encodeURIComponent(t)}`, { signal: controller.signal });
      return { res, controller };
    };
    const streams: Awaited<ReturnType<typeof open>>[] = [];
    try {
      for (let i = 0; i < MAX_PROFILE_STREAMS_PER_DEVICE; i++) {
        streams.push(await open());
        expect(streams.at(-1)!.res.status).toBe(200);
      }
      const refused = await open();
      expect(refused.res.status).toBe(429);
      expect((await refused.res.json()).error.code).toBe('too_many_streams');
      // the visitor closes a tab: its place is free again once the server sees the disconnect
      streams.shift()!.controller.abort();
      let again = await open();
      for (let tries = 0; again.res.status === 429 && tries < 50; tries++) {
        await again.res.body?.cancel();
        await new Promise((r) => setTimeout(r, 20));
        again = await open();
      }
      streams.push(again);
      expect(again.res.status).toBe(200);
    } finally {
      for (const s of streams) s.controller.abort();
    }
  });

  it('answers the preflight of /v1/me for allowed origins only', async () => {
    const ok = await fetch(`${served.url}/v1/me`, { method: 'OPTIONS', headers: { origin: SHOP_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-methods')).toContain('GET');
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    const bad = await fetch(`${served.url}/v1/me`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(bad.status).toBe(403);
  });

  describe('with identity verification', () => {
    let verified: Served;
    beforeAll(async () => {
      verified = await serve({ db, secretKey: SECRET, identityVerificationSecret: IDENTITY_SECRET });
    });
    afterAll(async () => {
      await verified?.close();
    });
    const vsend = async (...batch: Record<string, unknown>[]) => expect((await post(`${verified.url}/v1/batch`, { batch })).status).toBe(200);
    const vtoken = (anonymousId: string) => post(`${verified.url}/v1/profile-token`, { anonymousId });
    const vme = (t: string) => fetch(`${verified.url}/v1/me`, { headers: { authorization: `Bearer ${t}` } });
    const product = (id: string) => ({ product_id: id, name: `Product ${id}`, price: 10 });
    const login = (anonymousId: string, userId: string, email: string, hash?: string) =>
      ev({
        type: 'identify',
        event: undefined,
        anonymousId,
        userId,
        identities: [{ type: 'email', value: emailHash(email), hashed: true }, ...(hash === undefined ? [] : [{ type: 'user_hash', value: hash, hashed: false }])],
      });
    /** The victim: logged in with a valid user_hash on their laptop, an open cart there. */
    const victim = async (n: string) => {
      const userId = `victim-${n}`;
      const email = `victim-${n}@shop.example`;
      await vsend(
        login(`VA-${n}`, userId, email, shopUserHash(userId)),
        ev({ anonymousId: `VA-${n}`, event: 'product_added', properties: { ...product('secret-cart'), quantity: 1 } }),
      );
      return { userId, email };
    };

    it("gives a device that proved the login (a valid user_hash) the person's profile, on a second device too", async () => {
      const n = ns();
      const { userId, email } = await victim(n);
      expect(userHash(IDENTITY_SECRET, userId)).toBe(shopUserHash(userId));
      const laptop = await vtoken(`VA-${n}`);
      expect(laptop.status).toBe(200);
      expect((await (await vme(laptop.body.token)).json()).openCart.products).toEqual([expect.objectContaining({ product_id: 'secret-cart' })]);
      // the same person logs in on the phone: the server hands that page the same user_hash
      await vsend(login(`VB-${n}`, userId, email, shopUserHash(userId).toUpperCase()));
      const phone = await vtoken(`VB-${n}`);
      expect(phone.status).toBe(200);
      const me = await (await vme(phone.body.token)).json();
      expect(me.profileId).toBe((await (await get(`/v1/profiles?identity=user_id:${userId}`, `Bearer ${SECRET}`)).json()).profileId);
      expect(me.openCart.products).toEqual([expect.objectContaining({ product_id: 'secret-cart' })]);
      // the proof is not an identity: the graph holds no user_hash, so it can neither merge nor be looked up
      expect(await profileByIdentity(db, 'user_hash', shopUserHash(userId))).toBeUndefined();
      // two devices sending the same user_hash without a user id stay apart
      const copied = { type: 'user_hash', value: shopUserHash(userId), hashed: false };
      await vsend(ev({ type: 'identify', event: undefined, anonymousId: `UH1-${n}`, identities: [copied] }), ev({ type: 'identify', event: undefined, anonymousId: `UH2-${n}`, identities: [copied] }));
      const [one, two] = [await profileByIdentity(db, 'anonymous_id', `UH1-${n}`), await profileByIdentity(db, 'anonymous_id', `UH2-${n}`)];
      expect(one).toBeTruthy();
      expect(two).toBeTruthy();
      expect(one).not.toBe(two);
      expect(one).not.toBe(me.profileId);
    });

    it("refuses a stranger who claims the victim's user id and e-mail hash without a valid user_hash", async () => {
      const n = ns();
      const { userId, email } = await victim(n);
      for (const [device, hash] of [
        [`X1-${n}`, undefined], // no proof at all
        [`X2-${n}`, 'f'.repeat(64)], // a made-up hash
        [`X3-${n}`, shopUserHash(`stranger-${n}`)], // a valid hash, but for another user id
        [`X4-${n}`, createHmac('sha256', 'another-shops-secret').update(userId).digest('hex')], // signed with the wrong secret
      ] as const) {
        await vsend(login(device, userId, email, hash));
        const res = await vtoken(device);
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('identity_not_verified');
      }
      // only the e-mail hash, no user id: merged into the victim by the graph, still no token
      await vsend(ev({ type: 'identify', event: undefined, anonymousId: `X5-${n}`, identities: [{ type: 'email', value: emailHash(email), hashed: true }] }));
      expect((await vtoken(`X5-${n}`)).body.error.code).toBe('identity_not_verified');
      // a stranger who proves their own login cannot claim the victim's id in a second identify either
      const own = `stranger-${n}`;
      await vsend(login(`X6-${n}`, own, `${own}@shop.example`, shopUserHash(own)), login(`X6-${n}`, userId, email));
      const t = await vtoken(`X6-${n}`);
      expect(t.status).toBe(200);
      const theirs = await (await vme(t.body.token)).json();
      expect(theirs.openCart).toBeUndefined();
      expect(JSON.stringify(theirs)).not.toContain('secret-cart');
    });

    it('lets a purely anonymous device read its own device-only summary', async () => {
      const n = ns();
      await vsend(ev({ anonymousId: `AN-${n}`, event: 'product_added', properties: { ...product('mine'), quantity: 1 } }));
      const t = await vtoken(`AN-${n}`);
      expect(t.status).toBe(200);
      expect((await (await vme(t.body.token)).json()).openCart.products).toEqual([expect.objectContaining({ product_id: 'mine' })]);
    });

    it('ends an open stream once its device is linked to identities it has not verified', async () => {
      const n = ns();
      const { userId, email } = await victim(n);
      await vsend(ev({ anonymousId: `ST-${n}` }));
      const t = (await vtoken(`ST-${n}`)).body.token as string;
      const res = await fetch(`${verified.url}/v1/me/stream?token=${encodeURIComponent(t)}`);
      expect(res.status).toBe(200);
      const text = res.text();
      await vsend(login(`ST-${n}`, userId, email));
      const body = await text; // the server ends the stream instead of pushing the victim's summary
      expect(body).not.toContain('secret-cart');
      expect((await vme(t)).status).toBe(403);
    });
  });
});
