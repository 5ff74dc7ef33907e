/**
 * Conformance of every wire-format adapter with the published format it claims: the Snowplow payload_data JSON
 * schema (kept as published in /work/shared/schemas) and the Snowplow e-commerce schemas, the Segment spec's
 * required fields, PostHog's batch capture shape, and the native envelope. Validates with zod 4's z.fromJSONSchema.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventSchema, batchSchema } from '../../../src/schema/event';
import { createTouchpointFormat } from '../../../src/transport/formats/touchpoint';
import * as segment from '../../../src/transport/formats/segment';
import * as snowplow from '../../../src/transport/formats/snowplow';
import * as posthog from '../../../src/transport/formats/posthog';
import * as custom from '../../../src/transport/formats/custom';
import { createDestination, GZIP_MIN_BYTES } from '../../../src/transport/destination';
import { resolveDestinations, destinationProblem } from '../../../src/core/destinations';
import { checkConfig } from '../../../src/core/config';
import { sampleEvents } from './fixtures';

const SENT_AT = '2024-05-01T10:00:05.000Z';
const body = (b: unknown) => (typeof b == 'string' ? JSON.parse(b) : b) as any;
const fromB64url = (s: string) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');

/**
 * The published payload_data schema:
 * iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4 (from Iglu Central, kept as published).
 */
const payloadData = z.fromJSONSchema(JSON.parse(readFileSync('/work/shared/schemas/snowplow/payload_data-1-0-4.json', 'utf8')));

/** The self-describing JSON envelope (iglu:com.snowplowanalytics.self-desc/instance/jsonschema/1-0-0) of ue_pr and co items. */
const selfDescribing = z.object({ schema: z.string().regex(/^iglu:[a-zA-Z0-9-_.]+\/[a-zA-Z0-9-_]+\/jsonschema\/[1-9][0-9]*-[0-9]+-[0-9]+$/), data: z.unknown() });

/**
 * The Snowplow e-commerce schemas the adapter emits, transcribed field for field (types, bounds, required,
 * additionalProperties false) from Iglu Central:
 * https://github.com/snowplow/iglu-central/tree/master/schemas/com.snowplowanalytics.snowplow.ecommerce
 */
const money = { type: 'number', minimum: 0, multipleOf: 0.01, maximum: 9999999 };
const orNull = (t: string) => ({ type: [t, 'null'] });
const ECOMMERCE: Record<string, object> = {
  [snowplow.ECOMMERCE_ACTION]: {
    type: 'object',
    properties: {
      type: { enum: ['add_to_cart', 'remove_from_cart', 'product_view', 'list_click', 'list_view', 'promo_click', 'promo_view', 'checkout_step', 'transaction', 'refund', 'trns_error'] },
      name: { type: ['string', 'null'], maxLength: 128 },
    },
    required: ['type'],
    additionalProperties: false,
  },
  [snowplow.PRODUCT_ENTITY]: {
    type: 'object',
    properties: {
      id: { type: 'string', maxLength: 4096 }, name: { ...orNull('string'), maxLength: 4096 }, category: { type: 'string', maxLength: 4096 },
      price: money, list_price: { ...money, type: ['number', 'null'] }, quantity: { type: ['integer', 'null'], minimum: 0, maximum: 9999999 },
      size: { ...orNull('string'), maxLength: 256 }, variant: { ...orNull('string'), maxLength: 256 }, brand: { ...orNull('string'), maxLength: 256 },
      inventory_status: { ...orNull('string'), maxLength: 256 }, position: { type: ['integer', 'null'], minimum: 0, maximum: 9999999 },
      currency: { type: 'string', minLength: 3, maxLength: 3 }, creative_id: { ...orNull('string'), maxLength: 256 },
    },
    required: ['id', 'category', 'price', 'currency'],
    additionalProperties: false,
  },
  [snowplow.TRANSACTION_ENTITY]: {
    type: 'object',
    properties: {
      transaction_id: { type: 'string', maxLength: 4096 }, revenue: money, currency: { type: 'string', minLength: 3, maxLength: 3 },
      payment_method: { type: 'string', maxLength: 128 }, total_quantity: { type: 'integer', minimum: 0, maximum: 9999999 },
      tax: { ...money, type: ['number', 'null'] }, shipping: { ...money, type: ['number', 'null'] }, discount_code: { ...orNull('string'), maxLength: 99 },
      discount_amount: { ...money, type: ['number', 'null'] }, credit_order: orNull('boolean'),
    },
    required: ['transaction_id', 'revenue', 'payment_method', 'currency', 'total_quantity'],
    additionalProperties: false,
  },
};
const ecommerce = Object.fromEntries(Object.entries(ECOMMERCE).map(([k, v]) => [k, z.fromJSONSchema(v as never)]));

/**
 * The Segment spec's common fields and per-type requirements
 * (https://segment.com/docs/connections/spec/common/, …/spec/track/, …/spec/identify/, …/spec/page/, …/spec/alias/).
 */
const segmentEvent = z
  .looseObject({
    type: z.enum(['track', 'page', 'screen', 'identify', 'group', 'alias']),
    messageId: z.string().min(1),
    timestamp: z.iso.datetime(),
    sentAt: z.iso.datetime().optional(),
    anonymousId: z.string().min(1).optional(),
    userId: z.string().min(1).optional(),
    context: z.looseObject({ externalIds: z.array(z.object({ id: z.string(), type: z.string(), collection: z.string(), encoding: z.string() })).optional() }).optional(),
    event: z.string().min(1).optional(),
    properties: z.record(z.string(), z.unknown()).optional(),
    traits: z.record(z.string(), z.unknown()).optional(),
    previousId: z.string().min(1).optional(),
  })
  .refine((e) => e.userId || e.anonymousId, 'anonymousId or userId is required')
  .refine((e) => e.type != 'track' || e.event, 'track needs event')
  .refine((e) => e.type != 'alias' || (e.userId && e.previousId), 'alias needs userId and previousId');
const segmentBatch = z.object({ batch: z.array(segmentEvent).min(1), sentAt: z.iso.datetime().optional(), writeKey: z.string().optional() });

/** PostHog's batch capture body (https://posthog.com/docs/api/capture#batch-events). */
const posthogBatch = z.object({
  api_key: z.string().min(1),
  sent_at: z.iso.datetime().optional(),
  batch: z.array(z.object({ event: z.string().min(1), distinct_id: z.string().min(1), properties: z.record(z.string(), z.unknown()), timestamp: z.iso.datetime(), uuid: z.uuid().optional() })).min(1),
});

describe('snowplow tracker protocol v2', () => {
  const adapter = snowplow.createFormat({ format: 'snowplow', url: 'https://sp.example/', appId: 'shop' }, '0.1.0');
  const events = sampleEvents();
  const req = adapter.encode(events, { sentAt: SENT_AT });
  const b = body(req.body);

  it('posts payload_data 1-0-4 to /com.snowplowanalytics.snowplow/tp2 and validates against the published schema', () => {
    expect(req.url).toBe('https://sp.example/com.snowplowanalytics.snowplow/tp2');
    expect(req.headers['Content-Type']).toMatch(/^application\/json/);
    expect(b.schema).toBe('iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4');
    const r = payloadData.safeParse(b.data);
    expect(r.error?.issues ?? []).toEqual([]);
    expect(b.data).toHaveLength(events.length);
    for (const item of b.data) for (const v of Object.values(item)) expect(typeof v).toBe('string');
  });

  it('maps the envelope: page view as pv, ids, times in ms, page fields', () => {
    const [pv] = b.data;
    expect(pv).toMatchObject({ e: 'pv', p: 'web', aid: 'shop', eid: events[0].messageId, duid: 'anon-1', url: events[0].context!.page!.url, page: 'Shoe A-1', refr: 'https://www.google.com/', res: '1280x800', lang: 'de-DE' });
    expect(pv.dtm).toBe(String(Date.parse('2024-05-01T10:00:00.000Z')));
    expect(pv.stm).toBe(String(Date.parse(SENT_AT)));
    expect(pv.ue_pr).toBeUndefined();
  });

  it('every other event is a self-describing ue; commerce events validate against the e-commerce schemas', () => {
    const seen: string[] = [];
    for (const item of b.data.slice(1)) {
      expect(item.e).toBe('ue');
      const ue = JSON.parse(item.ue_pr);
      expect(ue.schema).toBe(snowplow.UNSTRUCT_EVENT);
      expect(selfDescribing.parse(ue.data)).toBeTruthy();
      const co = JSON.parse(item.co);
      expect(co.schema).toBe(snowplow.CONTEXTS);
      for (const entity of [ue.data, ...co.data]) {
        selfDescribing.parse(entity);
        const schema = ecommerce[entity.schema];
        if (schema) {
          seen.push(entity.schema);
          const r = schema.safeParse(entity.data);
          expect(r.error?.issues ?? [], entity.schema).toEqual([]);
        }
      }
    }
    expect(new Set(seen)).toEqual(new Set(Object.keys(ECOMMERCE)));
    // the validators bite: a number value, an unknown key, a product without category, a price of 9.999
    expect(payloadData.safeParse([{ ...b.data[0], dtm: 1 }]).success).toBe(false);
    expect(payloadData.safeParse([{ ...b.data[0], extra: 'x' }]).success).toBe(false);
    expect(ecommerce[snowplow.PRODUCT_ENTITY].safeParse({ id: 'a', price: 1, currency: 'EUR' }).success).toBe(false);
    expect(ecommerce[snowplow.PRODUCT_ENTITY].safeParse({ id: 'a', category: 'c', price: 9.999, currency: 'EUR' }).success).toBe(false);
    const actions = b.data.map((i: any) => i.ue_pr && JSON.parse(i.ue_pr).data).filter((d: any) => d?.schema == snowplow.ECOMMERCE_ACTION).map((d: any) => d.data.type);
    expect(actions).toEqual(['product_view', 'add_to_cart', 'transaction']);
  });

  it('identify, alias and commerce without the facts Snowplow requires stay self-describing Touchpoint events', () => {
    const ue = (i: number) => JSON.parse(b.data[i].ue_pr).data;
    expect(ue(5)).toMatchObject({ schema: 'iglu:dev.touchpoint/track/jsonschema/1-0-0', data: { event: 'product_viewed', properties: { product_id: 'B-2' } } });
    expect(ue(6)).toMatchObject({ schema: 'iglu:dev.touchpoint/identify/jsonschema/1-0-0', data: { traits: { plan: 'gold' }, identities: [{ type: 'email', hashed: true }, { type: 'loyalty_id' }] } });
    expect(b.data[6].uid).toBe('u-42');
    expect(ue(7)).toMatchObject({ schema: 'iglu:dev.touchpoint/alias/jsonschema/1-0-0', data: { previousId: 'anon-1' } });
    expect(JSON.parse(b.data[8].ue_pr).data.data.properties.text).toBe('Grüße, 東京 🚀');
    expect(b.data[8].duid).toBeUndefined();
  });

  it('base64 mode carries ue_px and cx (base64url, UTF-8) instead, still valid payload_data', () => {
    const coded = body(snowplow.createFormat({ format: 'snowplow', url: 'https://sp.example', base64: true }, '0.1.0').encode(events, { sentAt: SENT_AT }).body);
    expect(payloadData.safeParse(coded.data).success).toBe(true);
    const last = coded.data[8];
    expect(last.ue_pr).toBeUndefined();
    expect(last.ue_px).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(fromB64url(last.ue_px))).toEqual(JSON.parse(b.data[8].ue_pr));
    expect(JSON.parse(fromB64url(last.cx))).toEqual(JSON.parse(b.data[8].co));
  });
});

describe('segment HTTP API', () => {
  const adapter = segment.createFormat({ format: 'segment', url: 'https://api.segment.io', writeKey: 'seg_key' });
  const events = sampleEvents();

  it('posts a batch with the spec\'s required fields to /v1/batch with HTTP Basic (write key as user)', () => {
    const req = adapter.encode(events, { sentAt: SENT_AT });
    expect(req.url).toBe('https://api.segment.io/v1/batch');
    expect(req.headers.Authorization).toBe('Basic ' + Buffer.from('seg_key:').toString('base64'));
    const b = body(req.body);
    const r = segmentBatch.safeParse(b);
    expect(r.error?.issues ?? []).toEqual([]);
    expect(b.batch.map((e: any) => e.messageId)).toEqual(events.map((e) => e.messageId));
    expect(b.batch[8].anonymousId).toBeUndefined(); // null is not a Segment value
  });

  it('identity links become context.externalIds; the cap-dropped count rides in context', () => {
    const b = body(adapter.encode(events, { sentAt: SENT_AT, dropped: 4 }).body);
    expect(b.batch[6].identities).toBeUndefined();
    expect(b.batch[6].context.externalIds).toEqual([
      { id: 'a'.repeat(64), type: 'email', collection: 'users', encoding: 'sha256' },
      { id: 'L-7', type: 'loyalty_id', collection: 'users', encoding: 'none' },
    ]);
    expect(b.batch[0].context.outbox).toEqual({ dropped: 4 });
  });

  it('on page hide: text/plain with the write key in the body (no preflight), as analytics.js sends', () => {
    const req = adapter.encode(events, { sentAt: SENT_AT, unload: true });
    expect(req.headers).toEqual({ 'Content-Type': 'text/plain' });
    expect(body(req.body).writeKey).toBe('seg_key');
    expect(segmentBatch.safeParse(body(req.body)).success).toBe(true);
  });
});

describe('posthog batch capture', () => {
  const adapter = posthog.createFormat({ format: 'posthog', url: 'https://eu.i.posthog.com/', apiKey: 'phc_test' });
  const events = sampleEvents();
  const req = adapter.encode(events, { sentAt: SENT_AT });
  const b = body(req.body);

  it('posts { api_key, batch: [{ event, distinct_id, properties, timestamp }] } to /batch', () => {
    expect(req.url).toBe('https://eu.i.posthog.com/batch');
    const r = posthogBatch.safeParse(b);
    expect(r.error?.issues ?? []).toEqual([]);
    expect(b.api_key).toBe('phc_test');
    expect(b.batch.map((e: any) => e.uuid)).toEqual(events.map((e) => e.messageId));
  });

  it('$pageview, $identify with $set and $anon_distinct_id, $create_alias; distinct_id is the user once known', () => {
    expect(b.batch[0]).toMatchObject({ event: '$pageview', distinct_id: 'anon-1', properties: { $current_url: events[0].context!.page!.url, $pathname: '/p/a-1', $lib: 'touchpoint', utm_source: 'news' } });
    expect(b.batch[2]).toMatchObject({ event: 'product_viewed', properties: { product_id: 'A-1', price: 59.9 } });
    expect(b.batch[6]).toMatchObject({ event: '$identify', distinct_id: 'u-42', properties: { $anon_distinct_id: 'anon-1', $set: { plan: 'gold', sha256_email: 'a'.repeat(64), loyalty_id: 'L-7' } } });
    expect(b.batch[7]).toMatchObject({ event: '$create_alias', properties: { alias: 'anon-1' } });
  });
});

describe('native and custom formats', () => {
  it('native: the batch validates with the collector\'s own schemas', () => {
    const req = createTouchpointFormat({ url: 'https://c.example', writeKey: 'wk' }).encode(sampleEvents(), { sentAt: SENT_AT });
    const b = body(req.body);
    expect(batchSchema.safeParse(b).success).toBe(true);
    for (const e of b.batch) expect(eventSchema.safeParse(e).error?.issues ?? []).toEqual([]);
  });

  it('custom: the developer\'s transform builds the request; JSON content type unless it sets one', () => {
    const adapter = custom.createFormat({ format: 'custom', transform: (events) => ({ url: 'https://hook.example/in', headers: { 'X-Key': 'k' }, body: { n: events.length, ids: events.map((e) => e.messageId) } }) });
    const req = adapter.encode(sampleEvents().slice(0, 2), { sentAt: SENT_AT });
    expect(req).toMatchObject({ url: 'https://hook.example/in', headers: { 'X-Key': 'k', 'Content-Type': 'application/json' }, body: { n: 2 } });
    expect(() => custom.createFormat({ format: 'custom', transform: () => ({}) as never }).encode([], { sentAt: SENT_AT })).toThrow(/url/);
  });
});

describe('destination transport', () => {
  type Call = { url: string; init: RequestInit };
  const fakeFetch = (status = 200, json: unknown = {}) => {
    const calls: Call[] = [];
    const f = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify(json), { status, headers: { 'Content-Type': 'application/json' } });
    }) as unknown as typeof fetch;
    return { calls, fetch: f };
  };
  const big = () => sampleEvents().concat(sampleEvents(), sampleEvents());

  it('gzips bodies over the threshold with Content-Encoding: gzip when the destination accepts it', async () => {
    const { calls, fetch } = fakeFetch();
    const d = createDestination({ name: 'touchpoint', format: createTouchpointFormat({ url: 'https://c.example', writeKey: 'wk' }), fetch });
    const res = await d.send(big());
    expect(res.outcome).toBe('sent');
    const { init } = calls[0];
    expect((init.headers as Record<string, string>)['Content-Encoding']).toBe('gzip');
    const plain = JSON.parse(gunzipSync(Buffer.from(init.body as Uint8Array)).toString('utf8'));
    expect(plain.batch).toHaveLength(27);
    expect((init.body as Uint8Array).length).toBeLessThan(JSON.stringify(plain).length / 3);
  });

  it('sends plain when the body is small, the format has gzip off, CompressionStream is missing, or on page hide', async () => {
    const encodingOf = async (opts: { gzip?: boolean; events?: ReturnType<typeof sampleEvents>; unload?: boolean }) => {
      const { calls, fetch } = fakeFetch();
      const d = createDestination({ name: 'x', format: createTouchpointFormat({ url: 'https://c.example', writeKey: 'wk', gzip: opts.gzip }), fetch });
      await d.send(opts.events ?? big(), { unload: opts.unload });
      expect(typeof calls[0].init.body).toBe('string');
      return { headers: calls[0].init.headers as Record<string, string>, keepalive: calls[0].init.keepalive };
    };
    expect(JSON.stringify(sampleEvents().slice(0, 1)).length).toBeLessThan(GZIP_MIN_BYTES);
    expect((await encodingOf({ events: sampleEvents().slice(0, 1) })).headers['Content-Encoding']).toBeUndefined();
    expect((await encodingOf({ gzip: false })).headers['Content-Encoding']).toBeUndefined();
    const unload = await encodingOf({ unload: true });
    expect(unload).toMatchObject({ keepalive: true, headers: { 'Content-Type': 'text/plain' } });
    const saved = globalThis.CompressionStream;
    try {
      (globalThis as any).CompressionStream = undefined;
      expect((await encodingOf({})).headers['Content-Encoding']).toBeUndefined();
    } finally {
      globalThis.CompressionStream = saved;
    }
  });

  it('a lazy format loads once; a transform that throws is a retry, never a throw', async () => {
    const { calls, fetch } = fakeFetch();
    let loads = 0;
    const d = createDestination({ name: 'seg', format: async () => (loads++, segment.createFormat({ url: 'https://s.example', writeKey: 'k' })), fetch });
    await d.send(sampleEvents());
    await d.send(sampleEvents());
    expect(loads).toBe(1);
    expect(calls.map((c) => c.url)).toEqual(['https://s.example/v1/batch', 'https://s.example/v1/batch']);
    const bad = createDestination({ name: 'c', format: custom.createFormat({ format: 'custom', transform: () => { throw new Error('boom'); } }), fetch });
    expect(await bad.send(sampleEvents())).toMatchObject({ outcome: 'retry', error: expect.stringContaining('boom') });
    expect(await bad.send(sampleEvents(), { unload: true })).toMatchObject({ outcome: 'retry', error: expect.stringContaining('boom') });
    expect(bad.measure!(sampleEvents())).toBe(Infinity);
  });

  it('classifies answers: per-event rejections on 2xx, 400 drop, 429 retry with Retry-After', async () => {
    const rejecting = fakeFetch(200, { accepted: 1, rejected: [{ index: 1, messageId: 'm-2' }] });
    const d = createDestination({ name: 't', format: createTouchpointFormat({ url: '/c', writeKey: 'k' }), fetch: rejecting.fetch });
    expect(await d.send(sampleEvents())).toMatchObject({ outcome: 'sent', rejected: ['m-2'] });
    const limited = (async () => new Response('{}', { status: 429, headers: { 'Retry-After': '7' } })) as unknown as typeof fetch;
    expect(await createDestination({ name: 't', format: createTouchpointFormat({ url: '/c' }), fetch: limited }).send(sampleEvents())).toMatchObject({ outcome: 'retry', status: 429, retryAfterMs: 7000 });
    expect((await createDestination({ name: 't', format: createTouchpointFormat({ url: '/c' }), fetch: fakeFetch(400).fetch }).send(sampleEvents())).outcome).toBe('drop');
  });
});

describe('destinations config', () => {
  const base = { writeKey: 'wk', collectorUrl: 'https://c.example' };
  const load = async (f: string) => ({ segment, snowplow, posthog, custom })[f as 'segment'] as never;

  it('without destinations: one native destination from collectorUrl and writeKey (existing configs unchanged)', () => {
    const list = resolveDestinations(base, load, '0.1.0');
    expect(list.map((d) => d.name)).toEqual(['touchpoint']);
    expect(checkConfig(base).problems).toEqual([]);
  });

  it('names default to the format and stay unique; bad entries are reported and left out', () => {
    const destinations = [
      { format: 'touchpoint' as const },
      { format: 'segment' as const, url: 'https://api.segment.io', writeKey: 'a' },
      { format: 'segment' as const, url: 'https://rudder.example', writeKey: 'b', categories: ['marketing'] },
      { format: 'posthog' as const, url: 'https://eu.i.posthog.com' },
      { format: 'mixpanel' as never, url: 'https://x' },
    ];
    const list = resolveDestinations({ ...base, destinations }, load, '0.1.0');
    expect(list.map((d) => [d.name, d.categories])).toEqual([['touchpoint', undefined], ['segment', undefined], ['segment#2', ['marketing']], ['posthog', undefined]]);
    const { fatal, problems } = checkConfig({ ...base, destinations });
    expect(fatal).toBe(false);
    expect(problems).toEqual(['config.destinations[4] has an unknown format "mixpanel"; left out']);
    expect(destinationProblem({ format: 'custom' })).toBeUndefined(); // the custom chunk checks transform when it loads
    expect(() => custom.createFormat({ format: 'custom' })).toThrow(/transform/);
  });

  it('a format chunk checks its own keys: a misconfigured destination waits with the reason as its error', async () => {
    const [ph] = resolveDestinations({ ...base, destinations: [{ format: 'posthog', url: 'https://eu.i.posthog.com' }] }, load, '0.1.0');
    expect(await ph!.send(sampleEvents())).toMatchObject({ outcome: 'retry', error: expect.stringContaining('needs url and apiKey') });
  });
});
