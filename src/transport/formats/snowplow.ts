/**
 * Snowplow tracker protocol v2: `POST <url>/com.snowplowanalytics.snowplow/tp2` with a `payload_data` body whose
 * every value is a string. Page views are `pv`; commerce events become Snowplow e-commerce actions with product and
 * transaction entities when their facts fit those schemas; every other event is a self-describing `ue` under
 * `iglu:<vendor>/<type>/jsonschema/1-0-0` (vendor `dev.touchpoint` by default). Lazy chunk. Imports: format types.
 * Never sends. Spec: https://docs.snowplow.io/docs/sources/trackers/snowplow-tracker-protocol/
 */
import type { TouchpointEvent } from '../../schema/event';
import { endpoint } from './touchpoint';
import type { DestinationConfig, FormatAdapter, FormatRequest } from './types';

export const PAYLOAD_DATA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
export const UNSTRUCT_EVENT = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0';
export const CONTEXTS = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0';
const ECOMMERCE = 'iglu:com.snowplowanalytics.snowplow.ecommerce/';
export const ECOMMERCE_ACTION = ECOMMERCE + 'snowplow_ecommerce_action/jsonschema/1-0-2';
export const PRODUCT_ENTITY = ECOMMERCE + 'product/jsonschema/1-0-0';
export const TRANSACTION_ENTITY = ECOMMERCE + 'transaction/jsonschema/1-0-0';

type Json = Record<string, unknown>;
type Entity = { schema: string; data: Json };

/** Touchpoint (Segment v2) commerce events and the Snowplow e-commerce action each is. */
const ACTIONS: Record<string, string> = {
  product_viewed: 'product_view',
  product_added: 'add_to_cart',
  product_removed: 'remove_from_cart',
  product_list_viewed: 'list_view',
  product_clicked: 'list_click',
  order_completed: 'transaction',
};

const money = (v: unknown) => (typeof v == 'number' && Number.isFinite(v) && v >= 0 && v <= 9_999_999 ? Math.round(v * 100) / 100 : undefined);
const currencyOf = (v: unknown) => (typeof v == 'string' && /^[A-Za-z]{3}$/.test(v) ? v.toUpperCase() : undefined);
const str = (v: unknown, max: number) => (typeof v == 'string' && v ? v.slice(0, max) : typeof v == 'number' ? String(v) : undefined);
const drop = (o: Json) => {
  for (const k in o) if (o[k] === undefined) delete o[k];
  return o;
};

/** A product as the Snowplow product entity, or undefined when it lacks what that schema requires (id, category, price, currency). */
function productEntity(p: Json, currency?: string): Entity | undefined {
  const id = str(p.product_id ?? p.sku ?? p.id, 4096);
  const price = money(p.price);
  const cur = currencyOf(p.currency) || currency;
  const category = str(p.category, 4096);
  if (!id || price === undefined || !cur || !category) return undefined;
  const int = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 9_999_999 ? v : undefined);
  return {
    schema: PRODUCT_ENTITY,
    data: drop({ id, name: str(p.name, 4096), category, price, currency: cur, quantity: int(p.quantity), variant: str(p.variant, 256), brand: str(p.brand, 256), position: int(p.position) }),
  };
}

/** The e-commerce action and entities of a commerce event, or undefined when its facts do not fit the schemas. */
function commerce(e: TouchpointEvent): { event: Entity; entities: Entity[] } | undefined {
  const type = ACTIONS[e.event || ''];
  const p = (e.properties || {}) as Json;
  if (!type) return undefined;
  const currency = currencyOf(p.currency);
  const list = Array.isArray(p.products) ? (p.products as Json[]) : type == 'transaction' || type == 'list_view' ? [] : [p];
  const products = list.map((x) => productEntity(x || {}, currency));
  if (products.some((x) => !x)) return undefined;
  const entities = products as Entity[];
  const action: Json = { type };
  if (type == 'list_view' || type == 'list_click') action.name = str(p.list_id ?? p.category ?? p.list_name, 128) ?? null;
  if (type == 'transaction') {
    const revenue = money(p.revenue ?? p.total ?? p.value);
    const id = str(p.order_id, 4096);
    if (!id || revenue === undefined || !currency) return undefined;
    const quantity = list.reduce((n, x) => n + (Number.isInteger(x?.quantity) ? (x.quantity as number) : 1), 0);
    entities.push({
      schema: TRANSACTION_ENTITY,
      data: drop({ transaction_id: id, revenue, currency, payment_method: str(p.payment_method, 128) || 'unknown', total_quantity: quantity, tax: money(p.tax), shipping: money(p.shipping), discount_code: str(p.coupon, 99), discount_amount: money(p.discount) }),
    });
  }
  return { event: { schema: ECOMMERCE_ACTION, data: action }, entities };
}

/** UTF-8 → base64url without padding, as `ue_px` and `cx` carry it. */
function base64url(s: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const ms = (iso: string | undefined) => (iso ? String(Date.parse(iso)) : undefined);

/**
 * One Touchpoint event as a `payload_data` item: only the protocol's keys, every value a string.
 * @param vendor - Iglu vendor of the self-describing events Touchpoint defines (track, identify, alias, group)
 */
export function toSnowplowPayload(e: TouchpointEvent, o: { sentAt: string; appId: string; version: string; vendor: string; base64: boolean }): Record<string, string> {
  const c = e.context || {};
  const page = c.page || {};
  const out: Record<string, string | undefined> = {
    tv: 'touchpoint-' + o.version,
    tna: 'touchpoint',
    aid: o.appId,
    p: 'web',
    eid: e.messageId,
    dtm: ms(e.timestamp),
    stm: ms(o.sentAt),
    duid: e.anonymousId || undefined,
    uid: e.userId || undefined,
    sid: c.session?.id,
    url: page.url,
    refr: page.referrer || undefined,
    page: page.title,
    lang: c.locale,
    res: c.screen ? c.screen.width + 'x' + c.screen.height : undefined,
    cs: 'UTF-8',
  };
  const entities: Entity[] = [];
  let event: Entity | undefined;
  if (e.type == 'page') out.e = 'pv';
  else {
    out.e = 'ue';
    const shop = e.type == 'track' ? commerce(e) : undefined;
    if (shop) (event = shop.event), entities.push(...shop.entities);
    else {
      const data = drop({ event: e.event, name: e.name, properties: e.properties, traits: e.traits, identities: e.identities, previousId: e.previousId, groupId: e.groupId });
      event = { schema: `iglu:${o.vendor}/${e.type}/jsonschema/1-0-0`, data };
    }
  }
  // what Snowplow has no field for (channel, campaign, consent) travels as one entity
  const extra = drop({ channel: c.channel, campaign: c.campaign, consent: c.consent, dropped: c.outbox?.dropped });
  if (Object.keys(extra).length) entities.push({ schema: `iglu:${o.vendor}/context/jsonschema/1-0-0`, data: extra });
  const put = (plain: string, coded: string, value: unknown) => {
    const json = JSON.stringify(value);
    if (o.base64) out[coded] = base64url(json);
    else out[plain] = json;
  };
  if (event) put('ue_pr', 'ue_px', { schema: UNSTRUCT_EVENT, data: event });
  if (entities.length) put('co', 'cx', { schema: CONTEXTS, data: entities });
  return drop(out) as Record<string, string>;
}

/**
 * Creates the Snowplow format (`url` is the collector, e.g. `https://collector.example.com`).
 * @example createFormat({ format: 'snowplow', url: 'https://sp.example.com', appId: 'shop' }, '1.0.0')
 */
export function createFormat(d: DestinationConfig, version: string): FormatAdapter {
  // checked here rather than in core: the check loads only with the format
  if (!d.url) throw new Error('a snowplow destination needs url');
  const url = endpoint(d.url || '', '/com.snowplowanalytics.snowplow/tp2');
  const o = { appId: d.appId || 'touchpoint', version, vendor: d.vendor || 'dev.touchpoint', base64: !!d.base64 };
  return {
    gzip: !!d.gzip,
    unload: true,
    encode: (events, { sentAt }): FormatRequest => ({
      url,
      headers: { 'Content-Type': 'application/json; charset=UTF-8' },
      body: { schema: PAYLOAD_DATA, data: events.map((e) => toSnowplowPayload(e, { ...o, sentAt })) },
    }),
  };
}
