/**
 * Hostile input over HTTP, against PGlite and a real Postgres (issue 13): nesting 10,000 deep, lone UTF-16 surrogates,
 * U+0000, 1e400 and `__proto__` keys are answered 400 (or repaired and stored), never 500, and never cost the good
 * events of the same batch.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BACKENDS, consentRecord, post, serve, servedOn, trackEvent, WRITE_KEY } from './helpers';

const DEPTH = 10_000;
const REPAIRED = 'had a lone UTF-16 surrogate, replaced by U+FFFD';
const TOO_DEEP = 'nests deeper than 32 levels';

/** `{"a":{"a":…1…}}` nested `levels` deep, as text: JSON.stringify itself cannot go that deep. */
const deepText = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
/** The JSON text of `value` with the placeholder string `"@DEEP@"` replaced by `raw`. */
const withRaw = (value: unknown, raw: string) => JSON.stringify(value).replace('"@DEEP@"', raw);

describe.each(BACKENDS)('hostile input on $name', (backend) => {
  if (!backend.available) return void it.skip('needs Postgres binaries (apt-get install postgresql); CI fails instead');
  const ctx = servedOn(backend);

  const storedBody = async (messageId: string) =>
    (await ctx.db.query<{ body: Record<string, any> }>('SELECT body FROM events WHERE message_id = $1', [messageId])).rows[0]?.body;
  const send = (path: string, text: string, gzip: boolean) =>
    post(`${ctx.served.url}${path}`, undefined, gzip ? { 'content-encoding': 'gzip' } : {}, gzip ? gzipSync(text) : text);

  describe.each([
    { where: 'properties', at: 'properties.a.a.a.a.a.a.a…', event: () => trackEvent({ properties: '@DEEP@' }) },
    { where: 'traits', at: 'traits.a.a.a.a.a.a.a…', event: () => trackEvent({ type: 'identify', userId: 'u-deep', traits: '@DEEP@' }) },
    { where: 'context.campaign', at: 'context.campaign.a.a.a.a.a.a…', event: () => trackEvent({ context: { campaign: '@DEEP@' } }) },
  ])('an event nesting $where 10,000 deep', ({ at, event }) => {
    it.each([false, true])('is rejected with 400 on /v1/batch and the good event kept (gzip: %s)', async (gzip) => {
      const bad = event();
      const good = trackEvent();
      const res = await send('/v1/batch', withRaw({ batch: [good, bad] }, deepText(DEPTH)), gzip);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        accepted: 1,
        duplicates: 0,
        rejected: [{ index: 1, messageId: bad.messageId, problems: [{ path: at, message: TOO_DEEP }] }],
        repaired: [],
      });
      expect(await storedBody(good.messageId as string)).toBeDefined();
      expect(await storedBody(bad.messageId as string)).toBeUndefined();
      const alone = await send('/v1/batch', withRaw({ batch: [event()] }, deepText(DEPTH)), gzip);
      expect(alone.status).toBe(400);
      expect(alone.body.rejected[0].problems).toEqual([{ path: at, message: TOO_DEEP }]);
    });

    it.each([false, true])('is rejected with 400 on the single-event route (gzip: %s)', async (gzip) => {
      const bad = event();
      const path = bad.type === 'identify' ? '/v1/i' : '/v1/t';
      const res = await send(path, withRaw(bad, deepText(DEPTH)), gzip);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ accepted: 0, duplicates: 0, rejected: [{ index: 0, messageId: bad.messageId, problems: [{ path: at, message: TOO_DEEP }] }], repaired: [] });
    });
  });

  it('stores an event exactly at the depth limit and refuses one level more', async () => {
    // the event is level 1 and properties level 2, so properties holding 31 nested objects reaches level 32
    const atLimit = trackEvent({ properties: '@DEEP@' });
    const overLimit = trackEvent({ properties: '@DEEP@' });
    const res = await post(`${ctx.served.url}/v1/batch`, undefined, {}, `{"batch":[${withRaw(atLimit, deepText(31))},${withRaw(overLimit, deepText(32))}]}`);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([{ index: 1, messageId: overLimit.messageId, problems: [{ path: 'properties.a.a.a.a.a.a.a…', message: TOO_DEEP }] }]);
    expect(JSON.stringify((await storedBody(atLimit.messageId as string))!.properties)).toBe(deepText(31));
  });

  it('answers a whole body nested 10,000 deep with a clear 400', async () => {
    for (const text of [`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`, deepText(DEPTH)]) {
      const res = await send('/v1/batch', text, false);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_batch');
    }
    const nestedItem = await send('/v1/batch', `{"batch":[${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}]}`, true);
    expect(nestedItem.status).toBe(400);
    expect(nestedItem.body.rejected).toEqual([{ index: 0, problems: [{ path: '[0][0][0][0][0][0][0][0]…', message: TOO_DEEP }] }]);
    const single = await send('/v1/t', deepText(DEPTH), false);
    expect(single.status).toBe(400);
    expect(single.body.rejected[0].problems).toEqual([{ path: 'a.a.a.a.a.a.a.a…', message: TOO_DEEP }]);
    const consent = await send('/v1/consent', `{"records":[${deepText(DEPTH)}]}`, true);
    expect(consent.status).toBe(400);
    expect(consent.body.rejected[0].problems).toEqual([{ path: 'a.a.a.a.a.a.a.a…', message: TOO_DEEP }]);
  });

  it('repairs lone surrogates in a title, context.channel, the event name and anonymousId, stores and lists them', async () => {
    const event = trackEvent({
      event: 'product_\ud800viewed',
      anonymousId: 'anon-\udfff\ud800',
      context: { channel: 'Organic \udfff Search', page: { path: '/p', title: 'Shoes \ud800' } },
      properties: { ['key\ud800']: 'x', list: ['ok', 'bad\udc00'] },
    });
    const res = await post(`${ctx.served.url}/v1/batch`, { batch: [event] });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([]);
    expect(res.body.repaired).toEqual([
      {
        index: 0,
        messageId: event.messageId,
        problems: expect.arrayContaining([
          { path: 'event', message: REPAIRED },
          { path: 'anonymousId', message: REPAIRED },
          { path: 'context.channel', message: REPAIRED },
          { path: 'context.page.title', message: REPAIRED },
          { path: 'properties.key\ufffd', message: 'key had a lone UTF-16 surrogate, replaced by U+FFFD' },
          { path: 'properties.list[1]', message: REPAIRED },
        ]),
      },
    ]);
    expect(res.body.repaired[0].problems).toHaveLength(6);
    const { rows } = await ctx.db.query<Record<string, any>>('SELECT event, anonymous_id, channel, body FROM events WHERE message_id = $1', [event.messageId]);
    expect(rows[0]).toMatchObject({ event: 'product_\ufffdviewed', anonymous_id: 'anon-\ufffd\ufffd', channel: 'Organic \ufffd Search' });
    expect(rows[0]!.body.context.page.title).toBe('Shoes \ufffd');
    expect(rows[0]!.body.properties).toEqual({ 'key\ufffd': 'x', list: ['ok', 'bad\ufffd'] });
  });

  it('repairs a lone surrogate on the single-event route and in a messageId, so a retry deduplicates', async () => {
    const event = trackEvent({ type: 'page', event: undefined, name: 'Home', messageId: `m-\ud800-${Date.now()}`, context: { page: { title: '\udfff\ud800' } } });
    const first = await post(`${ctx.served.url}/v1/p`, event);
    expect(first.status).toBe(200);
    expect(first.body.accepted).toBe(1);
    expect(first.body.repaired[0].messageId).toBe(event.messageId); // as sent, so the sender can match it
    expect(first.body.repaired[0].problems).toEqual([
      { path: 'messageId', message: REPAIRED },
      { path: 'context.page.title', message: REPAIRED },
    ]);
    const retry = await post(`${ctx.served.url}/v1/p`, event);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(retry.body.repaired).toHaveLength(1);
    const repairedId = (event.messageId as string).replace('\ud800', '\ufffd');
    expect((await storedBody(repairedId))!.context.page.title).toBe('\ufffd\ufffd');
  });

  it('stores the good event of [good, lone surrogate] and [good, U+0000], listing the bad one', async () => {
    const good = trackEvent();
    const repairedOne = trackEvent({ properties: { s: 'a\ud800' } });
    const res = await post(`${ctx.served.url}/v1/batch`, { batch: [good, repairedOne] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 2, duplicates: 0, rejected: [], repaired: [{ index: 1, messageId: repairedOne.messageId, problems: [{ path: 'properties.s', message: REPAIRED }] }] });
    expect((await storedBody(repairedOne.messageId as string))!.properties.s).toBe('a\ufffd');

    const good2 = trackEvent();
    const nul = trackEvent({ properties: { ['k\u0000']: 'v', nested: { s: 'a\u0000b' } } });
    const res2 = await post(`${ctx.served.url}/v1/batch`, { batch: [good2, nul] });
    expect(res2.status).toBe(200);
    expect(res2.body.accepted).toBe(1);
    expect(res2.body.rejected).toEqual([
      {
        index: 1,
        messageId: nul.messageId,
        problems: [
          { path: 'properties.k\u0000', message: 'key contains the character U+0000, which cannot be stored' },
          { path: 'properties.nested.s', message: 'contains the character U+0000, which cannot be stored' },
        ],
      },
    ]);
    expect(await storedBody(good2.messageId as string)).toBeDefined();
  });

  it('refuses an object whose two keys become one after the repair', async () => {
    const event = trackEvent({ properties: { ['\ud800']: 1, ['\udfff']: 2 } });
    const res = await post(`${ctx.served.url}/v1/batch`, { batch: [event] });
    expect(res.status).toBe(400);
    expect(res.body.rejected[0].problems).toEqual([{ path: 'properties.\ufffd', message: 'is a key twice once lone UTF-16 surrogates are replaced by U+FFFD' }]);
  });

  it('refuses 1e400 (JSON.parse makes it Infinity) on the batch and single-event routes', async () => {
    const good = trackEvent();
    const bad = trackEvent({ properties: { price: '@DEEP@' } });
    const res = await post(`${ctx.served.url}/v1/batch`, undefined, {}, withRaw({ batch: [good, bad] }, '1e400'));
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([{ index: 1, messageId: bad.messageId, problems: [{ path: 'properties.price', message: 'is a number beyond ±1.8e308, which cannot be stored' }] }]);
    const single = await send('/v1/t', withRaw(trackEvent({ properties: { n: '@DEEP@' } }), '-1e400'), true);
    expect(single.status).toBe(400);
    expect(single.body.rejected[0].problems[0].message).toBe('is a number beyond ±1.8e308, which cannot be stored');
    const biggest = trackEvent({ properties: { n: 1.7976931348623157e308, tiny: 5e-324 } });
    expect((await post(`${ctx.served.url}/v1/batch`, { batch: [biggest] })).status).toBe(200);
    expect((await storedBody(biggest.messageId as string))!.properties).toEqual({ n: 1.7976931348623157e308, tiny: 5e-324 });
  });

  it('refuses the key __proto__ anywhere and keeps constructor, prototype and toString exactly', async () => {
    // JSON.parse makes an own property __proto__, which JSON.stringify cannot write, so the bodies are text
    const texts = [
      JSON.stringify(trackEvent()).replace('{"type":', '{"__proto__":{"polluted":1},"type":'),
      withRaw(trackEvent({ properties: '@DEEP@' }), '{"a":{"__proto__":{"x":1}}}'),
      withRaw(trackEvent({ context: { campaign: '@DEEP@' } }), '{"__proto__":"x"}'),
    ];
    const res = await post(`${ctx.served.url}/v1/batch`, undefined, {}, `{"batch":[${texts.join(',')}]}`);
    expect(res.status).toBe(400);
    expect(res.body.rejected.map((r: { problems: unknown[] }) => r.problems)).toEqual([
      [{ path: '__proto__', message: 'is the key __proto__, which cannot be stored as sent' }],
      [{ path: 'properties.a.__proto__', message: 'is the key __proto__, which cannot be stored as sent' }],
      [{ path: 'context.campaign.__proto__', message: 'is the key __proto__, which cannot be stored as sent' }],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const odd = { constructor: { prototype: 1 }, prototype: 'p', toString: 't', valueOf: [1], hasOwnProperty: null };
    const kept = trackEvent({ properties: odd, context: { channel: 'Direct', campaign: { constructor: 'c', toString: 's' } } });
    const ok = await post(`${ctx.served.url}/v1/batch`, { batch: [kept] });
    expect(ok.status).toBe(200);
    expect(ok.body.accepted).toBe(1);
    const body = (await storedBody(kept.messageId as string))!;
    expect(body.properties).toEqual(odd);
    expect(body.context.campaign).toEqual({ constructor: 'c', toString: 's' });
  });

  it('repairs consent records too and lists them with their consentId', async () => {
    const good = consentRecord();
    const record = consentRecord({ locale: 'de-\ud800', granted: ['necessary', 'analytics\udfff'] });
    const res = await post(`${ctx.served.url}/v1/consent`, { records: [good, record] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [],
      repaired: [{ index: 1, consentId: record.consentId, problems: [{ path: 'locale', message: REPAIRED }, { path: 'granted[1]', message: REPAIRED }] }],
    });
    const { rows } = await ctx.db.query<Record<string, any>>('SELECT locale, granted, body FROM consent_records WHERE consent_id = $1', [record.consentId]);
    expect(rows[0]).toMatchObject({ locale: 'de-\ufffd', granted: ['necessary', 'analytics\ufffd'] });
    expect(rows[0]!.body.locale).toBe('de-\ufffd');
  });

  it("answers U+0000 in the profile endpoints' ids with 400, not a failed query", async () => {
    const withProfiles = await serve({ db: ctx.db, secretKey: 'sk_hostile', onError: (error) => void ctx.errors.push(error) });
    try {
      const token = await post(`${withProfiles.url}/v1/profile-token`, { anonymousId: 'a\u0000b' }, { authorization: '', 'x-write-key': WRITE_KEY });
      expect(token.status).toBe(400);
      expect(token.body.error.code).toBe('invalid_body');
      const secret = { authorization: 'Bearer sk_hostile' };
      for (const [path, method] of [['/v1/profiles/a%00b', 'GET'], ['/v1/profiles?identity=email:a%00b', 'GET'], ['/v1/merges?profileId=a%00b', 'GET'], ['/v1/merges/%00/undo', 'POST']]) {
        const res = await fetch(`${withProfiles.url}${path}`, { method, headers: secret });
        expect(res.status, path).toBe(400);
      }
    } finally {
      await withProfiles.close();
    }
  });

  it('never reached onError (no 500) in any of the above', () => {
    expect(ctx.errors).toEqual([]);
  });
});
