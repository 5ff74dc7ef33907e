import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProfileClient, type ProfileClientOptions, type ProfileSummary } from '../../../src/identity/profile-client';

const T0 = 1_700_000_000_000;
const PROFILE: ProfileSummary = {
  profileId: 'p-1',
  openCart: { products: [{ product_id: 'sku-1', name: 'Shoe', price: 59.9, quantity: 1 }], updatedAt: '2024-05-01T10:00:00.000Z' },
  recentlyViewed: [{ product_id: 'sku-2' }],
  preferredChannel: 'email',
  lastSeenAt: '2024-05-01T10:00:00.000Z',
};

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/** A collector fake: issues tok-1, tok-2, … valid for `ttlMs`; /v1/me answers 401 for tokens listed in `revoked`. */
function collector(ttlMs = 60_000, clock = () => T0) {
  const calls: { url: string; init: RequestInit }[] = [];
  const revoked = new Set<string>();
  let issued = 0;
  let meStatus = 200;
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init });
    if (url.endsWith('/v1/profile-token')) return json(200, { token: 'tok-' + ++issued, expiresAt: new Date(clock() + ttlMs).toISOString() });
    if (url.endsWith('/v1/me')) {
      const token = String((init.headers as Record<string, string>).Authorization).replace('Bearer ', '');
      return revoked.has(token) ? json(401, { error: 'expired' }) : json(meStatus, meStatus == 200 ? PROFILE : { error: 'x' });
    }
    return json(404, {});
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls, revoked, setMeStatus: (s: number) => void (meStatus = s) };
}

function client(c: ReturnType<typeof collector>, over: Partial<ProfileClientOptions> = {}) {
  return createProfileClient({
    collectorUrl: 'https://collect.example/',
    writeKey: 'wk_1',
    getIds: () => ({ anonymousId: 'dev-1' }),
    allowed: () => true,
    fetch: c.fetch,
    now: () => T0,
    EventSource: null,
    ...over,
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('get', () => {
  it('requests a token for the device, then reads /v1/me with it', async () => {
    const c = collector();
    expect(await client(c).get()).toEqual(PROFILE);
    expect(c.calls.map((x) => x.url)).toEqual(['https://collect.example/v1/profile-token', 'https://collect.example/v1/me']);
    const tokenCall = c.calls[0].init;
    expect(tokenCall.method).toBe('POST');
    expect(JSON.parse(String(tokenCall.body))).toEqual({ anonymousId: 'dev-1' });
    expect((tokenCall.headers as Record<string, string>).Authorization).toBe('Basic ' + btoa('wk_1:'));
    expect((c.calls[1].init.headers as Record<string, string>).Authorization).toBe('Bearer tok-1');
    expect(c.calls.every((x) => x.init.credentials === 'omit')).toBe(true);
  });

  it('caches the token until shortly before it expires', async () => {
    let t = T0;
    const c = collector(60_000, () => t);
    const p = client(c, { now: () => t });
    await p.get();
    await p.get();
    t += 45_000;
    await p.get();
    expect(c.calls.filter((x) => x.url.endsWith('/profile-token'))).toHaveLength(1);
    t += 10_000; // 55 s: within the 10 s margin of the 60 s expiry
    await p.get();
    expect(c.calls.filter((x) => x.url.endsWith('/profile-token'))).toHaveLength(2);
    expect((c.calls.at(-1)!.init.headers as Record<string, string>).Authorization).toBe('Bearer tok-2');
  });

  it('shares one token request between concurrent calls', async () => {
    const c = collector();
    const p = client(c);
    const [a, b] = await Promise.all([p.get(), p.get()]);
    expect(a).toEqual(PROFILE);
    expect(b).toEqual(PROFILE);
    expect(c.calls.filter((x) => x.url.endsWith('/profile-token'))).toHaveLength(1);
  });

  it('refreshes the token once on 401', async () => {
    const c = collector();
    const p = client(c);
    await p.get();
    c.revoked.add('tok-1');
    expect(await p.get()).toEqual(PROFILE);
    expect(c.calls.map((x) => x.url.replace('https://collect.example', ''))).toEqual([
      '/v1/profile-token', '/v1/me', '/v1/me', '/v1/profile-token', '/v1/me',
    ]);
    expect((c.calls.at(-1)!.init.headers as Record<string, string>).Authorization).toBe('Bearer tok-2');
  });

  it('gives up after a second 401', async () => {
    const c = collector();
    c.revoked.add('tok-1').add('tok-2').add('tok-3');
    expect(await client(c).get()).toBeUndefined();
    expect(c.calls.filter((x) => x.url.endsWith('/v1/me'))).toHaveLength(2);
  });

  it('asks for a new token when the device id changes (reset)', async () => {
    const c = collector();
    let id = 'dev-1';
    const p = client(c, { getIds: () => ({ anonymousId: id }) });
    await p.get();
    id = 'dev-2';
    await p.get();
    const bodies = c.calls.filter((x) => x.url.endsWith('/profile-token')).map((x) => JSON.parse(String(x.init.body)));
    expect(bodies).toEqual([{ anonymousId: 'dev-1' }, { anonymousId: 'dev-2' }]);
  });

  it('sends nothing and resolves undefined without consent or without a device id', async () => {
    const c = collector();
    expect(await client(c, { allowed: () => false }).get()).toBeUndefined();
    expect(await client(c, { getIds: () => ({ userId: 'u-1' }) }).get()).toBeUndefined();
    expect(c.fetch).not.toHaveBeenCalled();
  });

  it('resolves undefined on network errors, error statuses and bad bodies', async () => {
    const failing = vi.fn(async () => { throw new TypeError('Failed to fetch'); }) as unknown as typeof fetch;
    await expect(client(collector(), { fetch: failing }).get()).resolves.toBeUndefined();
    const c = collector();
    c.setMeStatus(500);
    await expect(client(c).get()).resolves.toBeUndefined();
    const badToken = vi.fn(async () => json(200, { token: 'x', expiresAt: 'yesterday' })) as unknown as typeof fetch;
    await expect(client(collector(), { fetch: badToken }).get()).resolves.toBeUndefined();
    const notJson = vi.fn(async (url: string) => (url.endsWith('token') ? json(200, { token: 't', expiresAt: T0 + 60_000 }) : new Response('<html>'))) as unknown as typeof fetch;
    await expect(client(collector(), { fetch: notJson }).get()).resolves.toBeUndefined();
    const denied = vi.fn(async () => json(403, {})) as unknown as typeof fetch;
    await expect(client(collector(), { fetch: denied }).get()).resolves.toBeUndefined();
  });
});

/** A minimal EventSource fake the tests drive. */
function fakeEventSource() {
  const instances: FakeES[] = [];
  class FakeES {
    readyState = 0;
    onerror: ((e: Event) => void) | null = null;
    listeners: Record<string, ((e: MessageEvent) => void)[]> = {};
    closed = false;
    constructor(public url: string) {
      instances.push(this);
    }
    addEventListener(type: string, fn: (e: MessageEvent) => void) {
      (this.listeners[type] ||= []).push(fn);
    }
    close() {
      this.closed = true;
      this.readyState = 2;
    }
    emit(type: string, data: unknown) {
      for (const fn of this.listeners[type] || []) fn(new MessageEvent(type, { data: typeof data == 'string' ? data : JSON.stringify(data) }));
    }
  }
  return { ES: FakeES as unknown as typeof EventSource, instances };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('subscribe', () => {
  it('opens the stream with a token and delivers profile events', async () => {
    const c = collector();
    const { ES, instances } = fakeEventSource();
    const seen: ProfileSummary[] = [];
    const stop = client(c, { EventSource: ES }).subscribe((p) => seen.push(p));
    await tick();
    expect(instances).toHaveLength(1);
    expect(instances[0].url).toBe('https://collect.example/v1/me/stream?token=tok-1');
    instances[0].emit('profile', PROFILE);
    instances[0].emit('profile', 'not json');
    instances[0].emit('profile', { ...PROFILE, preferredChannel: 'store' });
    expect(seen.map((p) => p.preferredChannel)).toEqual(['email', 'store']);
    stop();
    expect(instances[0].closed).toBe(true);
    instances[0].emit('profile', { ...PROFILE, preferredChannel: 'web' });
    expect(seen).toHaveLength(2);
  });

  it('reopens with a fresh token when the server closes the stream', async () => {
    vi.useFakeTimers();
    const c = collector();
    const { ES, instances } = fakeEventSource();
    const stop = client(c, { EventSource: ES, pollMs: 1_000 }).subscribe(() => {});
    await vi.advanceTimersByTimeAsync(0);
    instances[0].readyState = 0; // the browser is reconnecting by itself: nothing to do
    instances[0].onerror!(new Event('error'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(instances).toHaveLength(1);
    instances[0].readyState = 2; // refused (e.g. 401): renew the token
    instances[0].onerror!(new Event('error'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(instances).toHaveLength(2);
    expect(instances[1].url).toBe('https://collect.example/v1/me/stream?token=tok-2');
    stop();
  });

  it('stops delivering once consent is withdrawn', async () => {
    let allowed = true;
    const { ES, instances } = fakeEventSource();
    const seen: unknown[] = [];
    client(collector(), { EventSource: ES, allowed: () => allowed }).subscribe((p) => seen.push(p));
    await tick();
    allowed = false;
    instances[0].emit('profile', PROFILE);
    expect(seen).toEqual([]);
    expect(instances[0].closed).toBe(true);
  });

  it('polls every 30 s without EventSource and reports only changes', async () => {
    vi.useFakeTimers();
    const c = collector(3_600_000);
    const seen: ProfileSummary[] = [];
    const stop = client(c).subscribe((p) => seen.push(p));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([PROFILE]);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(c.calls.filter((x) => x.url.endsWith('/v1/me'))).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(c.calls.filter((x) => x.url.endsWith('/v1/me'))).toHaveLength(2);
    expect(seen).toHaveLength(1); // unchanged profile, no second call of the handler
    stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(c.calls.filter((x) => x.url.endsWith('/v1/me'))).toHaveLength(2);
  });

  it('does nothing without consent and survives a throwing handler', async () => {
    const c = collector();
    const { ES, instances } = fakeEventSource();
    const stop = client(c, { EventSource: ES, allowed: () => false }).subscribe(() => {});
    await tick();
    expect(instances).toHaveLength(0);
    expect(c.fetch).not.toHaveBeenCalled();
    stop();
    const stop2 = client(c, { EventSource: ES }).subscribe(() => { throw new Error('page bug'); });
    await tick();
    expect(() => instances[0].emit('profile', PROFILE)).not.toThrow();
    stop2();
  });
});
