/**
 * The demo server: one node:http process that serves the shop (/), the dashboard (/dashboard), the store till and call
 * centre pages (/staff/*, which post server-side touchpoints to the collector), the shop login (/shop/api/login, which
 * signs the customer number for identity verification), the built SDK files (/touchpoint.js, /touchpoint-*.mjs,
 * /snippet.min.js, their maps) and the reference collector (/v1/*, /healthz).
 * Imports: node built-ins, dist/collector.mjs, ./dashboard-api.mjs. Never serves a file outside its roots, never
 * listens on anything but loopback unless told to, and never injects anything into pages but the documented snippet.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createDashboardApi } from './dashboard-api.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHOP_DIR = join(ROOT, 'demo', 'shop');
const DASHBOARD_DIR = join(ROOT, 'demo', 'dashboard');
const STAFF_DIR = join(ROOT, 'demo', 'staff');
const DIST_DIR = join(ROOT, 'dist');

/** The write key the demo shop sends with. */
export const DEMO_WRITE_KEY = 'demo-shop-key';
/** The write key of the demo's server-side touchpoints (till, call centre); no browser origin may use it. */
export const DEMO_SERVER_KEY = 'demo-server-key';
/** Staff pages and the touchpoints they post: path → file. */
const STAFF_PAGES = { '/staff/till': 'till.html', '/staff/call-centre': 'call-centre.html' };
/** Where pages ask for the snippet; replaced at serve time. */
const SNIPPET_PLACEHOLDER = '<!--TOUCHPOINT_SNIPPET-->';
/** The shop pages' shared head, header and footer, filled in where `<!--SHOP_HEAD-->` etc. stand. */
const PARTIALS = Object.fromEntries(
  ['head', 'header', 'footer'].map((name) => [`<!--SHOP_${name.toUpperCase()}-->\n`, readFileSync(join(ROOT, 'demo', 'partials', `${name}.html`), 'utf8')]),
);
/** SDK files the server hands out from dist/; nothing else in dist/ is public. */
const SDK_FILE = /^\/(touchpoint\.js|snippet\.min\.js|touchpoint-[a-z0-9-]+\.mjs)(\.map)?$/;

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
};

/**
 * The inline snippet exactly as the README tells a developer to paste it: dist/snippet.min.js with the bundle path and
 * its SRI hash as the fourth argument, then `touchpoint.init({ writeKey, collectorUrl })`.
 */
export function snippetHtml({ writeKey = DEMO_WRITE_KEY, distDir = DIST_DIR, debug = false } = {}) {
  const code = readFileSync(join(distDir, 'snippet.min.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=.*$/m, '').trim();
  let sri;
  try {
    sri = JSON.parse(readFileSync(join(distDir, 'sri.json'), 'utf8'))['touchpoint.js'];
  } catch {
    sri = undefined; // a build without postbuild: load without integrity rather than not at all
  }
  // the snippet's call site is `…)(window,document,"/touchpoint.js")`: the bundle URL is its third argument, the SRI hash its fourth
  const callSite = /\(window,\s*document,\s*"\/touchpoint\.js"\s*\)/;
  const withSri = sri && callSite.test(code) ? code.replace(callSite, `(window,document,"/touchpoint.js",${JSON.stringify(sri)})`) : code;
  if (sri && withSri === code) warnOnce('dist/snippet.min.js takes no bundle URL / SRI argument (the minifier inlined it); serving the snippet without integrity');
  const config = `{ writeKey: ${JSON.stringify(writeKey)}, collectorUrl: location.origin${debug ? ', debug: true' : ''} }`;
  return `<script>${withSri}\ntouchpoint.init(${config});</script>`;
}

let warned = false;
const warnOnce = (message) => {
  if (!warned) console.warn(`[demo] ${message}`);
  warned = true;
};

/** `/a/%2e%2e/b` and friends: decode, normalise, and refuse anything that leaves `root`. */
function safeJoin(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const full = resolve(root, '.' + (decoded.startsWith('/') ? decoded : '/' + decoded));
  return full === root || full.startsWith(root + sep) ? full : undefined;
}

function send(res, status, body, headers = {}, head = false) {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Length': String(buf.length), ...headers });
  res.end(head ? undefined : buf);
}

const sha256 = (s) => createHash('sha256').update(s).digest('hex');

/** The shop's customer number from the e-mail (FNV-1a), exactly as `customerId` in shop/assets/shop.js derives it. */
export function customerId(email) {
  let h = 0x811c9dc5;
  for (const ch of String(email).trim().toLowerCase()) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 'cust-' + h.toString(16).padStart(8, '0');
}
/** The SDK's e-mail normalisation (src/identity/hash.ts), so a hash from the till matches the one from the login. */
function normaliseEmail(v) {
  const s = String(v).trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s.]+$/.test(s)) return undefined;
  let [local, domain] = s.split('@');
  if (domain === 'gmail.com' || domain === 'googlemail.com') {
    local = local.replace(/\+.*/, '').replace(/\./g, '');
    domain = 'gmail.com';
  }
  return local ? `${local}@${domain}` : undefined;
}
const text = (v, max = 120) => (typeof v === 'string' ? v.trim().slice(0, max) : '');

/**
 * The event a staff page asked for, or `{ error }`: `kind` is `store_purchase` (loyaltyId, optional email, items),
 * `call_center_contact` or `email_click` (customerId and/or email, topic). E-mail leaves this server only hashed,
 * normalised like the SDK does (trimmed, lower case).
 */
export function buildStaffEvent(input) {
  if (!input || typeof input !== 'object') return { error: 'send a JSON object' };
  const identities = [];
  const loyaltyId = text(input.loyaltyId, 64);
  const customerId = text(input.customerId, 64);
  const rawEmail = text(input.email, 254);
  const email = rawEmail && normaliseEmail(rawEmail);
  if (rawEmail && !email) return { error: 'email is not an e-mail address' };
  if (loyaltyId) identities.push({ type: 'loyalty_id', value: loyaltyId, hashed: false });
  if (customerId) identities.push({ type: 'customer_id', value: customerId, hashed: false });
  if (email) identities.push({ type: 'email', value: sha256(email), hashed: true });
  const base = { messageId: randomUUID(), timestamp: new Date().toISOString(), identities };
  if (input.kind === 'store_purchase') {
    if (!loyaltyId) return { error: 'a store purchase needs the loyalty card number' };
    const items = Array.isArray(input.items) ? input.items.slice(0, 50) : [];
    const products = items
      .map((i) => ({ product_id: text(i?.product_id, 64), sku: text(i?.sku, 64) || undefined, name: text(i?.name), price: Number(i?.price), quantity: Math.max(1, Math.floor(Number(i?.quantity) || 1)) }))
      .filter((p) => p.product_id && Number.isFinite(p.price) && p.price >= 0);
    if (!products.length) return { error: 'add at least one product' };
    const storeId = text(input.storeId, 32) || 'store-1';
    const receipt = `R-${randomUUID().slice(0, 8).toUpperCase()}`;
    const total = Math.round(products.reduce((s, p) => s + p.price * p.quantity, 0) * 100) / 100;
    return {
      lookup: identities[0],
      event: {
        ...base,
        type: 'track',
        event: 'order_completed',
        // a receipt is no device: one anonymousId per purchase, so tills never link customers with each other
        anonymousId: `receipt-${receipt}`,
        properties: { order_id: receipt, store_id: storeId, total, revenue: total, currency: 'EUR', products },
        context: { channel: 'store', library: { name: 'touchpoint-demo-till', version: '1' } },
      },
    };
  }
  if (input.kind === 'call_center_contact' || input.kind === 'email_click') {
    if (!customerId && !email) return { error: 'give the customer number or the e-mail address' };
    const call = input.kind === 'call_center_contact';
    return {
      lookup: identities[0],
      event: {
        ...base,
        type: 'track',
        event: call ? 'call_completed' : 'email_link_clicked',
        anonymousId: `${call ? 'call' : 'mail'}-${randomUUID()}`,
        properties: { topic: text(input.topic, 80) || (call ? 'general' : 'newsletter'), agent_id: call ? text(input.agentId, 32) || 'agent-1' : undefined },
        context: { channel: call ? 'call_center' : 'email', library: { name: 'touchpoint-demo-call-centre', version: '1' } },
      },
    };
  }
  return { error: 'kind must be store_purchase, call_center_contact or email_click' };
}

/**
 * Creates (but does not start) the demo: the collector, the dashboard API and the static routes.
 *
 * @param {{ dataDir?: string, identitySecret?: string, databaseUrl?: string, writeKey?: string, allowedOrigins?: string[], debug?: boolean,
 *           distDir?: string, log?: (line: string) => void }} [options]
 * @example
 * const demo = await startDemo({ port: 8080 });
 * console.log(demo.url); // http://localhost:8080
 */
export async function startDemo(options = {}) {
  const distDir = options.distDir ?? DIST_DIR;
  const collectorModule = join(distDir, 'collector.mjs');
  if (!existsSync(collectorModule)) throw new Error(`${collectorModule} is missing: run "npm run build" first`);
  const { createCollector } = await import(pathToFileURL(collectorModule).href);
  const host = options.host ?? process.env.HOST ?? '127.0.0.1';
  const writeKey = options.writeKey ?? DEMO_WRITE_KEY;
  const log = options.log ?? ((line) => console.log(line));

  let collector;
  let api;
  let identitySecret;
  let hostAllowed = () => false;
  const handler = (req, res) => {
    route(req, res).catch((error) => {
      log(`[demo] ${req.method} ${req.url}: ${error?.stack ?? error}`);
      if (!res.headersSent) send(res, 500, 'Internal Server Error', { 'Content-Type': 'text/plain; charset=utf-8' });
      else res.end();
    });
  };

  async function route(req, res) {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    const path = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    if (!collector) return send(res, 503, 'starting', { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' });

    if (path.startsWith('/v1/') || path === '/v1' || path === '/healthz') return collector(req, res);
    // the dashboard and staff pages have no login: on loopback they answer loopback names (and the configured origins)
    // only, so a site that rebinds its own DNS name to 127.0.0.1 cannot read profiles or post touchpoints through them
    if (/^\/(dashboard|staff)(\/|$)/.test(path) && !hostAllowed(req.headers.host)) {
      return send(res, 403, `Host ${req.headers.host ?? '(none)'} is not allowed: open the demo at http://localhost:${port}`, { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    if (path === '/dashboard/api' || path.startsWith('/dashboard/api/')) return api.handle(req, res, url);
    if (path === '/staff/api/touchpoint') return staffTouchpoint(req, res);
    if (path === '/shop/api/login') return shopLogin(req, res);

    const head = method === 'HEAD';
    if (method !== 'GET' && !head) return send(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });

    if (SDK_FILE.test(path)) return serveFile(res, join(distDir, path.slice(1)), head, { 'Cache-Control': 'no-cache', 'Access-Control-Allow-Origin': '*' });
    if (path === '/dashboard') return serveFile(res, join(DASHBOARD_DIR, 'index.html'), head);
    if (Object.hasOwn(STAFF_PAGES, path)) return serveFile(res, join(STAFF_DIR, STAFF_PAGES[path]), head);
    if (path === '/staff/staff.js' || path === '/staff/staff.css') return serveFile(res, join(STAFF_DIR, path.slice('/staff/'.length)), head);
    if (path.startsWith('/dashboard/')) {
      const file = safeJoin(DASHBOARD_DIR, path.slice('/dashboard'.length));
      if (!file) return notFound(res, head, false);
      return serveFile(res, path.endsWith('/') ? join(file, 'index.html') : file, head);
    }
    const file = safeJoin(SHOP_DIR, path);
    if (!file) return notFound(res, head);
    return serveFile(res, path.endsWith('/') ? join(file, 'index.html') : file, head, {}, true);
  }

  async function serveFile(res, file, head, extra = {}, shop = false) {
    let info;
    try {
      info = await stat(file);
    } catch {
      info = undefined;
    }
    // /cart → cart.html, so the shop has clean URLs
    if ((!info || info.isDirectory()) && shop && !extname(file)) {
      const alt = info?.isDirectory() ? join(file, 'index.html') : file + '.html';
      try {
        info = await stat(alt);
        file = alt;
      } catch {
        info = undefined;
      }
    }
    if (!info || !info.isFile()) return notFound(res, head, shop);
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    let body = await readFile(file);
    if (type.startsWith('text/html')) body = Buffer.from(renderPage(body.toString('utf8')));
    send(res, 200, body, { 'Content-Type': type, 'Cache-Control': type.startsWith('text/html') ? 'no-cache' : 'public, max-age=60', ...extra }, head);
  }

  /** A shop page as served: shared partials in, then the snippet where the placeholder is. */
  function renderPage(html) {
    for (const [marker, partial] of Object.entries(PARTIALS)) html = html.replace(marker, partial);
    return html.includes(SNIPPET_PLACEHOLDER) ? html.replace(SNIPPET_PLACEHOLDER, snippetOrComment()) : html;
  }

  function snippetOrComment() {
    try {
      return snippetHtml({ writeKey, distDir, debug: options.debug });
    } catch (error) {
      log(`[demo] cannot inject the snippet (${error.message}); the shop runs without tracking`);
      return '<!-- Touchpoint snippet unavailable: run npm run build -->';
    }
  }

  /** A JSON answer that no cache keeps. */
  const replyJson = (res, status, body) => send(res, status, JSON.stringify(body), { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });

  /**
   * Reads the JSON body of a same-origin POST from the demo's own pages (login, staff touchpoints), or answers why not:
   * 405, 403 for another origin, 415 for anything but JSON (which cannot come cross-site without a preflight, which
   * these routes never answer), 413 over `maxBytes`, 400 for bad JSON. Resolves the parsed body, or undefined once answered.
   */
  async function readOwnJson(req, res, maxBytes, who) {
    if ((req.method ?? '').toUpperCase() !== 'POST') return void replyJson(res, 405, { error: { code: 'method_not_allowed', message: 'use POST' } });
    const origin = req.headers.origin;
    if (origin && (!URL.canParse(origin) || new URL(origin).host !== req.headers.host)) return void replyJson(res, 403, { error: { code: 'origin_not_allowed', message: `only ${who} (same origin) may post here` } });
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return void replyJson(res, 415, { error: { code: 'unsupported_media_type', message: 'send application/json' } });
    try {
      const chunks = [];
      let size = 0;
      for await (const c of req) {
        size += c.length;
        if (size > maxBytes) return void replyJson(res, 413, { error: { code: 'payload_too_large', message: `at most ${maxBytes / 1024} KiB` } });
        chunks.push(c);
      }
      return { input: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
    } catch {
      return void replyJson(res, 400, { error: { code: 'invalid_json', message: 'body is not valid JSON' } });
    }
  }

  /**
   * The shop's login: `{ email }` → `{ userId, userHash }`, the user_hash of identity verification that the page sends
   * in its identify. A real shop answers only after checking the password; the demo accepts any (it has no accounts).
   */
  async function shopLogin(req, res) {
    const body = await readOwnJson(req, res, 4096, 'the shop');
    if (!body) return;
    const email = typeof body.input?.email === 'string' ? body.input.email.trim() : '';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return replyJson(res, 400, { error: { code: 'invalid_email', message: 'send { "email": "<address>" }' } });
    const userId = customerId(email);
    replyJson(res, 200, { userId, userHash: createHmac('sha256', identitySecret).update(userId).digest('hex') });
  }

  /**
   * POST /staff/api/touchpoint from the till or call-centre page: builds the server-side event (channel `store`,
   * `call_center` or `email`, identities typed, e-mail hashed here) and posts it to the collector's /v1/batch, as a
   * shop's back office would. Same origin only: no other page may use the server-side key through here.
   */
  async function staffTouchpoint(req, res) {
    const body = await readOwnJson(req, res, 64 * 1024, 'the demo staff pages');
    if (!body) return;
    const { input } = body;
    const built = buildStaffEvent(input);
    if (built.error) return replyJson(res, 400, { error: { code: 'invalid_touchpoint', message: built.error } });
    const answer = await fetch(`http://127.0.0.1:${port}/v1/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Write-Key': DEMO_SERVER_KEY },
      body: JSON.stringify({ batch: [built.event], sentAt: new Date().toISOString() }),
    });
    const result = await answer.json().catch(() => ({}));
    const profile = answer.ok && result.accepted ? await collector.profiles.find(built.lookup.type, built.lookup.value) : undefined;
    replyJson(res, answer.status, { event: built.event, collector: result, profileId: profile?.profileId ?? null });
  }

  async function notFound(res, head, shop = true) {
    let page = '<!doctype html><meta charset="utf-8"><title>404</title><h1>404 – Nicht gefunden / Not found</h1><p><a href="/">Zum Shop / To the shop</a></p>';
    if (shop) {
      try {
        page = renderPage(await readFile(join(SHOP_DIR, '404.html'), 'utf8'));
      } catch {
        /* the plain page above */
      }
    }
    send(res, 404, page, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }, head);
  }

  const server = createServer(handler);
  server.keepAliveTimeout = 5_000;
  const requestedPort = options.port ?? Number(process.env.PORT ?? 8080);
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(requestedPort, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const port = server.address().port;

  // `localhost` may resolve to ::1 first; answer there too when the machine has IPv6 loopback
  let server6;
  if (host === '127.0.0.1' && options.ipv6 !== false) {
    server6 = createServer(handler);
    await new Promise((ok) => {
      server6.once('error', () => {
        server6 = undefined;
        ok();
      });
      server6.listen(port, '::1', ok);
    });
  }

  const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`, ...(options.allowedOrigins ?? [])];
  if (process.env.TOUCHPOINT_ALLOWED_ORIGINS) origins.push(...process.env.TOUCHPOINT_ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean));
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(host);
  const allowedHosts = new Set(['localhost', '127.0.0.1', '[::1]']);
  for (const o of origins) {
    try {
      allowedHosts.add(new URL(o).hostname);
    } catch {
      /* not a URL: it allows no host */
    }
  }
  /** Whether a request's Host header names this demo (always, unless it listens on loopback only). */
  hostAllowed = (value) => {
    if (!loopback) return true;
    try {
      return allowedHosts.has(new URL(`http://${value}`).hostname);
    } catch {
      return false;
    }
  };
  let secretKey = options.secretKey ?? process.env.TOUCHPOINT_SECRET_KEY;
  if (!secretKey) {
    secretKey = 'sk_demo_' + randomBytes(12).toString('hex');
    log(`[demo] profile API secret key for this run: ${secretKey} (set TOUCHPOINT_SECRET_KEY to choose one)`);
  }
  // identity verification: the login endpoint signs the customer number, so only a signed-in device reads its profile
  identitySecret = options.identitySecret ?? process.env.TOUCHPOINT_IDENTITY_SECRET ?? randomBytes(32).toString('hex');
  collector = createCollector({
    writeKeys: { [writeKey]: { allowedOrigins: origins }, [DEMO_SERVER_KEY]: { allowedOrigins: [] } },
    secretKey,
    identityVerificationSecret: identitySecret,
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    onError: (error, context) => log(`[collector] ${context}: ${error?.stack ?? error}`),
  });
  api = createDashboardApi({ collector, log });
  try {
    await collector.ready;
  } catch (error) {
    await new Promise((r) => server.close(() => r()));
    server6?.close();
    throw error;
  }

  const sockets = new Set();
  for (const s of [server, server6]) s?.on('connection', (c) => (sockets.add(c), c.on('close', () => sockets.delete(c))));

  let closing;
  return {
    url: `http://${host === '127.0.0.1' || host === '::1' || host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    loopbackUrl: `http://127.0.0.1:${port}`,
    port,
    collector,
    server,
    /** Stops listening, ends live streams and closes the database. */
    close() {
      closing ??= (async () => {
        api.close();
        const done = [server, server6].filter(Boolean).map((s) => new Promise((r) => s.close(() => r())));
        for (const c of sockets) c.destroy();
        await Promise.all(done);
        await collector.close();
      })();
      return closing;
    },
  };
}
