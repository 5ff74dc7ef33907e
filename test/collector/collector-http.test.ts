/**
 * HTTP behaviour of the reference collector over real node:http on 127.0.0.1, against PGlite and a real Postgres:
 * validation, idempotency, limits, gzip, auth, CORS, rate limiting, Segment bodies and consent records.
 */
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/collector/index';
import { migrate, MIGRATIONS } from '../../src/collector/migrations';
import { BACKENDS, basic, consentRecord, OTHER_KEY, OTHER_ORIGIN, post, serve, SHOP_ORIGIN, trackEvent, WRITE_KEY, type Served } from './helpers';

describe.each(BACKENDS)('collector over HTTP on $name', (backend) => {
  if (!backend.available) return void it.skip('needs Postgres binaries (apt-get install postgresql); CI fails instead');
  let db: Db;
  let stopDb: () => Promise<void>;
  let served: Served;
  let batchUrl: string;

  beforeAll(async () => {
    const opened = await backend.open();
    db = opened.db;
    stopDb = opened.stop;
    served = await serve({ db });
    batchUrl = `${served.url}/v1/batch`;
  });
  afterAll(async () => {
    await served?.close();
    await stopDb?.();
  });

  const countEvents = async (ids: string[]) =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE message_id = ANY($1::text[])', [ids])).rows[0]!.n;

  it('stores a valid batch with its columns and answers 200', async () => {
    const events = [trackEvent({ userId: 'u-1', sentAt: '2024-05-01T10:00:01.000Z' }), trackEvent({ type: 'page', event: undefined, name: 'Home' })];
    const res = await post(batchUrl, { batch: events, sentAt: new Date().toISOString() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 2, duplicates: 0, rejected: [], repaired: [] });
    const { rows } = await db.query<Record<string, any>>('SELECT * FROM events WHERE message_id = $1', [events[0]!.messageId]);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ type: 'track', event: 'product_viewed', anonymous_id: 'anon-1', user_id: 'u-1', channel: 'Organic Search', write_key: WRITE_KEY });
    expect(new Date(row.timestamp).toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(new Date(row.sent_at).toISOString()).toBe('2024-05-01T10:00:01.000Z');
    expect(Date.now() - new Date(row.received_at).getTime()).toBeLessThan(60_000);
    expect(row.body).toMatchObject({ messageId: events[0]!.messageId, properties: { sku: 'A-1', price: 9.5 } });
    const page = (await db.query<Record<string, any>>('SELECT type, event FROM events WHERE message_id = $1', [events[1]!.messageId])).rows[0];
    expect(page).toEqual({ type: 'page', event: 'Home' });
  });

  it('rejects an all-invalid batch with 400, listing index, messageId and every problem', async () => {
    const bad = trackEvent({ timestamp: 'yesterday', anonymousId: 42, context: { page: { url: 1 } } });
    const res = await post(batchUrl, { batch: [bad, 'not an event'] });
    expect(res.status).toBe(400);
    expect(res.body.accepted).toBe(0);
    expect(res.body.duplicates).toBe(0);
    expect(res.body.rejected).toHaveLength(2);
    const [first, second] = res.body.rejected;
    expect(first.index).toBe(0);
    expect(first.messageId).toBe(bad.messageId);
    expect(first.problems.map((p: { path: string }) => p.path).sort()).toEqual(['anonymousId', 'context.page.url', 'timestamp']);
    for (const p of first.problems) expect(typeof p.message).toBe('string');
    expect(second.index).toBe(1);
    expect(second.messageId).toBeUndefined();
    expect(await countEvents([bad.messageId as string])).toBe(0);
  });

  it('reports cross-field problems (track without name, neither id)', async () => {
    const bad = trackEvent({ event: undefined, anonymousId: undefined });
    const res = await post(batchUrl, { batch: [bad] });
    expect(res.status).toBe(400);
    expect(res.body.rejected[0].problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'userId' }), expect.objectContaining({ path: 'event' })]),
    );
  });

  it('stores the good events of a mixed batch and lists only the bad ones', async () => {
    const good = [trackEvent(), trackEvent()];
    const bad = trackEvent({ type: 'bogus' });
    const res = await post(batchUrl, { batch: [good[0], bad, good[1], trackEvent({ messageId: 'x'.repeat(200) })] });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 3]);
    expect(res.body.rejected[0]).toMatchObject({ messageId: bad.messageId, problems: [{ path: 'type' }] });
    expect(await countEvents(good.map((e) => e.messageId as string))).toBe(2);
  });

  it('stores each messageId once: a retried batch answers 200 and counts duplicates', async () => {
    const events = [trackEvent(), trackEvent(), trackEvent()];
    const first = await post(batchUrl, { batch: events });
    expect(first.body).toEqual({ accepted: 3, duplicates: 0, rejected: [], repaired: [] });
    const retry = await post(batchUrl, { batch: [...events, trackEvent()] });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ accepted: 1, duplicates: 3, rejected: [], repaired: [] });
    const all = await post(batchUrl, { batch: events });
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ accepted: 0, duplicates: 3, rejected: [], repaired: [] });
    expect(await countEvents(events.map((e) => e.messageId as string))).toBe(3);
  });

  it('counts a messageId repeated inside one batch as a duplicate', async () => {
    const e = trackEvent();
    const res = await post(batchUrl, { batch: [e, { ...e }] });
    expect(res.body).toEqual({ accepted: 1, duplicates: 1, rejected: [], repaired: [] });
  });

  it('handles concurrent retries of the same batch without double storage', async () => {
    const events = Array.from({ length: 20 }, () => trackEvent());
    const results = await Promise.all(Array.from({ length: 5 }, () => post(batchUrl, { batch: events })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.reduce((n, r) => n + r.body.accepted, 0)).toBe(20);
    expect(results.reduce((n, r) => n + r.body.duplicates, 0)).toBe(80);
    expect(await countEvents(events.map((e) => e.messageId as string))).toBe(20);
  });

  it('answers 400 with an error when the body is not a batch or not JSON', async () => {
    const notBatch = await post(batchUrl, { events: [] });
    expect(notBatch.status).toBe(400);
    expect(notBatch.body.error.code).toBe('invalid_batch');
    expect(notBatch.body.error.message).toMatch(/batch/);
    const tooMany = await post(batchUrl, { batch: Array.from({ length: 1001 }, () => ({})) });
    expect(tooMany.status).toBe(400);
    const notJson = await post(batchUrl, undefined, {}, '{"batch": [');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('invalid_json');
    const empty = await post(batchUrl, undefined, {}, '');
    expect(empty.status).toBe(400);
  });

  it('rejects an event over 32 KiB and one carrying U+0000 without failing the batch', async () => {
    const big = trackEvent({ properties: { blob: 'x'.repeat(33 * 1024) } });
    const nul = trackEvent({ properties: { s: 'a\u0000b' } });
    const ok = trackEvent();
    const res = await post(batchUrl, { batch: [big, nul, ok] });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([0, 1]);
  });

  it('answers 413 for a body over the limit', async () => {
    const batch = Array.from({ length: 40 }, () => trackEvent({ properties: { blob: 'x'.repeat(15_000) } }));
    const res = await post(batchUrl, { batch });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await countEvents(batch.map((e) => e.messageId as string))).toBe(0);
  });

  it('answers 413 for a chunked body without Content-Length that grows over the limit', async () => {
    const { port } = new URL(served.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY) } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      req.write('{"batch":["');
      for (let i = 0; i < 9; i++) req.write(chunk); // 576 KiB > 512 KiB, sent chunked
      req.end('"]}');
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('payload_too_large');
  });

  it('accepts gzip bodies and applies the limit after decompression (zip bomb)', async () => {
    const events = [trackEvent(), trackEvent()];
    const ok = await post(batchUrl, undefined, { 'content-encoding': 'gzip' }, gzipSync(JSON.stringify({ batch: events })));
    expect(ok.status).toBe(200);
    expect(ok.body.accepted).toBe(2);
    const bomb = gzipSync(`{"batch":[{"pad":"${' '.repeat(5 * 1024 * 1024)}"}]}`);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await post(batchUrl, undefined, { 'content-encoding': 'gzip' }, bomb);
    expect(res.status).toBe(413);
    const garbage = await post(batchUrl, undefined, { 'content-encoding': 'gzip' }, 'not gzip at all');
    expect(garbage.status).toBe(400);
    expect(garbage.body.error.code).toBe('invalid_encoding');
    const br = await post(batchUrl, { batch: events }, { 'content-encoding': 'br' });
    expect(br.status).toBe(415);
  });

  it('accepts text/plain bodies (sendBeacon) and refuses other content types with 415', async () => {
    const beacon = await post(batchUrl, { batch: [trackEvent()] }, { 'content-type': 'text/plain;charset=UTF-8' });
    expect(beacon.status).toBe(200);
    expect(beacon.body.accepted).toBe(1);
    const form = await post(batchUrl, { batch: [trackEvent()] }, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('unsupported_media_type');
  });

  it('authenticates with Basic, X-Write-Key or writeKey in the body, and answers 401 otherwise', async () => {
    const batch = () => ({ batch: [trackEvent()] });
    expect((await post(batchUrl, batch(), { authorization: basic(OTHER_KEY) })).status).toBe(200);
    expect((await post(batchUrl, batch(), { authorization: '', 'x-write-key': WRITE_KEY })).status).toBe(200);
    expect((await post(batchUrl, { ...batch(), writeKey: WRITE_KEY }, { authorization: '' })).status).toBe(200);
    const missing = await post(batchUrl, batch(), { authorization: '' });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('missing_write_key');
    const wrong = await post(batchUrl, batch(), { authorization: basic('nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_write_key');
    const proto = await post(batchUrl, batch(), { authorization: basic('constructor') });
    expect(proto.status).toBe(401);
  });

  it('rejects an event whose own writeKey differs from the request key', async () => {
    const res = await post(batchUrl, { batch: [trackEvent({ writeKey: OTHER_KEY }), trackEvent({ writeKey: WRITE_KEY })] });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([expect.objectContaining({ index: 0, problems: [expect.objectContaining({ path: 'writeKey' })] })]);
  });

  it('answers preflight for allowed origins only, never with credentials', async () => {
    const ok = await fetch(batchUrl, {
      method: 'OPTIONS',
      headers: { origin: SHOP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    expect(ok.headers.get('vary')).toBe('Origin');
    const denied = await fetch(batchUrl, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('echoes an allowed origin on the real request and refuses an origin the key does not allow', async () => {
    const ok = await post(batchUrl, { batch: [trackEvent()] }, { origin: SHOP_ORIGIN });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
    expect(ok.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const e = trackEvent();
    // OTHER_ORIGIN passes preflight (another key allows it) but must not send with WRITE_KEY
    const cross = await post(batchUrl, { batch: [e] }, { origin: OTHER_ORIGIN });
    expect(cross.status).toBe(403);
    expect(cross.body.error.code).toBe('origin_not_allowed');
    expect(cross.headers.get('access-control-allow-origin')).toBeNull();
    const evil = await post(batchUrl, { batch: [trackEvent()] }, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(await countEvents([e.messageId as string])).toBe(0);
  });

  it('limits each client with a token bucket: 429 with Retry-After', async () => {
    let now = 1_000_000;
    const limited = await serve({ db, rateLimit: { requestsPerSecond: 0.5, burst: 2 }, now: () => now });
    try {
      const send = (key = WRITE_KEY) => post(`${limited.url}/v1/batch`, { batch: [trackEvent()] }, { authorization: basic(key), origin: SHOP_ORIGIN });
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(200);
      const third = await send();
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('rate_limited');
      expect(third.headers.get('retry-after')).toBe('2');
      expect(third.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
      // another write key from the same IP has its own bucket
      expect((await post(`${limited.url}/v1/batch`, { batch: [trackEvent()] }, { authorization: basic(OTHER_KEY) })).status).toBe(200);
      now += 2_000;
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('accepts Segment bodies: analytics-next /v1/b batches and single events on /v1/t, /v1/p, /v1/i, /v1/a, /v1/g', async () => {
    const seg = (extra: Record<string, unknown>): Record<string, unknown> => ({
      messageId: `ajs-next-${Math.random().toString(36).slice(2)}`,
      anonymousId: 'seg-anon',
      timestamp: new Date().toISOString(),
      integrations: {},
      context: { library: { name: 'analytics.js', version: 'next-1.70.0' } },
      _metadata: { bundled: ['Segment.io'], unbundled: [] },
      writeKey: WRITE_KEY,
      ...extra,
    });
    const noAuth = { authorization: '', 'content-type': 'text/plain' };
    const b = await post(`${served.url}/v1/b`, { batch: [seg({ type: 'track', event: 'Order Completed' })], writeKey: WRITE_KEY, sentAt: new Date().toISOString() }, noAuth);
    expect(b.status).toBe(200);
    expect(b.body.accepted).toBe(1);
    const singles: [string, Record<string, unknown>][] = [
      ['/v1/t', seg({ type: 'track', event: 'Product Viewed' })],
      ['/v1/p', seg({ type: 'page', name: 'Home' })],
      ['/v1/i', seg({ type: 'identify', userId: 'u-9', traits: { plan: 'pro' } })],
      ['/v1/a', seg({ type: 'alias', userId: 'u-9', previousId: 'seg-anon' })],
      ['/v1/g', seg({ type: 'group', groupId: 'g-1' })],
      ['/v1/track', (({ type: _t, ...rest }) => rest)(seg({ type: 'track', event: 'No Type Field' }))],
    ];
    for (const [path, body] of singles) {
      const res = await post(`${served.url}${path}`, body, noAuth);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toEqual({ accepted: 1, duplicates: 0, rejected: [], repaired: [] });
    }
    const stored = (await db.query<{ type: string; body: Record<string, unknown> }>('SELECT type, body FROM events WHERE message_id = $1', [singles[5]![1].messageId])).rows[0]!;
    expect(stored.type).toBe('track');
    expect(stored.body.writeKey).toBeUndefined(); // the key is a credential, not event data
    const unauth = await post(`${served.url}/v1/t`, { ...singles[0]![1], messageId: 'x-1', writeKey: 'nope' }, noAuth);
    expect(unauth.status).toBe(401);
  });

  it('stores consent proof records once, single or as { records }', async () => {
    const url = `${served.url}/v1/consent`;
    const one = consentRecord({ expiresAt: '2025-05-01T10:00:00.000Z', method: 'accept_all' });
    const single = await post(url, one);
    expect(single.status).toBe(200);
    expect(single.body).toEqual({ accepted: 1, duplicates: 0, rejected: [], repaired: [] });
    const bad = consentRecord({ textHash: 'nope', method: 'shrug' });
    const many = await post(url, { records: [consentRecord(), one, bad] }, { origin: SHOP_ORIGIN });
    expect(many.status).toBe(200);
    expect(many.body.accepted).toBe(1);
    expect(many.body.duplicates).toBe(1);
    expect(many.body.rejected).toHaveLength(1);
    expect(many.body.rejected[0]).toMatchObject({ index: 2, consentId: bad.consentId });
    expect(many.body.rejected[0].problems.map((p: { path: string }) => p.path).sort()).toEqual(['method', 'textHash']);
    const { rows } = await db.query<Record<string, any>>('SELECT * FROM consent_records WHERE consent_id = $1', [one.consentId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ policy_version: '2024-05', method: 'accept_all', locale: 'de-DE', granted: ['necessary', 'analytics'], denied: ['marketing'], text_hash: 'a'.repeat(64), sdk_version: '0.1.0', write_key: WRITE_KEY });
    expect(new Date(rows[0]!.expires_at).toISOString()).toBe('2025-05-01T10:00:00.000Z');
    expect(rows[0]!.body).toMatchObject({ consentId: one.consentId, layer: 'preferences' });
    const allBad = await post(url, { records: [bad] });
    expect(allBad.status).toBe(400);
    expect((await post(url, { records: [] })).status).toBe(400);
  });

  it('emits event and consent hooks after commit, once per new item', async () => {
    const events: string[] = [];
    const consents: string[] = [];
    const offEvent = served.collector.on('event', ({ event, writeKey }) => events.push(`${writeKey}:${event.messageId}`));
    const offConsent = served.collector.on('consent', ({ record }) => consents.push(record.consentId));
    served.collector.on('event', () => {
      throw new Error('a broken listener must not break ingestion');
    });
    const e = trackEvent();
    expect((await post(batchUrl, { batch: [e, trackEvent({ type: 'nope' })] })).status).toBe(200);
    expect((await post(batchUrl, { batch: [e] })).body.duplicates).toBe(1);
    const c = consentRecord();
    await post(`${served.url}/v1/consent`, c);
    offEvent();
    offConsent();
    await post(batchUrl, { batch: [trackEvent()] });
    expect(events).toEqual([`${WRITE_KEY}:${e.messageId}`]);
    expect(consents).toEqual([c.consentId]);
  });

  it('answers 404, 405 and /healthz with JSON errors', async () => {
    const nf = await post(`${served.url}/v2/batch`, {});
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe('not_found');
    const get = await fetch(batchUrl);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await get.json()).error.code).toBe('method_not_allowed');
    const health = await fetch(`${served.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', database: backend.name });
  });

  it('keeps its migrations idempotent', async () => {
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });
});
