/**
 * Property-based fuzzing of the collector over HTTP (issue 13), on PGlite and a real Postgres: random batches mixing
 * valid events with deep nesting, lone surrogates, U+0000, huge numbers (and 1e400 as raw JSON text), huge strings,
 * `__proto__`/`constructor` keys and non-events, plain and gzipped, on the batch and single-event routes.
 * Property: never a 5xx; the counts add up; every event is listed in `rejected` or stored exactly as sent once lone
 * surrogates are replaced by U+FFFD (and listed in `repaired` when that changed anything).
 * Seeded (TP_FUZZ_SEED overrides) and bounded (TP_FUZZ_RUNS); fast-check prints the seed and path of a failure.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKENDS, post, servedOn, WRITE_KEY } from './helpers';

const SEED = Number(process.env.TP_FUZZ_SEED ?? 20_131);
const RUNS = Number(process.env.TP_FUZZ_RUNS ?? 200);
/** Strings the body text replaces by the bare number 1e400 (a JavaScript value cannot carry it) and by an object
 * nested 10,000 deep (JSON.stringify cannot write it, and fast-check could not print it). */
const INF_MARK = '@@tp-1e400@@';
const DEEP_MARK = '@@tp-deep@@';
const DEEP_TEXT = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
/** The JSON text the collector receives for `value`, markers replaced. */
const toText = (value: Json) => JSON.stringify(value).replaceAll(`"${INF_MARK}"`, '1e400').replaceAll(`"${DEEP_MARK}"`, DEEP_TEXT);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// ---------------------------------------------------------------------------------------------------- arbitraries

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
/** Short strings of any code units but U+0000 (a poison of its own): printable, astral, lone or paired surrogates. */
const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }).filter((s) => !s.includes('\u0000')) },
  { weight: 2, arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 3 }), loneSurrogate), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('\ud800', '\udfff\ud800', '😀', '\ufffd', '') },
);
/** Keys, including the names objects inherit: they must round-trip as plain data. */
const key = fc.oneof(
  { weight: 8, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom('constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf') },
);
const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -0, 2 ** 53 + 2),
);
const leaf: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 3, arbitrary: number },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false) },
);
const { tree } = fc.letrec<{ tree: Json }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(key, tie('tree'), { maxKeys: 4 }) as fc.Arbitrary<Json>,
  ),
}));

/** `inner` wrapped in `levels` objects or arrays, built without recursion. */
function wrap(inner: Json, levels: number, arrays: boolean): Json {
  let out = inner;
  for (let i = 0; i < levels; i++) out = arrays ? [out] : { a: out };
  return out;
}
/** Around the limit: the wrapper starts three or four levels down, so 26 to 36 levels cross 32 about half the time. */
const nearLimit = fc.tuple(fc.integer({ min: 26, max: 36 }), tree, fc.boolean()).map(([levels, inner, arrays]) => wrap(inner, levels, arrays));
const object = fc.dictionary(key, fc.oneof({ weight: 20, arbitrary: tree }, { weight: 1, arbitrary: nearLimit }), { maxKeys: 5 }) as fc.Arbitrary<Json>;

/** One thing the collector must refuse, put somewhere in an event. */
const poison = fc.record({
  where: fc.constantFrom('top', 'properties', 'campaign'),
  key: fc.oneof({ weight: 3, arbitrary: key }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'k\u0000') }),
  value: fc.oneof(
    { weight: 1, arbitrary: tree },
    { weight: 2, arbitrary: fc.constantFrom<Json>(INF_MARK, DEEP_MARK, 'a\u0000b', ['\u0000'], 'x'.repeat(33 * 1024)) },
  ),
});

/** `arb` one time in `1 + absentWeight`, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, absentWeight: number) => fc.oneof({ weight: absentWeight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const optional = <T>(arb: fc.Arbitrary<T>) => sometimes(arb, 1);
const ISO = fc.constantFrom('2024-05-01T10:00:00+02:00', '0000-01-01T00:00:00Z', 'yesterday', '+275760-09-13T00:00:00.000Z');

/** An event, mostly plausible and often hostile. */
const eventArb = fc.record(
  {
    type: fc.oneof({ weight: 7, arbitrary: fc.constantFrom('track', 'track', 'page', 'identify') }, { weight: 1, arbitrary: fc.constant('bogus') }),
    event: fc.oneof({ weight: 3, arbitrary: fc.constant('product_viewed') }, { weight: 1, arbitrary: text }),
    idSuffix: text,
    anonymousId: fc.oneof({ weight: 3, arbitrary: fc.constant('anon-fuzz-1') }, { weight: 1, arbitrary: text }),
    userId: optional(text),
    timestamp: fc.oneof({ weight: 8, arbitrary: fc.constant('2024-05-01T10:00:00.000Z') }, { weight: 1, arbitrary: ISO }),
    properties: optional(object),
    traits: optional(object),
    context: optional(
      fc.record(
        {
          channel: text,
          page: fc.record({ title: text, path: text }, { requiredKeys: [] }),
          campaign: object,
          device: fc.record({ id: text, model: text }, { requiredKeys: [] }),
          extra: tree,
        },
        { requiredKeys: [] },
      ),
    ),
    writeKey: fc.constantFrom(undefined, undefined, undefined, undefined, WRITE_KEY, WRITE_KEY, WRITE_KEY, 'wk_not_this_one'),
    extraKey: optional(fc.tuple(key, tree)),
    poison: sometimes(poison, 3),
  },
  { requiredKeys: ['type', 'event', 'idSuffix', 'anonymousId', 'timestamp'] },
);
type GeneratedEvent = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;

/** One item of a batch: an event or, now and then, not an event at all. */
const item = fc.oneof(
  { weight: 12, arbitrary: eventArb.map((event) => ({ event })) },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, 7, 'not an event', [], [{}]).map((raw) => ({ raw })) },
);

const request = fc.record({
  items: fc.array(item, { minLength: 1, maxLength: 6 }),
  gzip: fc.boolean(),
  single: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

// ---------------------------------------------------------------------------------------------------- model

/** Sets `key` as an own property, even `__proto__` (a plain assignment would set the prototype instead). */
function setOwn(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
}

let sent = 0;
/** The JSON value of a generated item, with a messageId no other run uses (shrinking replays runs). */
function build(generated: { event: GeneratedEvent } | { raw: Json }): Json {
  if ('raw' in generated) return generated.raw;
  const g = generated.event;
  const event: { [key: string]: Json } = { type: g.type, messageId: `fuzz-${SEED}-${sent++}-${g.idSuffix}`, anonymousId: g.anonymousId, timestamp: g.timestamp };
  if (g.type === 'track') event.event = g.event;
  else if (g.type === 'page') event.name = g.event;
  if (g.userId !== undefined) event.userId = g.userId;
  if (g.properties !== undefined) event.properties = g.properties;
  if (g.traits !== undefined) event.traits = g.traits;
  if (g.context !== undefined) event.context = g.context as Json;
  if (g.writeKey !== undefined) event.writeKey = g.writeKey;
  if (g.extraKey) setOwn(event, g.extraKey[0], g.extraKey[1]);
  if (g.poison) {
    const { where, key: k, value } = g.poison;
    if (where === 'top') setOwn(event, k, value);
    else {
      const context = { ...(event.context as object) } as { [key: string]: Json };
      const host = where === 'properties' ? { ...(event.properties as object) } : { ...(context.campaign as object) };
      setOwn(host as { [key: string]: Json }, k, value);
      if (where === 'properties') event.properties = host as Json;
      else event.context = { ...context, campaign: host as Json };
    }
  }
  return event;
}

const wellFormed = (s: string) => (s as string & { toWellFormed(): string }).toWellFormed();
const isObject = (v: unknown): v is { [key: string]: Json } => !!v && typeof v === 'object' && !Array.isArray(v);

/** The item with every lone surrogate replaced, as the collector stores it (only for items it accepted, so ≤ 32 deep). */
function repaired(value: Json): Json {
  if (typeof value === 'string') return wellFormed(value);
  if (Array.isArray(value)) return value.map(repaired);
  if (!isObject(value)) return value;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(value)) out[wellFormed(k)] = repaired(v);
  return out;
}

/** An accepted item as the collector checks it: without writeKey (a credential) or a sender's device id (forgeable). */
function withoutCredentials(item: { [key: string]: Json }): { [key: string]: Json } {
  const { writeKey: _key, ...out } = item;
  const context = out.context;
  if (isObject(context) && isObject(context.device) && 'id' in context.device) {
    const { id: _forged, ...device } = context.device;
    out.context = { ...context, device };
  }
  return out;
}

/** Whether a value (of an accepted item) holds a lone surrogate anywhere. */
function hasLoneSurrogate(value: Json): boolean {
  return JSON.stringify(value) !== JSON.stringify(repaired(value));
}

/** Why the collector must refuse a parsed item whatever else it holds, walked with a stack (it may be 10,000 deep). */
function mustRefuse(item: Json): string | undefined {
  const stack: { value: Json; depth: number }[] = [{ value: item, depth: 1 }];
  while (stack.length) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string' && value.includes('\u0000')) return 'U+0000';
    if (typeof value === 'number' && !Number.isFinite(value)) return '1e400';
    if (!value || typeof value !== 'object') continue;
    if (depth > 32) return 'too deep';
    for (const [k, v] of Object.entries(value)) {
      if (k === '__proto__') return '__proto__';
      if (k.includes('\u0000')) return 'U+0000 in a key';
      stack.push({ value: v, depth: depth + 1 });
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------- property

describe.each(BACKENDS)('collector fuzz on $name', (backend) => {
  if (!backend.available) return void it.skip('needs Postgres binaries (apt-get install postgresql); CI fails instead');
  const ctx = servedOn(backend);

  it(`never answers 5xx and stores exactly what it accepts (seed ${SEED}, ${RUNS} runs)`, async () => {
    let requests = 0;
    let storedEvents = 0;
    let repairedEvents = 0;
    let rejectedEvents = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ items, gzip, single }) => {
        const values = items.map(build);
        const asSingle = single && isObject(values[0]);
        const sentValues = asSingle ? [values[0]!] : values;
        const itemTexts = sentValues.map(toText);
        const text = asSingle ? itemTexts[0]! : `{"batch":[${itemTexts.join(',')}],"sentAt":"2024-05-01T10:00:01.000Z"}`;
        const body = gzip ? gzipSync(text) : text;
        const res = await post(`${ctx.served.url}${asSingle ? '/v1/t' : '/v1/batch'}`, undefined, gzip ? { 'content-encoding': 'gzip' } : {}, body);
        requests++;
        if (Buffer.byteLength(text) > 512 * 1024) {
          expect(res.status).toBe(413);
          return;
        }

        expect(res.status).toBeLessThan(500);
        expect(res.body).toEqual({ accepted: expect.any(Number), duplicates: 0, rejected: expect.any(Array), repaired: expect.any(Array) });
        type Listed = { index: number; messageId?: string }[];
        const { accepted, rejected, repaired: repairs } = res.body as { accepted: number; rejected: Listed; repaired: Listed };
        expect(res.status).toBe(accepted ? 200 : 400);
        const rejectedAt = new Set(rejected.map((r) => r.index));
        expect(rejectedAt.size).toBe(rejected.length);
        expect(accepted + rejected.length).toBe(sentValues.length);

        // what the collector parsed: JSON.parse of the same text (own __proto__ keys and Infinity included)
        const parsed = itemTexts.map((t) => JSON.parse(t) as Json);
        const ids = parsed.map((p) => (isObject(p) && typeof p.messageId === 'string' ? wellFormed(p.messageId) : undefined));
        const { rows } = await ctx.db.query<{ message_id: string; body: Json }>('SELECT message_id, body FROM events WHERE message_id = ANY($1::text[])', [
          ids.filter((id) => id && !id.includes('\u0000')),
        ]);
        const storedBy = new Map(rows.map((r) => [r.message_id, r.body] as const));
        const repairedAt = new Set(repairs.map((r) => r.index));
        // both lists name an event by its messageId as sent, so the sender can match it
        for (const r of [...rejected, ...repairs]) {
          const value = parsed[r.index];
          expect(r.messageId).toBe(isObject(value) && typeof value.messageId === 'string' ? value.messageId : undefined);
        }
        for (const [index, value] of parsed.entries()) {
          if (rejectedAt.has(index)) {
            rejectedEvents++;
            if (ids[index]) expect(storedBy.has(ids[index]!), `rejected item ${index} is not stored`).toBe(false);
            expect(repairedAt.has(index)).toBe(false);
            continue;
          }
          expect(mustRefuse(value), `item ${index} should have been refused: ${itemTexts[index]!.slice(0, 200)}`).toBeUndefined();
          const checked = withoutCredentials(value as { [key: string]: Json });
          expect(storedBy.get(ids[index]!), `item ${index} is stored as sent, repaired`).toEqual(repaired(checked));
          expect(repairedAt.has(index), `item ${index} is listed under repaired iff it had a lone surrogate`).toBe(hasLoneSurrogate(checked));
          storedEvents++;
          if (repairedAt.has(index)) repairedEvents++;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(ctx.errors).toEqual([]);
    // the generators must reach every outcome, or the property proves little
    expect(requests).toBe(RUNS);
    expect(storedEvents).toBeGreaterThan(RUNS / 4);
    expect(repairedEvents).toBeGreaterThan(0);
    expect(rejectedEvents).toBeGreaterThan(RUNS / 4);
  });
});
