/**
 * The demo shop's behaviour: language switch (DE default, EN), the cart and the login session in localStorage (strictly
 * necessary, so used without consent), and one controller per page that renders it and reports the commerce events
 * through touchpoint.commerce.*, identify on login (again once analytics is granted) and reset on logout; signed in and
 * with personalization consent, the cart started on another device (touchpoint.profile() / on('profile')) to take
 * over. Imports: ./catalog.js. Never reads or writes anything of the SDK's, and never depends on the SDK: every page
 * works when Touchpoint is missing, blocked or rejected.
 */
import { PRODUCTS, CATEGORIES, CURRENCY, COUPONS, findProduct } from './catalog.js';

const KEYS = { cart: 'bb-cart', user: 'bb-user', lang: 'bb-lang', handoff: 'bb-handoff-dismissed' };
const SHIPPING_EUR = 4.9;
const FREE_SHIPPING_FROM_EUR = 50;
const VAT_RATE = 0.19;

const T = {
  de: {
    skip: 'Zum Inhalt springen', products: 'Produkte', cart: 'Warenkorb', login: 'Anmelden', account: 'Konto',
    tagline: 'Kaffee, Tee und alles für die Zubereitung – frisch geröstet in Hamburg.',
    heroTitle: 'Guter Kaffee beginnt zu Hause.',
    heroText: 'Kleine Röstungen, ehrliche Werkzeuge. Versandkostenfrei ab 50 €.',
    all: 'Alle', addToCart: 'In den Warenkorb', added: 'Zum Warenkorb hinzugefügt', details: 'Details',
    quantity: 'Menge', back: '← Alle Produkte', notFound: 'Dieses Produkt gibt es nicht (mehr).',
    inclVat: 'inkl. MwSt., zzgl. Versand', emptyCart: 'Ihr Warenkorb ist leer.', continueShopping: 'Weiter einkaufen',
    remove: 'Entfernen', subtotal: 'Zwischensumme', discount: 'Rabatt', shipping: 'Versand', free: 'kostenlos', total: 'Gesamt',
    vatIncluded: 'darin enthalten 19 % MwSt.', coupon: 'Gutscheincode', apply: 'Einlösen', couponOk: 'Gutschein eingelöst',
    couponBad: 'Dieser Gutschein ist ungültig.', couponHint: 'Tipp: WILLKOMMEN10', toCheckout: 'Zur Kasse',
    checkout: 'Kasse', contact: 'Kontakt & Lieferadresse', name: 'Name', email: 'E-Mail', street: 'Straße und Hausnummer',
    zip: 'PLZ', city: 'Ort', shippingMethod: 'Versandart', standard: 'Standard (2–4 Werktage)', express: 'Express (1 Werktag, +5 €)',
    payment: 'Zahlungsart', invoice: 'Kauf auf Rechnung', card: 'Kreditkarte', sepa: 'SEPA-Lastschrift',
    placeOrder: 'Zahlungspflichtig bestellen', summary: 'Ihre Bestellung', thanks: 'Vielen Dank für Ihre Bestellung!',
    orderNo: 'Bestellnummer', orderText: 'Eine Bestätigung ist unterwegs (im Demo-Shop natürlich nicht wirklich).',
    required: 'Bitte füllen Sie alle Pflichtfelder aus.', loginTitle: 'Anmelden', password: 'Passwort',
    loginHint: 'Demo: jede E-Mail-Adresse und jedes Passwort funktionieren.', signIn: 'Anmelden',
    signedInAs: 'Angemeldet als', logout: 'Abmelden', loggedOut: 'Sie sind abgemeldet.', customerNo: 'Kundennummer', loyaltyNo: 'Kundenkarte',
    privacy: 'Datenschutz-Einstellungen', imprint: 'Impressum', dataPolicy: 'Datenschutzerklärung',
    demoNote: 'Demo-Shop von Touchpoint – keine echten Bestellungen.', dashboard: 'Dashboard',
    nothingHere: 'Seite nicht gefunden', nothingText: 'Diese Seite gibt es nicht.', cartCount: 'Artikel im Warenkorb',
    emailInvalid: 'Bitte geben Sie eine gültige E-Mail-Adresse ein.', language: 'Sprache',
    handoffTitle: 'Ihr Warenkorb von einem anderen Gerät', handoffTake: 'In diesen Warenkorb übernehmen',
    handoffDismiss: 'Nicht jetzt', handoffDone: 'Warenkorb übernommen',
  },
  en: {
    skip: 'Skip to content', products: 'Products', cart: 'Cart', login: 'Sign in', account: 'Account',
    tagline: 'Coffee, tea and everything to brew it – freshly roasted in Hamburg.',
    heroTitle: 'Good coffee starts at home.',
    heroText: 'Small roasts, honest tools. Free shipping from €50.',
    all: 'All', addToCart: 'Add to cart', added: 'Added to cart', details: 'Details',
    quantity: 'Quantity', back: '← All products', notFound: 'This product does not exist (any more).',
    inclVat: 'incl. VAT, plus shipping', emptyCart: 'Your cart is empty.', continueShopping: 'Continue shopping',
    remove: 'Remove', subtotal: 'Subtotal', discount: 'Discount', shipping: 'Shipping', free: 'free', total: 'Total',
    vatIncluded: 'includes 19% VAT', coupon: 'Coupon code', apply: 'Apply', couponOk: 'Coupon applied',
    couponBad: 'This coupon is not valid.', couponHint: 'Hint: WILLKOMMEN10', toCheckout: 'Checkout',
    checkout: 'Checkout', contact: 'Contact & delivery address', name: 'Name', email: 'E-mail', street: 'Street and number',
    zip: 'Postcode', city: 'City', shippingMethod: 'Shipping', standard: 'Standard (2–4 working days)', express: 'Express (1 working day, +€5)',
    payment: 'Payment', invoice: 'Pay by invoice', card: 'Credit card', sepa: 'SEPA direct debit',
    placeOrder: 'Place order', summary: 'Your order', thanks: 'Thank you for your order!',
    orderNo: 'Order number', orderText: 'A confirmation is on its way (not really – this is a demo shop).',
    required: 'Please fill in all required fields.', loginTitle: 'Sign in', password: 'Password',
    loginHint: 'Demo: any e-mail address and any password work.', signIn: 'Sign in',
    signedInAs: 'Signed in as', logout: 'Sign out', loggedOut: 'You are signed out.', customerNo: 'Customer number', loyaltyNo: 'Loyalty card',
    privacy: 'Privacy settings', imprint: 'Imprint', dataPolicy: 'Privacy policy',
    demoNote: 'Touchpoint demo shop – no real orders.', dashboard: 'Dashboard',
    nothingHere: 'Page not found', nothingText: 'This page does not exist.', cartCount: 'items in cart',
    emailInvalid: 'Please enter a valid e-mail address.', language: 'Language',
    handoffTitle: 'Your cart from another device', handoffTake: 'Move into this cart',
    handoffDismiss: 'Not now', handoffDone: 'Cart taken over',
  },
};

// ---------- small helpers ----------

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const round2 = (n) => Math.round(n * 100) / 100;

function readJson(key, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? 'null');
    return v ?? fallback;
  } catch {
    return fallback; // storage blocked or corrupt: the shop still works for this page
  }
}
function writeJson(key, value) {
  try {
    if (value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage blocked: keep going in memory */
  }
}
const randomId = (prefix, n = 8) => {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return prefix + [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
};

/** Language: stored choice, else DE. */
export const lang = () => (readJson(KEYS.lang, 'de') === 'en' ? 'en' : 'de');
const t = (key) => T[lang()][key] ?? T.de[key] ?? key;
const money = (n) => new Intl.NumberFormat(lang() === 'de' ? 'de-DE' : 'en-IE', { style: 'currency', currency: CURRENCY }).format(n);
const pname = (p) => p.name[lang()];

/**
 * Runs `fn(touchpoint)` once the SDK is ready; nothing happens when it never loads. The snippet's stub queues `ready`,
 * so this works from the first line; `touchpoint.commerce` exists only on the loaded SDK, hence the wait.
 */
function tp(fn) {
  try {
    const stub = window.touchpoint;
    if (!stub || typeof stub.ready !== 'function') return;
    stub.ready(() => {
      try {
        fn(window.touchpoint);
      } catch (e) {
        console.warn('[shop] tracking call failed', e);
      }
    });
  } catch {
    /* tracking is never allowed to break the shop */
  }
}

/** A product as the commerce catalogue wants it (Segment v2 names). */
const productProps = (p, extra = {}) => ({
  product_id: p.id,
  sku: p.sku,
  name: p.name.de,
  category: p.category,
  brand: 'Bohne & Becher',
  price: p.price,
  currency: CURRENCY,
  url: `${location.origin}/product?id=${encodeURIComponent(p.id)}`,
  ...extra,
});

// ---------- cart and session (strictly necessary storage) ----------

function getCart() {
  const c = readJson(KEYS.cart, null);
  const cart = c && Array.isArray(c.items) ? c : { id: randomId('cart-'), items: [], coupon: null };
  cart.items = cart.items.filter((i) => findProduct(i.id) && Number.isInteger(i.qty) && i.qty > 0);
  return cart;
}
const saveCart = (cart) => (writeJson(KEYS.cart, cart), renderCartCount(), renderHandoff());

function cartTotals(cart, shippingMethod = 'standard') {
  const lines = cart.items.map((i) => ({ ...i, product: findProduct(i.id), sum: round2(findProduct(i.id).price * i.qty) }));
  const subtotal = round2(lines.reduce((s, l) => s + l.sum, 0));
  const rate = cart.coupon ? COUPONS[cart.coupon] ?? 0 : 0;
  const discount = round2(subtotal * rate);
  const afterDiscount = round2(subtotal - discount);
  let shipping = lines.length && afterDiscount < FREE_SHIPPING_FROM_EUR ? SHIPPING_EUR : 0;
  if (lines.length && shippingMethod === 'express') shipping = round2(shipping + 5);
  const total = round2(afterDiscount + shipping);
  const tax = round2(total - total / (1 + VAT_RATE));
  // revenue: goods after discount, without shipping and VAT
  return { lines, subtotal, discount, shipping, total, tax, revenue: round2(afterDiscount / (1 + VAT_RATE)) };
}
const cartProducts = (cart) => cart.items.map((i, n) => productProps(findProduct(i.id), { quantity: i.qty, position: n + 1 }));

export function addToCart(id, qty = 1) {
  const p = findProduct(id);
  if (!p) return;
  const cart = getCart();
  const line = cart.items.find((i) => i.id === id);
  if (line) line.qty = Math.min(line.qty + qty, 99);
  else cart.items.push({ id, qty });
  saveCart(cart);
  tp((touchpoint) => touchpoint.commerce.productAdded(productProps(p, { quantity: qty, cart_id: cart.id })));
  toast(`${t('added')}: ${pname(p)}`);
}

const getUser = () => {
  const u = readJson(KEYS.user, null);
  return u && typeof u.email === 'string' ? u : null;
};

/** A stable customer number from the e-mail (FNV-1a), so the same login is the same user on every device. */
function customerId(email) {
  let h = 0x811c9dc5;
  for (const ch of email.trim().toLowerCase()) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 'cust-' + h.toString(16).padStart(8, '0');
}

/** The demo customer's loyalty card number, derived from the customer number so every device shows the same card. */
const loyaltyId = (id) => 'L-' + (parseInt(id.slice(5), 16) % 90000 + 10000);

/**
 * Tells Touchpoint who signed in: the e-mail leaves the browser only as an identity link, which the SDK hashes; traits
 * carry no raw PII. `user.hash` is the server's proof of the login (identity verification): without it the collector
 * shows this device no profile that holds the customer's identities.
 */
const identifyUser = (touchpoint, user) =>
  touchpoint.identify(user.id, { customer_since: '2024', preferred_language: lang() }, {
    identities: [
      { type: 'email', value: user.email },
      { type: 'customer_id', value: user.id },
      { type: 'loyalty_id', value: loyaltyId(user.id) },
      ...(user.hash ? [{ type: 'user_hash', value: user.hash }] : []),
    ],
  });

/** Signs in at the shop's server, which answers the customer number and its user_hash; offline, the id from the e-mail alone. */
async function shopLogin(email) {
  try {
    const res = await fetch('/shop/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
    const body = res.ok ? await res.json() : undefined;
    if (body && typeof body.userId === 'string' && typeof body.userHash === 'string') return { id: body.userId, email, hash: body.userHash };
  } catch {
    // no shop server (the pages opened from disk): sign in without verification
  }
  return { id: customerId(email), email };
}

/**
 * A login before the consent decision was not sent (nothing is, before it): once analytics is granted — first time, or
 * again after a withdrawal gave the browser a new device id — the signed-in customer is identified again.
 */
function identifyOnGrant() {
  tp((touchpoint) => {
    let analytics = touchpoint.consent.get().granted.includes('analytics');
    touchpoint.on('consent', (state) => {
      const now = Array.isArray(state?.granted) && state.granted.includes('analytics');
      const user = getUser();
      if (now && !analytics && user) identifyUser(touchpoint, user);
      analytics = now;
    });
  });
}

// ---------- layout ----------

function applyTexts() {
  document.documentElement.lang = lang();
  for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of $$('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of $$('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const b of $$('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang()));
  const account = $('[data-account-label]');
  if (account) account.textContent = getUser() ? t('account') : t('login');
}

function renderCartCount() {
  const n = getCart().items.reduce((s, i) => s + i.qty, 0);
  for (const el of $$('[data-cart-count]')) {
    el.textContent = String(n);
    el.hidden = n === 0;
  }
  const link = $('[data-cart-link]');
  if (link) link.setAttribute('aria-label', `${t('cart')}: ${n} ${t('cartCount')}`);
}

let toastTimer;
function toast(text) {
  const el = $('#toast');
  if (!el) return;
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 2600);
}

function markNav() {
  const page = document.body.dataset.page;
  for (const a of $$('[data-nav]')) if (a.dataset.nav === page) a.setAttribute('aria-current', 'page');
}

// ---------- cart hand-off (personalization: the cart the customer started on another device) ----------

/** While a signed-in visitor's profile is watched: the last summary, whether the live stream answered, and the unsubscribe. */
let handoff;
/** The current page's way to show a cart changed by a take-over (the cart page re-renders). */
let cartChanged = () => {};

/**
 * The lines of the customer's one cart across devices (the profile summary's `openCart`) that this device's cart lacks:
 * catalogue products only, each with the missing quantity.
 */
function missingLines(profile) {
  const products = Array.isArray(profile?.openCart?.products) ? profile.openCart.products : [];
  const local = getCart().items;
  const lines = [];
  for (const p of products) {
    const id = typeof p?.product_id === 'string' ? p.product_id : '';
    if (!findProduct(id) || lines.some((l) => l.id === id)) continue;
    const want = Math.min(Math.max(Math.floor(Number(p.quantity) || 1), 1), 99);
    const have = local.find((i) => i.id === id)?.qty ?? 0;
    if (want > have) lines.push({ id, qty: want - have });
  }
  return lines;
}

/** Shows (or clears) the notice; text only, built with textContent. The region stays in the page so updates are announced. */
function renderHandoff() {
  const box = $('#cart-handoff');
  if (!box) return;
  const profile = handoff?.profile;
  const lines = profile && getUser() ? missingLines(profile) : [];
  box.replaceChildren();
  if (!lines.length || readJson(KEYS.handoff, null) === profile.openCart.updatedAt) return;
  const node = (tag, cls, text) => {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined) el.textContent = text;
    return el;
  };
  const list = node('ul', 'handoff-lines');
  for (const l of lines) {
    const li = node('li', '', `${l.qty} × ${pname(findProduct(l.id))}`);
    li.dataset.handoffLine = l.id;
    li.dataset.qty = String(l.qty);
    list.append(li);
  }
  const take = node('button', 'btn btn-small', t('handoffTake'));
  take.type = 'button';
  take.dataset.handoffTake = '';
  take.addEventListener('click', () => takeOver(lines));
  const later = node('button', 'link-btn', t('handoffDismiss'));
  later.type = 'button';
  later.dataset.handoffDismiss = '';
  // until the cart across devices changes again
  later.addEventListener('click', () => (writeJson(KEYS.handoff, profile.openCart.updatedAt), renderHandoff(), $('#main')?.focus()));
  const actions = node('p', 'handoff-actions');
  actions.append(take, later);
  box.append(node('p', 'handoff-title', t('handoffTitle')), list, actions);
}

/**
 * Moves the missing lines into this device's cart. No commerce event: it is the same cart of the same customer, so the
 * profile's open cart does not grow; adding or removing afterwards is tracked as usual.
 */
function takeOver(lines) {
  const cart = getCart();
  for (const l of lines) {
    const line = cart.items.find((i) => i.id === l.id);
    if (line) line.qty = Math.min(line.qty + l.qty, 99);
    else cart.items.push({ id: l.id, qty: l.qty });
  }
  saveCart(cart);
  cartChanged();
  toast(t('handoffDone'));
  $('#main')?.focus(); // the button is gone; keep the keyboard in the page
}

/** Watches the signed-in visitor's profile: `profile()` once, then `on('profile')` live; nothing without personalization. */
function watchProfile() {
  if (handoff || !getUser() || !$('#main')) return;
  const box = document.createElement('div');
  box.id = 'cart-handoff';
  box.className = 'handoff';
  box.setAttribute('role', 'status');
  box.setAttribute('aria-live', 'polite');
  $('#main').prepend(box);
  const h = (handoff = { profile: undefined, live: false, off: () => {} });
  const show = (p) => {
    if (handoff !== h) return;
    h.profile = p;
    renderHandoff();
  };
  tp((touchpoint) => {
    if (handoff !== h) return; // signed out before the SDK loaded
    const offs = [
      touchpoint.on('profile', (p) => ((h.live = true), show(p))),
      // withdrawn personalization: the SDK stops the stream; the notice goes too
      touchpoint.on('consent', (s) => Array.isArray(s?.granted) && !s.granted.includes('personalization') && show(undefined)),
    ];
    h.off = () => offs.forEach((off) => off());
    touchpoint.profile().then((p) => p && !h.live && show(p));
  });
}

function unwatchProfile() {
  handoff?.off();
  handoff = undefined;
  $('#cart-handoff')?.remove();
}

// ---------- pages ----------

const pages = {
  list() {
    const root = $('#product-grid');
    const chips = $('#category-filter');
    const params = new URLSearchParams(location.search);
    const active = CATEGORIES[params.get('category')] ? params.get('category') : '';
    const shown = PRODUCTS.filter((p) => !active || p.category === active);
    chips.innerHTML = [['', t('all')], ...Object.entries(CATEGORIES).map(([k, v]) => [k, v[lang()]])]
      .map(([k, label]) => `<a class="chip" href="/${k ? `?category=${k}` : ''}" ${k === active ? 'aria-current="true"' : ''}>${esc(label)}</a>`)
      .join('');
    root.innerHTML = shown
      .map(
        (p, i) => `<li class="card">
          <a class="card-media" href="/product?id=${encodeURIComponent(p.id)}" data-product-link="${esc(p.id)}" data-position="${i + 1}" tabindex="-1" aria-hidden="true">${p.svg}</a>
          <div class="card-body">
            <p class="card-category">${esc(CATEGORIES[p.category][lang()])}</p>
            <h3 class="card-title"><a href="/product?id=${encodeURIComponent(p.id)}" data-product-link="${esc(p.id)}" data-position="${i + 1}">${esc(pname(p))}</a></h3>
            <div class="card-foot">
              <span class="price">${money(p.price)}</span>
              <button class="btn btn-small" type="button" data-add="${esc(p.id)}">${esc(t('addToCart'))}</button>
            </div>
          </div>
        </li>`,
      )
      .join('');
    root.addEventListener('click', (e) => {
      const add = e.target.closest('[data-add]');
      if (add) return addToCart(add.dataset.add, 1);
      const link = e.target.closest('[data-product-link]');
      if (link) {
        const p = findProduct(link.dataset.productLink);
        tp((touchpoint) => touchpoint.commerce.productClicked(productProps(p, { position: Number(link.dataset.position), list_id: active || 'all' })));
      }
    });
    tp((touchpoint) =>
      touchpoint.commerce.productListViewed({
        list_id: active || 'all',
        category: active || undefined,
        products: shown.map((p, i) => productProps(p, { position: i + 1 })),
      }),
    );
  },

  product() {
    const id = new URLSearchParams(location.search).get('id');
    const p = findProduct(id ?? '');
    const root = $('#product');
    if (!p) {
      document.title = `${t('notFound')} – Bohne & Becher`;
      root.innerHTML = `<p class="notice">${esc(t('notFound'))}</p><p><a class="btn btn-ghost" href="/">${esc(t('back'))}</a></p>`;
      return;
    }
    document.title = `${pname(p)} – Bohne & Becher`;
    root.innerHTML = `
      <p><a class="back" href="/">${esc(t('back'))}</a></p>
      <div class="product">
        <div class="product-media">${p.svg}</div>
        <div class="product-info">
          <p class="card-category">${esc(CATEGORIES[p.category][lang()])}</p>
          <h1>${esc(pname(p))}</h1>
          <p class="price price-large">${money(p.price)}</p>
          <p class="muted small">${esc(t('inclVat'))}</p>
          <p class="lead">${esc(p.description[lang()])}</p>
          <form class="buy" id="buy-form">
            <label for="qty">${esc(t('quantity'))}</label>
            <input id="qty" name="qty" type="number" min="1" max="99" value="1" inputmode="numeric">
            <button class="btn" type="submit" data-add-product="${esc(p.id)}">${esc(t('addToCart'))}</button>
          </form>
          <p class="muted small">SKU ${esc(p.sku)}</p>
        </div>
      </div>`;
    $('#buy-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const qty = Math.min(Math.max(parseInt($('#qty').value, 10) || 1, 1), 99);
      addToCart(p.id, qty);
    });
    tp((touchpoint) => touchpoint.commerce.productViewed(productProps(p)));
  },

  cart() {
    const root = $('#cart');
    const render = (message) => {
      const cart = getCart();
      const s = cartTotals(cart);
      if (!s.lines.length) {
        root.innerHTML = `<div class="empty"><p>${esc(t('emptyCart'))}</p><a class="btn" href="/">${esc(t('continueShopping'))}</a></div>`;
        return;
      }
      root.innerHTML = `
        <div class="cart-layout">
          <ul class="cart-lines">${s.lines
            .map(
              (l) => `<li class="cart-line" data-line="${esc(l.id)}">
                <div class="thumb">${l.product.svg}</div>
                <div class="cart-line-main">
                  <a href="/product?id=${encodeURIComponent(l.id)}">${esc(pname(l.product))}</a>
                  <span class="muted small">${money(l.product.price)}</span>
                </div>
                <div class="qty" role="group" aria-label="${esc(t('quantity'))}">
                  <button type="button" class="btn-icon" data-dec="${esc(l.id)}" aria-label="−1">−</button>
                  <span aria-live="polite">${l.qty}</span>
                  <button type="button" class="btn-icon" data-inc="${esc(l.id)}" aria-label="+1">+</button>
                </div>
                <span class="cart-line-sum">${money(l.sum)}</span>
                <button type="button" class="link-btn" data-remove="${esc(l.id)}">${esc(t('remove'))}</button>
              </li>`,
            )
            .join('')}</ul>
          <aside class="summary">
            ${totalsHtml(s, cart)}
            <form class="coupon" id="coupon-form">
              <label for="coupon">${esc(t('coupon'))}</label>
              <div class="row"><input id="coupon" name="coupon" autocomplete="off" placeholder="${esc(t('couponHint'))}" value="${esc(cart.coupon ?? '')}">
              <button class="btn btn-ghost" type="submit">${esc(t('apply'))}</button></div>
              <p class="form-msg" role="status">${message ? esc(message) : ''}</p>
            </form>
            <a class="btn btn-block" href="/checkout" id="to-checkout">${esc(t('toCheckout'))}</a>
          </aside>
        </div>`;
    };
    render();
    cartChanged = () => render();
    root.addEventListener('click', (e) => {
      const el = e.target.closest('[data-inc],[data-dec],[data-remove]');
      if (!el) return;
      const cart = getCart();
      const id = el.dataset.inc ?? el.dataset.dec ?? el.dataset.remove;
      const line = cart.items.find((i) => i.id === id);
      if (!line) return;
      const p = findProduct(id);
      if (el.dataset.inc) {
        line.qty = Math.min(line.qty + 1, 99);
        tp((touchpoint) => touchpoint.commerce.productAdded(productProps(p, { quantity: 1, cart_id: cart.id })));
      } else {
        const removed = el.dataset.remove ? line.qty : 1;
        line.qty -= removed;
        if (line.qty <= 0) cart.items = cart.items.filter((i) => i !== line);
        tp((touchpoint) => touchpoint.commerce.productRemoved(productProps(p, { quantity: removed, cart_id: cart.id })));
      }
      saveCart(cart);
      render();
    });
    root.addEventListener('submit', (e) => {
      if (e.target.id !== 'coupon-form') return;
      e.preventDefault();
      const code = $('#coupon').value.trim().toUpperCase();
      const cart = getCart();
      if (!COUPONS[code]) return render(t('couponBad'));
      cart.coupon = code;
      saveCart(cart);
      const s = cartTotals(cart);
      tp((touchpoint) => touchpoint.commerce.couponApplied({ coupon_id: code, coupon_name: code, cart_id: cart.id, discount: s.discount }));
      render(t('couponOk'));
    });
    const cart = getCart();
    tp((touchpoint) => touchpoint.commerce.cartViewed({ cart_id: cart.id, products: cartProducts(cart) }));
  },

  checkout() {
    const root = $('#checkout');
    const cart = getCart();
    if (!cart.items.length) {
      root.innerHTML = `<div class="empty"><p>${esc(t('emptyCart'))}</p><a class="btn" href="/">${esc(t('continueShopping'))}</a></div>`;
      return;
    }
    const checkoutId = randomId('co-');
    const user = getUser();
    const field = (name, label, type = 'text', auto = '', value = '') =>
      `<div class="field"><label for="${name}">${esc(t(label))} <span aria-hidden="true">*</span></label>
       <input id="${name}" name="${name}" type="${type}" autocomplete="${auto}" required value="${esc(value)}"></div>`;
    root.innerHTML = `
      <div class="cart-layout">
        <form id="checkout-form" class="checkout-form" novalidate>
          <fieldset><legend>${esc(t('contact'))}</legend>
            ${field('name', 'name', 'text', 'name')}
            ${field('email', 'email', 'email', 'email', user?.email ?? '')}
            ${field('street', 'street', 'text', 'street-address')}
            <div class="row">${field('zip', 'zip', 'text', 'postal-code')}${field('city', 'city', 'text', 'address-level2')}</div>
          </fieldset>
          <fieldset><legend>${esc(t('shippingMethod'))}</legend>
            <label class="choice"><input type="radio" name="shipping" value="standard" checked> ${esc(t('standard'))}</label>
            <label class="choice"><input type="radio" name="shipping" value="express"> ${esc(t('express'))}</label>
          </fieldset>
          <fieldset><legend>${esc(t('payment'))}</legend>
            <label class="choice"><input type="radio" name="payment" value="invoice" checked> ${esc(t('invoice'))}</label>
            <label class="choice"><input type="radio" name="payment" value="card"> ${esc(t('card'))}</label>
            <label class="choice"><input type="radio" name="payment" value="sepa"> ${esc(t('sepa'))}</label>
          </fieldset>
          <p class="form-msg error" role="alert" id="checkout-error"></p>
          <button class="btn btn-block" type="submit" id="place-order">${esc(t('placeOrder'))}</button>
        </form>
        <aside class="summary" id="checkout-summary"></aside>
      </div>`;
    const form = $('#checkout-form');
    const method = () => form.elements.namedItem('shipping').value;
    const renderSummary = () => {
      const s = cartTotals(getCart(), method());
      $('#checkout-summary').innerHTML = `<h2>${esc(t('summary'))}</h2>
        <ul class="mini-lines">${s.lines.map((l) => `<li><span>${l.qty} × ${esc(pname(l.product))}</span><span>${money(l.sum)}</span></li>`).join('')}</ul>
        ${totalsHtml(s, getCart())}`;
    };
    renderSummary();
    form.addEventListener('change', (e) => e.target.name === 'shipping' && renderSummary());

    const s0 = cartTotals(cart);
    tp((touchpoint) =>
      touchpoint.commerce.checkoutStarted({
        checkout_id: checkoutId, value: s0.total, revenue: s0.revenue, currency: CURRENCY, coupon: cart.coupon ?? undefined, products: cartProducts(cart),
      }),
    );

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const error = $('#checkout-error');
      const missing = $$('input[required]', form).filter((i) => !i.value.trim());
      for (const i of $$('input[required]', form)) i.setAttribute('aria-invalid', String(missing.includes(i)));
      if (missing.length) {
        error.textContent = t('required');
        missing[0].focus();
        return;
      }
      const email = form.elements.namedItem('email');
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.value.trim())) {
        email.setAttribute('aria-invalid', 'true');
        error.textContent = t('emailInvalid');
        email.focus();
        return;
      }
      error.textContent = '';
      const current = getCart();
      const s = cartTotals(current, method());
      const payment = form.elements.namedItem('payment').value;
      const orderId = `BB-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomId('', 5)}`;
      const products = cartProducts(current);
      const coupon = current.coupon ?? undefined;
      tp((touchpoint) => {
        touchpoint.commerce.paymentInfoEntered({ checkout_id: checkoutId, order_id: orderId, payment_method: payment, shipping_method: method() });
        touchpoint.commerce.orderCompleted({
          order_id: orderId, checkout_id: checkoutId, affiliation: 'Bohne & Becher Online',
          total: s.total, subtotal: s.subtotal, revenue: s.revenue, shipping: s.shipping, tax: s.tax, discount: s.discount,
          coupon, currency: CURRENCY, products,
        });
        touchpoint.flush(); // the confirmation is often the last page of a visit
      });
      writeJson(KEYS.cart, undefined);
      renderCartCount();
      document.title = `${t('thanks')} – Bohne & Becher`;
      root.innerHTML = `<div class="confirmation" data-order-id="${esc(orderId)}" tabindex="-1" id="confirmation">
          <div class="check" aria-hidden="true">✓</div>
          <h2>${esc(t('thanks'))}</h2>
          <p>${esc(t('orderNo'))}: <strong data-order-number>${esc(orderId)}</strong></p>
          <p class="muted">${money(s.total)} · ${esc(t(payment))}</p>
          <p class="muted small">${esc(t('orderText'))}</p>
          <a class="btn" href="/">${esc(t('continueShopping'))}</a>
        </div>`;
      $('#confirmation').focus();
    });
  },

  login() {
    const root = $('#login');
    const render = (message) => {
      const user = getUser();
      if (user) {
        root.innerHTML = `<div class="panel">
          <p>${esc(t('signedInAs'))} <strong data-user-email>${esc(user.email)}</strong></p>
          <p class="muted small">${esc(t('customerNo'))}: <code>${esc(user.id)}</code></p>
          <p class="muted small">${esc(t('loyaltyNo'))}: <code data-loyalty-id>${esc(loyaltyId(user.id))}</code></p>
          <button class="btn btn-ghost" type="button" id="logout">${esc(t('logout'))}</button>
        </div>`;
        return;
      }
      root.innerHTML = `<form class="panel" id="login-form" novalidate>
          <div class="field"><label for="login-email">${esc(t('email'))}</label>
            <input id="login-email" name="email" type="email" autocomplete="username" required></div>
          <div class="field"><label for="login-password">${esc(t('password'))}</label>
            <input id="login-password" name="password" type="password" autocomplete="current-password" required></div>
          <p class="form-msg" role="status" id="login-msg">${message ? esc(message) : ''}</p>
          <button class="btn btn-block" type="submit">${esc(t('signIn'))}</button>
          <p class="muted small">${esc(t('loginHint'))}</p>
        </form>`;
    };
    render();
    root.addEventListener('submit', (e) => {
      e.preventDefault();
      const email = $('#login-email').value.trim();
      const password = $('#login-password').value;
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || !password) {
        $('#login-msg').textContent = t('emailInvalid');
        $('#login-email').setAttribute('aria-invalid', 'true');
        return;
      }
      void shopLogin(email).then((user) => {
        writeJson(KEYS.user, user);
        tp((touchpoint) => identifyUser(touchpoint, user));
        applyTexts();
        render();
        watchProfile();
      });
    });
    root.addEventListener('click', (e) => {
      if (e.target.id !== 'logout') return;
      writeJson(KEYS.user, undefined);
      unwatchProfile();
      tp((touchpoint) => touchpoint.reset());
      applyTexts();
      render(t('loggedOut'));
    });
  },

  notfound() {},
};

function totalsHtml(s, cart) {
  return `<dl class="totals">
      <div><dt>${esc(t('subtotal'))}</dt><dd>${money(s.subtotal)}</dd></div>
      ${s.discount ? `<div class="discount"><dt>${esc(t('discount'))} (${esc(cart.coupon)})</dt><dd>−${money(s.discount)}</dd></div>` : ''}
      <div><dt>${esc(t('shipping'))}</dt><dd>${s.shipping ? money(s.shipping) : esc(t('free'))}</dd></div>
      <div class="grand"><dt>${esc(t('total'))}</dt><dd data-total>${money(s.total)}</dd></div>
    </dl>
    <p class="muted small">${esc(t('vatIncluded'))}: ${money(s.tax)}</p>`;
}

// ---------- boot ----------

function boot() {
  applyTexts();
  markNav();
  renderCartCount();
  for (const b of $$('[data-lang]')) {
    b.addEventListener('click', () => {
      if (b.dataset.lang === lang()) return;
      writeJson(KEYS.lang, b.dataset.lang);
      location.reload(); // every text, price format and the banner language follow
    });
  }
  // the footer control is the SDK's (data-touchpoint-consent="open"); call the API too in case that hook is not there
  for (const b of $$('[data-touchpoint-consent="open"]')) {
    b.addEventListener('click', (e) => {
      setTimeout(() => {
        if (e.defaultPrevented || b.dataset.touchpointHandled) return;
        try {
          window.touchpoint?.consent?.open?.();
        } catch {
          /* no SDK: nothing to open */
        }
      }, 0);
    });
  }
  const page = pages[document.body.dataset.page];
  try {
    page?.();
  } catch (e) {
    console.error('[shop] page failed to render', e);
  }
  identifyOnGrant();
  // the checkout is no place for a distraction; every other page offers the cart from another device
  if (document.body.dataset.page !== 'checkout') watchProfile();
  window.addEventListener('storage', (e) => e.key === KEYS.cart && (renderCartCount(), renderHandoff(), cartChanged()));
}

boot();
