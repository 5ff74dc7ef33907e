/**
 * The collector's HttpOnly device cookie over real node:http on PGlite: set only for batches with analytics consent,
 * off by default, a returning visitor with a new anonymousId recognised by the cookie's device id, cleared by a batch or
 * consent record without analytics, configurable name, domain, lifetime and Secure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDeviceCookie, readCookie } from '../../src/collector/device-cookie';
import { consentRecord, post, serve, trackEvent, type Served } from './helpers';
import type { IncomingMessage } from 'node:http';

const granted = (anonymousId: string, categories = ['necessary', 'analytics']) =>
  trackEvent({ anonymousId, context: { channel: 'Direct', consent: { policyVersion: '2024-05', categories } } });

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

const stored = async (messageId: unknown) =>
  (await served!.collector.db.query<{ anonymous_id: string; body: any }>('SELECT anonymous_id, body FROM events WHERE message_id = $1', [messageId])).rows[0]!;

describe('collector deviceCookie', () => {
  it('is off by default: no Set-Cookie, events untouched', async () => {
    served = await serve({ databaseUrl: 'memory://' });
    const e = granted('anon-aaaaaaaa');
    const res = await post(`${served.url}/v1/batch`, { batch: [e] });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await stored(e.messageId)).body.context.device).toBeUndefined();
  });

  it('sets an HttpOnly, SameSite=Lax cookie with the device id for a batch with analytics consent', async () => {
    served = await serve({ databaseUrl: 'memory://', deviceCookie: true });
    const e = granted('anon-first-visit');
    const res = await post(`${served.url}/v1/batch`, { batch: [e] });
    expect(res.headers.get('set-cookie')).toBe(`tp_device=anon-first-visit; Max-Age=${400 * 86400}; Path=/; HttpOnly; SameSite=Lax`);
    expect((await stored(e.messageId)).body.context.device).toEqual({ id: 'anon-first-visit' });
  });

  it('sets nothing for events without analytics consent, or from senders that carry no consent snapshot', async () => {
    served = await serve({ databaseUrl: 'memory://', deviceCookie: true });
    const denied = await post(`${served.url}/v1/batch`, { batch: [granted('anon-bbbbbbbb', ['necessary', 'marketing'])] });
    expect(denied.headers.get('set-cookie')).toBeNull();
    const segment = await post(`${served.url}/v1/batch`, { batch: [trackEvent({ anonymousId: 'anon-cccccccc' })] });
    expect(segment.headers.get('set-cookie')).toBeNull();
  });

  it('recognises a returning visitor whose script storage was wiped: new anonymousId, the cookie device id on the event', async () => {
    served = await serve({ databaseUrl: 'memory://', deviceCookie: true });
    const later = granted('anon-after-wipe');
    const res = await post(`${served.url}/v1/batch`, { batch: [later] }, { cookie: 'other=1; tp_device=anon-first-visit' });
    // the cookie keeps its value (the device) and is renewed
    expect(res.headers.get('set-cookie')).toMatch(/^tp_device=anon-first-visit; Max-Age=34560000;/);
    const row = await stored(later.messageId);
    expect(row.anonymous_id).toBe('anon-after-wipe');
    expect(row.body.context.device).toEqual({ id: 'anon-first-visit' });
    expect(row.body.context.consent.categories).toContain('analytics');
  });

  it('joins the wiped visitor\'s new anonymousId to the profile of the device the cookie names', async () => {
    served = await serve({ databaseUrl: 'memory://', deviceCookie: true });
    const first = granted('anon-first-visit');
    await post(`${served.url}/v1/batch`, { batch: [first] });
    const later = granted('anon-after-wipe');
    await post(`${served.url}/v1/batch`, { batch: [later] }, { cookie: 'tp_device=anon-first-visit' });
    const profile = await served.collector.profiles.find('anonymous_id', 'anon-after-wipe');
    expect(profile?.profileId).toBe((await served.collector.profiles.find('anonymous_id', 'anon-first-visit'))?.profileId);
    expect(profile?.touchpoints.total).toBe(2);
  });

  it('ignores a context.device.id the sender wrote itself: only the cookie may name the device', async () => {
    served = await serve({ databaseUrl: 'memory://' });
    await post(`${served.url}/v1/batch`, { batch: [granted('anon-victim-device')] });
    const forged = granted('anon-attacker');
    forged.context = { ...(forged.context as object), device: { id: 'anon-victim-device', model: 'x' } };
    await post(`${served.url}/v1/batch`, { batch: [forged] });
    expect((await stored(forged.messageId)).body.context.device).toEqual({ model: 'x' });
    const attacker = await served.collector.profiles.find('anonymous_id', 'anon-attacker');
    expect(attacker?.profileId).not.toBe((await served.collector.profiles.find('anonymous_id', 'anon-victim-device'))?.profileId);
  });

  it('clears the cookie when a consent record or a batch takes analytics away', async () => {
    served = await serve({ databaseUrl: 'memory://', deviceCookie: true });
    const cookie = { cookie: 'tp_device=anon-first-visit' };
    const withdrawal = await post(`${served.url}/v1/consent`, { records: [consentRecord({ method: 'withdrawal', granted: ['necessary'], denied: ['analytics', 'marketing'] })] }, cookie);
    expect(withdrawal.status).toBe(200);
    expect(withdrawal.headers.get('set-cookie')).toBe('tp_device=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
    const batch = await post(`${served.url}/v1/batch`, { batch: [granted('anon-dddddddd', ['necessary', 'marketing'])] }, cookie);
    expect(batch.headers.get('set-cookie')).toMatch(/^tp_device=; Max-Age=0;/);
    // granting analytics again keeps it; without a cookie there is nothing to clear
    expect((await post(`${served.url}/v1/consent`, { records: [consentRecord()] }, cookie)).headers.get('set-cookie')).toBeNull();
    expect((await post(`${served.url}/v1/consent`, { records: [consentRecord({ granted: ['necessary'] })] })).headers.get('set-cookie')).toBeNull();
  });

  it('takes a name, domain, lifetime and Secure (auto: https directly or behind a trusted proxy)', () => {
    const req = (headers: Record<string, string> = {}, encrypted = false) => ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;
    const e = () => [granted('anon-eeeeeeee')];
    const custom = createDeviceCookie({ name: 'shop_dev', domain: '.shop.example', maxAgeDays: 30, secure: true });
    expect(custom.batch(req(), e())).toBe('shop_dev=anon-eeeeeeee; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax; Domain=.shop.example; Secure');
    expect(createDeviceCookie(true).batch(req({}, true), e())).toMatch(/; Secure$/);
    expect(createDeviceCookie(true).batch(req({ 'x-forwarded-proto': 'https' }), e())).not.toMatch(/Secure/);
    expect(createDeviceCookie(true, true).batch(req({ 'x-forwarded-proto': 'https' }), e())).toMatch(/; Secure$/);
    expect(createDeviceCookie({ secure: false }).batch(req({}, true), e())).not.toMatch(/Secure/);
  });

  it('reads only valid ids from the Cookie header', () => {
    expect(readCookie('a=1; tp_device=0b9f4c1e-5d1a-4c1e', 'tp_device')).toBe('0b9f4c1e-5d1a-4c1e');
    expect(readCookie('tp_device=<script>', 'tp_device')).toBeUndefined();
    expect(readCookie('xtp_device=abcdefgh', 'tp_device')).toBeUndefined();
    expect(readCookie(undefined, 'tp_device')).toBeUndefined();
  });
});
