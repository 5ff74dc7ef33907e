/**
 * Commerce helpers: the documented e-commerce event catalogue (Segment e-commerce v2 names) as typed functions that
 * check the minimal facts cheaply before tracking. Imports: nothing. Never tracks bad input and never throws.
 * Spec: https://segment.com/docs/connections/spec/ecommerce/v2/
 */

/** One product, as in every product event and in `products[]` (Segment v2 field names; custom keys are kept). */
export interface Product {
  product_id?: string;
  sku?: string;
  category?: string;
  name?: string;
  brand?: string;
  variant?: string;
  /** Unit price, a finite non-negative number in `currency`. */
  price?: number;
  /** Units, a finite non-negative number. */
  quantity?: number;
  coupon?: string;
  /** 1-based position in a list. */
  position?: number;
  url?: string;
  image_url?: string;
  /** ISO 4217 code such as "EUR"; required with `value`. */
  currency?: string;
  value?: number;
  [key: string]: unknown;
}

/** A product added to or removed from a cart. */
export interface CartProduct extends Product {
  cart_id?: string;
}

/** A product added to a wishlist. */
export interface WishlistProduct extends Product {
  wishlist_id?: string;
  wishlist_name?: string;
}

/** A list of products seen together (category page, search results, recommendations). */
export interface ProductList {
  list_id?: string;
  category?: string;
  products: Product[];
  [key: string]: unknown;
}

/** The contents of a cart. */
export interface Cart {
  cart_id?: string;
  products: Product[];
  [key: string]: unknown;
}

/** An order or a checkout; amounts are finite non-negative numbers in `currency`, which is required with any of value, revenue, total, subtotal. */
export interface Order {
  order_id?: string;
  checkout_id?: string;
  affiliation?: string;
  /** Total after discounts, with shipping and tax. */
  total?: number;
  subtotal?: number;
  /** Revenue attributed to the order (without shipping and tax). */
  revenue?: number;
  value?: number;
  shipping?: number;
  tax?: number;
  discount?: number;
  coupon?: string;
  /** ISO 4217 code such as "EUR". */
  currency?: string;
  products?: Product[];
  [key: string]: unknown;
}

/** An order that exists: its `order_id` is required. */
export interface PlacedOrder extends Order {
  order_id: string;
}

/** A numbered checkout step. */
export interface CheckoutStep {
  checkout_id?: string;
  /** 1-based, a positive integer. */
  step: number;
  shipping_method?: string;
  payment_method?: string;
  [key: string]: unknown;
}

/** Payment or shipping details entered during checkout. */
export interface CheckoutInfo {
  checkout_id?: string;
  order_id?: string;
  step?: number;
  shipping_method?: string;
  payment_method?: string;
  [key: string]: unknown;
}

/** A coupon applied or removed; `coupon_id` or `coupon_name` is required. */
export interface Coupon {
  order_id?: string;
  cart_id?: string;
  coupon_id?: string;
  coupon_name?: string;
  discount?: number;
  [key: string]: unknown;
}

/** An internal promotion (banner, teaser); `promotion_id` or `name` is required. */
export interface Promotion {
  promotion_id?: string;
  creative?: string;
  name?: string;
  position?: string;
  [key: string]: unknown;
}

/** A product search. */
export interface ProductSearch {
  query: string;
  [key: string]: unknown;
}

/**
 * The commerce event catalogue. Required facts are checked before tracking; every amount (price, quantity, value,
 * revenue, total, subtotal, shipping, tax, discount) must be a finite non-negative number, `currency` an ISO 4217 code
 * (upper-cased when sent) and required with value, revenue, total or subtotal; `products`, when given, is an array whose
 * items each have `product_id` or `sku`.
 *
 * | Event                   | Helper                | When                                   | Required                   | Properties        |
 * |-------------------------|-----------------------|----------------------------------------|----------------------------|-------------------|
 * | products_searched       | productsSearched      | a product search was run               | query                      | ProductSearch     |
 * | product_list_viewed     | productListViewed     | a category or result list was shown    | products[]                 | ProductList       |
 * | product_clicked         | productClicked        | a product in a list was clicked        | product_id or sku          | Product           |
 * | product_viewed          | productViewed         | a product detail page was shown        | product_id or sku          | Product           |
 * | product_added           | productAdded          | a product was added to the cart        | product_id or sku          | CartProduct       |
 * | product_removed         | productRemoved        | a product was removed from the cart    | product_id or sku          | CartProduct       |
 * | cart_viewed             | cartViewed            | the cart was shown                     | products[]                 | Cart              |
 * | checkout_started        | checkoutStarted       | checkout began                         | —                          | Order             |
 * | checkout_step_viewed    | checkoutStepViewed    | a checkout step was shown              | step                       | CheckoutStep      |
 * | checkout_step_completed | checkoutStepCompleted | a checkout step was completed          | step                       | CheckoutStep      |
 * | payment_info_entered    | paymentInfoEntered    | payment details were entered           | —                          | CheckoutInfo      |
 * | shipping_info_entered   | shippingInfoEntered   | shipping details were entered          | —                          | CheckoutInfo      |
 * | coupon_applied          | couponApplied         | a coupon was accepted                  | coupon_id or coupon_name   | Coupon            |
 * | coupon_removed          | couponRemoved         | a coupon was removed                   | coupon_id or coupon_name   | Coupon            |
 * | order_completed         | orderCompleted        | an order was placed                    | order_id                   | PlacedOrder       |
 * | order_updated           | orderUpdated          | a placed order changed                 | order_id                   | PlacedOrder       |
 * | order_refunded          | orderRefunded         | an order was refunded, fully or partly | order_id                   | PlacedOrder       |
 * | order_cancelled         | orderCancelled        | an order was cancelled                 | order_id                   | PlacedOrder       |
 * | wishlist_product_added  | wishlistProductAdded  | a product was added to a wishlist      | product_id or sku          | WishlistProduct   |
 * | promotion_viewed        | promotionViewed       | an internal promotion was shown        | promotion_id or name       | Promotion         |
 * | promotion_clicked       | promotionClicked      | an internal promotion was clicked      | promotion_id or name       | Promotion         |
 *
 * @example
 * COMMERCE_EVENTS.includes('order_completed'); // true
 */
export const COMMERCE_EVENTS = (
  'products_searched product_list_viewed product_clicked product_viewed product_added product_removed cart_viewed ' +
  'checkout_started checkout_step_viewed checkout_step_completed payment_info_entered shipping_info_entered coupon_applied ' +
  'coupon_removed order_completed order_updated order_refunded order_cancelled wishlist_product_added promotion_viewed promotion_clicked'
).split(' ') as readonly CommerceEvent[];

/** One commerce event name. */
export type CommerceEvent = keyof CommerceProperties;

/** The properties each commerce event takes. */
export interface CommerceProperties {
  products_searched: ProductSearch;
  product_list_viewed: ProductList;
  product_clicked: Product;
  product_viewed: Product;
  product_added: CartProduct;
  product_removed: CartProduct;
  cart_viewed: Cart;
  checkout_started: Order;
  checkout_step_viewed: CheckoutStep;
  checkout_step_completed: CheckoutStep;
  payment_info_entered: CheckoutInfo;
  shipping_info_entered: CheckoutInfo;
  coupon_applied: Coupon;
  coupon_removed: Coupon;
  order_completed: PlacedOrder;
  order_updated: PlacedOrder;
  order_refunded: PlacedOrder;
  order_cancelled: PlacedOrder;
  wishlist_product_added: WishlistProduct;
  promotion_viewed: Promotion;
  promotion_clicked: Promotion;
}

/** Typed helpers, one per catalogue event; each returns `true` when tracked and `false` (with a warning) on bad input. */
export interface Commerce {
  /** products_searched: a product search was run; needs `query`. */
  productsSearched(p: ProductSearch): boolean;
  /** product_list_viewed: a category or result list was shown; needs `products[]`. */
  productListViewed(list: ProductList): boolean;
  /** product_clicked: a product in a list was clicked; needs `product_id` or `sku`. */
  productClicked(p: Product): boolean;
  /** product_viewed: a product detail page was shown; needs `product_id` or `sku`. */
  productViewed(p: Product): boolean;
  /** product_added: a product was added to the cart; needs `product_id` or `sku`. */
  productAdded(p: CartProduct): boolean;
  /** product_removed: a product was removed from the cart; needs `product_id` or `sku`. */
  productRemoved(p: CartProduct): boolean;
  /** cart_viewed: the cart was shown; needs `products[]`. */
  cartViewed(cart: Cart): boolean;
  /** checkout_started: checkout began. */
  checkoutStarted(order: Order): boolean;
  /** checkout_step_viewed: a checkout step was shown; needs `step`. */
  checkoutStepViewed(x: CheckoutStep): boolean;
  /** checkout_step_completed: a checkout step was completed; needs `step`. */
  checkoutStepCompleted(x: CheckoutStep): boolean;
  /** payment_info_entered: payment details were entered. */
  paymentInfoEntered(x: CheckoutInfo): boolean;
  /** shipping_info_entered: shipping details were entered. */
  shippingInfoEntered(x: CheckoutInfo): boolean;
  /** coupon_applied: a coupon was accepted; needs `coupon_id` or `coupon_name`. */
  couponApplied(x: Coupon): boolean;
  /** coupon_removed: a coupon was removed; needs `coupon_id` or `coupon_name`. */
  couponRemoved(x: Coupon): boolean;
  /** order_completed: an order was placed; needs `order_id`. */
  orderCompleted(order: PlacedOrder): boolean;
  /** order_updated: a placed order changed; needs `order_id`. */
  orderUpdated(order: PlacedOrder): boolean;
  /** order_refunded: an order was refunded, fully or partly; needs `order_id`. */
  orderRefunded(x: PlacedOrder): boolean;
  /** order_cancelled: an order was cancelled; needs `order_id`. */
  orderCancelled(x: PlacedOrder): boolean;
  /** wishlist_product_added: a product was added to a wishlist; needs `product_id` or `sku`. */
  wishlistProductAdded(p: WishlistProduct): boolean;
  /** promotion_viewed: an internal promotion was shown; needs `promotion_id` or `name`. */
  promotionViewed(x: Promotion): boolean;
  /** promotion_clicked: an internal promotion was clicked; needs `promotion_id` or `name`. */
  promotionClicked(x: Promotion): boolean;
}

type P = Record<string, unknown>;

const PRODUCT = ['product_id', 'sku'];
const KEYS: Record<string, string[]> = { q: ['query'], p: PRODUCT, c: ['coupon_id', 'coupon_name'], o: ['order_id'], m: ['promotion_id', 'name'] };
// what each event needs, in COMMERCE_EVENTS order: one of KEYS[c], l = a products array, s = a step, - = nothing more
const NEEDS = 'qlppppl-ss--ccoooopmm';
// the last four are worth amounts, which need a currency
const AMOUNTS = 'price quantity shipping tax discount value revenue total subtotal'.split(' ');

const isObject = (v: unknown): v is P => typeof v == 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown): boolean => (typeof v == 'string' ? v.trim() != '' : typeof v == 'number' && isFinite(v));
const oneOf = (p: P, keys?: string[]): string | undefined => (keys && !keys.some((k) => present(p[k])) ? keys.join(' or ') + ' is required' : undefined);
const badAmount = (p: P): string | undefined => {
  const k = AMOUNTS.find((k) => p[k] !== undefined && !(typeof p[k] == 'number' && isFinite(p[k] as number) && (p[k] as number) >= 0));
  return k && k + ' must be a finite non-negative number';
};

/** Why `p` is not valid for an event that needs `need` (a NEEDS code), or undefined when it is. */
function problem(need: string, p: unknown): string | undefined {
  if (!isObject(p)) return 'properties must be an object';
  const { currency, products, step } = p;
  const worth = AMOUNTS.slice(5).find((k) => p[k] !== undefined);
  let why: string | false | undefined =
    badAmount(p) ||
    (currency === undefined
      ? worth && 'currency is required with ' + worth
      : !(typeof currency == 'string' && /^[a-z]{3}$/i.test(currency)) && 'currency must be an ISO 4217 code such as "EUR"') ||
    ((need == 's' || step !== undefined) && !(Number.isInteger(step) && (step as number) > 0) && 'step must be a positive integer');
  if (why) return why;
  if (need == 'l' || products !== undefined) {
    if (!Array.isArray(products)) return 'products must be an array';
    for (let i = 0; i < products.length; i++) {
      const item: unknown = products[i];
      if ((why = isObject(item) ? oneOf(item, PRODUCT) || badAmount(item) : 'must be an object')) return `products[${i}]: ${why}`;
    }
  }
  return oneOf(p, KEYS[need]);
}

/**
 * Typed helpers for the commerce event catalogue ({@link COMMERCE_EVENTS}), each checking its event's required facts.
 *
 * @param track - Tracks one event; called only with valid properties (currency upper-cased).
 * @param warn - Told why an event was not tracked, as "<event>: <reason>".
 * @returns One helper per event; each returns `true` when tracked, `false` when the input was rejected.
 * @example
 * const commerce = createCommerce((event, properties) => tracker.track(event, properties), console.warn);
 * commerce.orderCompleted({ order_id: 'A-1001', total: 59.8, currency: 'EUR', products: [{ sku: 'TEE-M', price: 29.9, quantity: 2 }] }); // true
 * commerce.productViewed({ name: 'T-shirt' }); // false, warns "product_viewed: product_id or sku is required"
 */
export function createCommerce(track: (event: string, properties: Record<string, unknown>) => void, warn?: (reason: string) => void): Commerce {
  const helpers: Record<string, (p: unknown) => boolean> = {};
  COMMERCE_EVENTS.forEach((event, i) => {
    helpers[event.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())] = (p) => {
      const why = problem(NEEDS[i], p);
      const c = (p as P)?.currency as string | undefined;
      if (why) warn && warn(event + ': ' + why);
      // a valid currency is a three-letter string
      else track(event, c ? { ...(p as P), currency: c.toUpperCase() } : (p as P));
      return !why;
    };
  });
  return helpers as unknown as Commerce;
}
