/**
 * Events as the tracker builds them (page, track, commerce, identify with hashed links, alias), for the format
 * conformance tests. Imports: schema types.
 */
import type { TouchpointEvent } from '../../../src/schema/event';

let n = 0;
const id = () => `6f1c2b9e-0d4a-4c7e-9a1b-${String(++n).padStart(12, '0')}`;

const context = {
  page: { url: 'https://shop.example/p/a-1?utm_source=news', path: '/p/a-1', referrer: 'https://www.google.com/', title: 'Shoe A-1', search: '?utm_source=news' },
  campaign: { source: 'news', medium: 'email', name: 'spring' },
  channel: 'Email',
  channelRules: '1',
  locale: 'de-DE',
  screen: { width: 1280, height: 800, density: 2 },
  library: { name: 'touchpoint', version: '0.1.0' },
  consent: { policyVersion: '2024-05', categories: ['necessary', 'analytics'] },
  session: { id: 's-1', start: true },
};

const base = (over: Partial<TouchpointEvent>) =>
  ({ messageId: id(), anonymousId: 'anon-1', timestamp: '2024-05-01T10:00:00.000Z', context, ...over }) as TouchpointEvent;

/** One of each kind of event the tracker sends. */
export function sampleEvents(): TouchpointEvent[] {
  return [
    base({ type: 'page', name: 'Shoe A-1', properties: { url: context.page.url, path: '/p/a-1' } }),
    base({ type: 'track', event: 'newsletter_signed_up', properties: { list: 'weekly', ok: true, n: 3 } }),
    base({ type: 'track', event: 'product_viewed', properties: { product_id: 'A-1', name: 'Shoe', category: 'Shoes/Sneakers', price: 59.9, currency: 'EUR' } }),
    base({ type: 'track', event: 'product_added', properties: { product_id: 'A-1', category: 'Shoes', price: 59.9, currency: 'EUR', quantity: 2, cart_id: 'c1' } }),
    base({
      type: 'track',
      event: 'order_completed',
      userId: 'u-42',
      properties: {
        order_id: 'o-1', revenue: 119.8, tax: 19.13, shipping: 0, currency: 'EUR', payment_method: 'card',
        products: [{ product_id: 'A-1', category: 'Shoes', price: 59.9, quantity: 2 }],
      },
    }),
    base({ type: 'track', event: 'product_viewed', properties: { product_id: 'B-2' } }), // too few facts for the Snowplow product schema
    base({
      type: 'identify',
      userId: 'u-42',
      traits: { plan: 'gold', first_name: 'Ana' },
      identities: [{ type: 'email', value: 'a'.repeat(64), hashed: true }, { type: 'loyalty_id', value: 'L-7', hashed: false }],
    }),
    base({ type: 'alias', userId: 'u-42', previousId: 'anon-1' }),
    base({ type: 'track', event: 'ümlaut_event', anonymousId: null, userId: 'u-42', properties: { text: 'Grüße, 東京 🚀' } }),
  ];
}
