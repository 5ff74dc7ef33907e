import { beforeEach, describe, expect, it } from 'vitest';
import { COMMERCE_EVENTS, createCommerce, type Commerce, type CommerceEvent } from '../../../src/capture/commerce';

let tracked: { event: string; properties: Record<string, unknown> }[];
let warnings: string[];
let commerce: Commerce;

beforeEach(() => {
  tracked = [];
  warnings = [];
  commerce = createCommerce((event, properties) => tracked.push({ event, properties }), (reason) => warnings.push(reason));
});

const tee = { product_id: 'p-1', sku: 'TEE-M', name: 'T-shirt', brand: 'Acme', category: 'Shirts', variant: 'M', price: 29.9, quantity: 1, position: 3, url: 'https://shop.example/p/tee', image_url: 'https://shop.example/tee.jpg' };

/** Calls a helper, expects it to be rejected with `reason`, and nothing tracked. */
function rejects(call: () => boolean, reason: string) {
  expect(call()).toBe(false);
  expect(tracked).toEqual([]);
  expect(warnings).toEqual([reason]);
  warnings = [];
}

describe('catalogue', () => {
  it('lists the documented events, snake_case object then past-tense action', () => {
    expect(COMMERCE_EVENTS).toHaveLength(21);
    for (const e of COMMERCE_EVENTS) expect(e).toMatch(/^[a-z]+(_[a-z]+)+$/);
    expect(COMMERCE_EVENTS).toContain('order_completed');
    expect(new Set(COMMERCE_EVENTS).size).toBe(21);
  });

  it('has one camelCase helper per event that tracks that event', () => {
    const valid: Record<CommerceEvent, Record<string, unknown>> = {
      products_searched: { query: 'shoes' },
      product_list_viewed: { list_id: 'shirts', products: [tee] },
      product_clicked: tee,
      product_viewed: tee,
      product_added: { ...tee, cart_id: 'c1' },
      product_removed: { ...tee, cart_id: 'c1' },
      cart_viewed: { cart_id: 'c1', products: [tee] },
      checkout_started: { checkout_id: 'k1', value: 29.9, currency: 'EUR', products: [tee] },
      checkout_step_viewed: { checkout_id: 'k1', step: 1 },
      checkout_step_completed: { checkout_id: 'k1', step: 1, shipping_method: 'dhl' },
      payment_info_entered: { checkout_id: 'k1', payment_method: 'card' },
      shipping_info_entered: { checkout_id: 'k1', shipping_method: 'dhl' },
      coupon_applied: { coupon_id: 'SPRING10', discount: 3 },
      coupon_removed: { coupon_name: 'Spring' },
      order_completed: { order_id: 'A-1', total: 29.9, currency: 'EUR', products: [tee] },
      order_updated: { order_id: 'A-1', total: 19.9, currency: 'EUR' },
      order_refunded: { order_id: 'A-1', total: 29.9, currency: 'EUR' },
      order_cancelled: { order_id: 'A-1' },
      wishlist_product_added: { ...tee, wishlist_id: 'w1' },
      promotion_viewed: { promotion_id: 'hero', creative: 'banner-1', position: 'home_top' },
      promotion_clicked: { name: 'Spring sale' },
    };
    const helpers = commerce as unknown as Record<string, (p: unknown) => boolean>;
    expect(Object.keys(helpers)).toHaveLength(21);
    for (const event of COMMERCE_EVENTS) {
      const helper = event.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
      expect(helpers[helper](valid[event])).toBe(true);
      expect(tracked.at(-1)).toEqual({ event, properties: valid[event] });
    }
    expect(warnings).toEqual([]);
  });
});

describe('product events', () => {
  it('track with product_id or sku alone', () => {
    expect(commerce.productViewed({ product_id: 'p-1' })).toBe(true);
    expect(commerce.productAdded({ sku: 'TEE-M', quantity: 2, cart_id: 'c1' })).toBe(true);
    expect(tracked.map((t) => t.event)).toEqual(['product_viewed', 'product_added']);
    expect(tracked[1].properties).toEqual({ sku: 'TEE-M', quantity: 2, cart_id: 'c1' });
  });

  it('reject a product without product_id or sku', () => {
    rejects(() => commerce.productViewed({ name: 'T-shirt' }), 'product_viewed: product_id or sku is required');
    rejects(() => commerce.productRemoved({ product_id: '  ' }), 'product_removed: product_id or sku is required');
    rejects(() => commerce.wishlistProductAdded({ wishlist_id: 'w' }), 'wishlist_product_added: product_id or sku is required');
    rejects(() => commerce.productClicked({}), 'product_clicked: product_id or sku is required');
  });

  it('reject a price or quantity that is negative, not finite or not a number', () => {
    rejects(() => commerce.productAdded({ sku: 'x', price: -1 }), 'product_added: price must be a finite non-negative number');
    rejects(() => commerce.productAdded({ sku: 'x', price: Number.NaN }), 'product_added: price must be a finite non-negative number');
    rejects(() => commerce.productAdded({ sku: 'x', quantity: Infinity }), 'product_added: quantity must be a finite non-negative number');
    rejects(() => commerce.productAdded({ sku: 'x', price: '9.99' as unknown as number }), 'product_added: price must be a finite non-negative number');
  });

  it('accept a zero price (free sample) and a numeric id from plain JavaScript', () => {
    expect(commerce.productAdded({ sku: 'sample', price: 0, quantity: 1 })).toBe(true);
    expect(commerce.productViewed({ product_id: 1001 as unknown as string })).toBe(true);
  });

  it('require a currency with value', () => {
    rejects(() => commerce.productViewed({ sku: 'x', value: 10 }), 'product_viewed: currency is required with value');
    expect(commerce.productViewed({ sku: 'x', value: 10, currency: 'USD' })).toBe(true);
  });
});

describe('lists and carts', () => {
  it('need a products array whose items each have product_id or sku', () => {
    rejects(() => commerce.productListViewed({ list_id: 'l' } as never), 'product_list_viewed: products must be an array');
    rejects(() => commerce.cartViewed({ products: [tee, { name: 'nameless' }] }), 'cart_viewed: products[1]: product_id or sku is required');
    rejects(() => commerce.cartViewed({ products: [null as never] }), 'cart_viewed: products[0]: must be an object');
    rejects(() => commerce.cartViewed({ products: [{ sku: 'x', quantity: -2 }] }), 'cart_viewed: products[0]: quantity must be a finite non-negative number');
  });

  it('accept an empty list', () => {
    expect(commerce.cartViewed({ cart_id: 'c', products: [] })).toBe(true);
  });
});

describe('orders', () => {
  it('track a complete order with its Segment v2 fields', () => {
    const order = { order_id: 'A-1001', checkout_id: 'k1', affiliation: 'web', subtotal: 59.8, shipping: 4.9, tax: 11.36, discount: 5, total: 59.7, revenue: 54.8, coupon: 'SPRING', currency: 'EUR', products: [{ ...tee, quantity: 2 }] };
    expect(commerce.orderCompleted(order)).toBe(true);
    expect(tracked).toEqual([{ event: 'order_completed', properties: order }]);
  });

  it('need an order_id', () => {
    rejects(() => commerce.orderCompleted({ total: 10, currency: 'EUR' } as never), 'order_completed: order_id is required');
    rejects(() => commerce.orderRefunded({ order_id: '' }), 'order_refunded: order_id is required');
    rejects(() => commerce.orderCancelled({} as never), 'order_cancelled: order_id is required');
    rejects(() => commerce.orderUpdated({} as never), 'order_updated: order_id is required');
  });

  it('need a currency with revenue, total, subtotal or value', () => {
    rejects(() => commerce.orderCompleted({ order_id: 'A', revenue: 10 }), 'order_completed: currency is required with revenue');
    rejects(() => commerce.orderCompleted({ order_id: 'A', total: 10 }), 'order_completed: currency is required with total');
    rejects(() => commerce.checkoutStarted({ subtotal: 10 }), 'checkout_started: currency is required with subtotal');
    expect(commerce.orderCompleted({ order_id: 'A' })).toBe(true);
    expect(commerce.orderCompleted({ order_id: 'B', shipping: 0 })).toBe(true);
  });

  it('accept only an ISO 4217 code and send it upper-cased', () => {
    rejects(() => commerce.orderCompleted({ order_id: 'A', total: 1, currency: '€' }), 'order_completed: currency must be an ISO 4217 code such as "EUR"');
    rejects(() => commerce.orderCompleted({ order_id: 'A', total: 1, currency: 'EURO' }), 'order_completed: currency must be an ISO 4217 code such as "EUR"');
    const order = { order_id: 'A', total: 1, currency: 'eur' };
    expect(commerce.orderCompleted(order)).toBe(true);
    expect(tracked[0].properties).toEqual({ order_id: 'A', total: 1, currency: 'EUR' });
    expect(order.currency).toBe('eur');
  });

  it('reject negative amounts', () => {
    rejects(() => commerce.orderRefunded({ order_id: 'A', total: -5, currency: 'EUR' }), 'order_refunded: total must be a finite non-negative number');
    rejects(() => commerce.orderCompleted({ order_id: 'A', tax: -1 }), 'order_completed: tax must be a finite non-negative number');
  });
});

describe('checkout steps, coupons, promotions and search', () => {
  it('need a positive integer step', () => {
    rejects(() => commerce.checkoutStepViewed({} as never), 'checkout_step_viewed: step must be a positive integer');
    rejects(() => commerce.checkoutStepCompleted({ step: 0 }), 'checkout_step_completed: step must be a positive integer');
    rejects(() => commerce.paymentInfoEntered({ step: 1.5 }), 'payment_info_entered: step must be a positive integer');
    expect(commerce.shippingInfoEntered({ step: 2, shipping_method: 'ups' })).toBe(true);
    expect(commerce.paymentInfoEntered({ payment_method: 'paypal' })).toBe(true);
  });

  it('need a coupon_id or coupon_name', () => {
    rejects(() => commerce.couponApplied({ discount: 5 }), 'coupon_applied: coupon_id or coupon_name is required');
    expect(commerce.couponRemoved({ coupon_id: 'X' })).toBe(true);
  });

  it('need a promotion_id or name', () => {
    rejects(() => commerce.promotionViewed({ creative: 'banner' }), 'promotion_viewed: promotion_id or name is required');
    expect(commerce.promotionClicked({ promotion_id: 'hero' })).toBe(true);
  });

  it('need a search query', () => {
    rejects(() => commerce.productsSearched({ query: ' ' }), 'products_searched: query is required');
    expect(commerce.productsSearched({ query: 'red shoes' })).toBe(true);
  });
});

describe('bad input from plain JavaScript', () => {
  it('is rejected, never thrown', () => {
    for (const bad of [undefined, null, 'order', 42, [tee]]) {
      rejects(() => commerce.productViewed(bad as never), 'product_viewed: properties must be an object');
    }
  });

  it('works without a warn callback', () => {
    const quiet = createCommerce((e, p) => tracked.push({ event: e, properties: p }));
    expect(quiet.orderCompleted({} as never)).toBe(false);
    expect(tracked).toEqual([]);
  });

  it('keeps custom properties', () => {
    expect(commerce.productViewed({ sku: 'x', in_stock: true })).toBe(true);
    expect(tracked[0].properties).toEqual({ sku: 'x', in_stock: true });
  });
});

// compile-time: the helper names are exactly the camelCased event names
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const helpersMatchCatalogue: Same<keyof Commerce, Camel<CommerceEvent>> = true;
void helpersMatchCatalogue;
