/**
 * The real-browser guarantees as engine-neutral scenarios: each one drives an {@link Engine} through the driver surface
 * only (pages, expressions, keys) against the built bundle and the browser harness's test collector, so the same
 * scenario runs in Chromium, Firefox and WebKit. Init code (GPC, spies) is injected through the fixture page, since
 * WebKitGTK has no init scripts. Imports: vitest, the harness, the driver. Never reaches into an engine's own API.
 */
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { fixturePage, snippet, startServer, type TestServer } from '../browser/harness';
import { launchEngine, LAUNCH_TIMEOUT_MS, type Engine, type EngineName, type Profile, type Tab } from './driver';

const DIST = join(process.cwd(), 'dist');

/**
 * The hooks every engine suite's describe block shares: one engine for the block (handed to `onEngine` once launched),
 * a fresh test collector for each test (handed to `onServer`), and every profile the test opened closed after it.
 * Returns `profile()`, which opens a profile (a fresh one, or what `open` opens) that is closed after the current test.
 */
export function engineHooks(name: EngineName, onEngine: (engine: Engine) => void, onServer: (server: TestServer) => void) {
  let engine: Engine | undefined;
  let server: TestServer | undefined;
  const profiles: Profile[] = [];
  beforeAll(async () => {
    engine = await launchEngine(name);
    onEngine(engine);
  }, LAUNCH_TIMEOUT_MS * 2);
  afterAll(async () => {
    await engine?.close();
    await server?.close();
  });
  beforeEach(async () => {
    await server?.close();
    server = await startServer();
    onServer(server);
  });
  afterEach(async () => {
    for (const p of profiles.splice(0)) await p.close().catch(() => {});
  });
  return async function profile(open = (e: Engine) => e.newProfile()): Promise<Profile> {
    if (!engine) throw new Error(`${name} did not launch`);
    const p = await open(engine);
    profiles.push(p);
    return p;
  };
}

/** Page-side spies every scenario page carries: errors reaching the page, and calls of indexedDB.open. */
export const SPIES = `<script>window.__errors=[];addEventListener('error',function(e){__errors.push(String(e.message))});
addEventListener('unhandledrejection',function(e){__errors.push(String(e.reason))});
window.__idbOpens=0;(function(f){var o=f.open;f.open=function(){window.__idbOpens++;return o.apply(this,arguments)}})(IDBFactory.prototype);</script>`;

/** Declares GPC before anything of ours runs (what a browser with GPC switched on does). */
export const GPC = `<script>Object.defineProperty(Navigator.prototype,'globalPrivacyControl',{get:function(){return true},configurable:true});</script>`;

const FIRE = `window.fire = function (n, prefix) { for (var i = 0; i < n; i++) touchpoint.track('burst_event', { i: i, prefix: prefix }) };`;

/** A fixture page whose visitor granted analytics through the API, with `fire(n, prefix)` and the spies. */
export const deliveryPage = (config: Record<string, unknown> = {}, script = '', head = '') =>
  fixturePage({ decide: { analytics: true }, config: { autoPageViews: false, ...config }, head: SPIES + head, script: FIRE + script });

/** Removes an API before the SDK loads, as an engine or context without it would. */
export const without = (expression: string) => `<script>(function(){try{${expression}}catch(e){}})();</script>`;
export const NO_WEB_LOCKS = without(`Object.defineProperty(Navigator.prototype,'locks',{get:function(){return undefined},configurable:true})`);
export const NO_INDEXEDDB = without(`Object.defineProperty(window,'indexedDB',{get:function(){return undefined},configurable:true})`);

/** A shop page configured by data-* attributes with the banner on, like a real install; `attrs` go on its script tag. */
export const shopPage = (server: TestServer, head = '', attrs = '') => `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Shop</title>${SPIES}${head}
<script src="/touchpoint.js" ${attrs} data-write-key="wk_test" data-collector-url="${server.url}" data-web-vitals="false" data-debug="true"></script>
</head><body><main><h1>Shop</h1><a href="#" id="privacy-settings" data-touchpoint-consent="open">Datenschutz</a></main></body></html>`;

export const tracked = (s: TestServer, prefix?: string) =>
  [...s.unique().values()].filter((e) => e.event === 'burst_event' && (!prefix || e.properties.prefix === prefix));

/** Cuts the collector off: the engine's offline mode where it has one, else the collector drops every connection. */
export async function setOffline(engine: Engine, profile: Profile, server: TestServer, offline: boolean): Promise<void> {
  if (engine.canGoOffline) return profile.setOffline(offline);
  server.behave(offline ? ({ path }) => (path.startsWith('/v1/') ? 'drop' : undefined) : undefined);
}

export const ready = (tab: Tab) => tab.waitFor('window.touchpoint && window.touchpoint.__touchpoint', 30_000, 'the bundle');
export const pageErrors = (tab: Tab) => tab.evaluate<string[]>('window.__errors || []');

/** An expression for an element of the banner's shadow root. */
export const banner = (selector: string) => `document.getElementById('tp-consent')?.shadowRoot?.querySelector(${JSON.stringify(selector)})`;
export const consentState = (tab: Tab) => tab.evaluate<Record<string, any>>('touchpoint.consent.get()');

/** Focuses a banner control by script and activates it with a real key press (a trusted activation). */
export async function pressOn(tab: Tab, selector: string, key: 'Enter' | 'Space' = 'Enter'): Promise<void> {
  await tab.waitFor(`!!${banner(selector)}`, 15_000, selector);
  await tab.evaluate(`${banner(selector)}.focus()`);
  await tab.press(key);
}

export const FIRST_LAYER = 'section[role="region"]:not([hidden])';

/** Everything the page can see of its own storage, plus the engine's view of the cookie jar. */
export async function storageAudit(tab: Tab, profile: Profile, url: string) {
  const page = await tab.evaluate<Record<string, unknown>>(
    `(async () => ({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length,
      idb: indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : 'unknown', opens: window.__idbOpens }))()`,
  );
  return { ...page, jar: (await profile.cookies(url)).map((c) => c.name) };
}

/**
 * A second origin that serves dist/ after a delay, so calls made before the bundle arrives really are queued by the
 * snippet (no engine-specific request interception needed).
 */
export async function startSlowAssets(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const file = join(DIST, (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '').replace(/\.\.+/g, ''));
    setTimeout(() => {
      if (!existsSync(file) || !/\.(m?js)$/.test(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Access-Control-Allow-Origin': '*' }).end(readFileSync(file));
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** A fixture page whose snippet loads the bundle from `bundleUrl`. */
export function replayPage(bundleUrl: string, script: string): string {
  const config = { writeKey: 'wk_test', banner: false, debug: true, webVitals: false, autoPageViews: false };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Replay</title>${SPIES}
<script>${snippet(bundleUrl)}
touchpoint.init(Object.assign(${JSON.stringify(config)}, { collectorUrl: location.origin }));
touchpoint.consent.set({ analytics: true }, { method: 'cmp' });
${script}</script></head><body><h1>Replay</h1></body></html>`;
}

/** Asserts no page error reached any of the tabs. */
export async function expectNoPageErrors(...tabs: Tab[]): Promise<void> {
  for (const t of tabs) expect(await pageErrors(t)).toEqual([]);
}

/**
 * The reference collector (PGlite in memory, `deviceCookie` on) served first-party: the same origin serves the shop's
 * pages, the built bundle and `/v1/*`, as a shop that proxies the collector under its own domain does.
 */
export async function startFirstPartyShop(pages: Record<string, (origin: string) => string>) {
  const { createCollector } = await import('../../src/collector/index');
  let collector: ReturnType<typeof createCollector> | undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/v1/')) return collector!(req, res);
    const page = pages[path];
    if (page) return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page(url));
    const file = join(DIST, path.replace(/^\/+/, '').replace(/\.\.+/g, ''));
    if (path !== '/' && existsSync(file)) return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(file));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  collector = createCollector({ writeKeys: { wk_test: { allowedOrigins: [url] } }, databaseUrl: 'memory://', rateLimit: false, deviceCookie: true, onError: () => {} });
  await collector.ready;
  return {
    url,
    /** Stored events: anonymousId and the device id the cookie stamped. */
    async events(): Promise<{ event: string | null; anonymousId: string; deviceId?: string }[]> {
      const { rows } = await collector!.db.query<{ event: string | null; anonymous_id: string; body: any }>('SELECT event, anonymous_id, body FROM events ORDER BY received_at');
      return rows.map((r) => ({ event: r.event, anonymousId: r.anonymous_id, deviceId: r.body?.context?.device?.id }));
    },
    async consentMethods(): Promise<string[]> {
      return (await collector!.db.query<{ method: string }>('SELECT method FROM consent_records ORDER BY received_at')).rows.map((r) => r.method);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await collector!.close();
    },
  };
}

/** What the browser's tracking prevention wipes: every script-written store of the origin (run on a page without the SDK). */
export const WIPE_SCRIPT_STORAGE = `(async () => {
  localStorage.clear(); sessionStorage.clear();
  for (const c of document.cookie.split(';')) { const n = c.split('=')[0].trim(); if (n) document.cookie = n + '=; Max-Age=0; Path=/'; }
  await new Promise((r) => { const q = indexedDB.deleteDatabase('touchpoint'); q.onsuccess = q.onerror = q.onblocked = r; });
  return document.cookie;
})()`;

/**
 * A page-side tracking loop, so a test can interleave closes and reloads with tracking: `run(prefix, from, to, gapMs)`
 * tracks `burst_event` `{ i, prefix }` for i in [from, to) with random gaps of up to `gapMs` between events, and
 * resolves (`window.__loop`, `window.__done`) right after the last one. It keeps no copy of the events: only the SDK can
 * deliver them.
 */
// the gaps wait on a MessageChannel, not setTimeout: Firefox and WebKit clamp background tabs' timers to 1 s or more
const LOOP = `window.pause = function (ms) {
  var end = Date.now() + ms, c = new MessageChannel();
  return new Promise(function (r) { c.port1.onmessage = function () { Date.now() >= end ? r() : c.port2.postMessage(0) }; c.port2.postMessage(0) });
};
window.run = function (prefix, from, to, gapMs) {
  window.__done = false;
  return (window.__loop = (async function () {
    for (var i = from; i < to; i++) {
      if (i > from) await pause(Math.random() * gapMs);
      touchpoint.track('burst_event', { i: i, prefix: prefix });
    }
    window.__done = true;
  })());
};`;

/**
 * `trackThenHang(n, prefix)`: tracks n events, lets that task end (microtasks and end-of-task work run), then keeps the
 * main thread busy for `hangMs` from the next task on, so no IndexedDB answer reaches the page: a tab that is about
 * to crash, and does before its writes could commit.
 */
const HANG = `window.trackThenHang = function (n, prefix, hangMs) {
  fire(n, prefix);
  setTimeout(function () { var t = Date.now(); while (Date.now() - t < hangMs) {} }, 0);
};`;

/** A {@link deliveryPage} with the tracking loop `run(prefix, from, to, gapMs)` and `trackThenHang(n, prefix, hangMs)`. */
export const loopPage = (config: Record<string, unknown> = {}) => deliveryPage(config, LOOP + HANG);

/** Starts the page's tracking loop without waiting for it. */
export const startLoop = (tab: Tab, prefix: string, from: number, to: number, gapMs = 15) =>
  tab.evaluate(`(run(${JSON.stringify(prefix)}, ${from}, ${to}, ${gapMs}), 1)`);

/** Resolves right after the loop tracked its last event (one long evaluation: use it where latency matters). */
export const loopFinished = (tab: Tab) => tab.evaluate<boolean>('window.__loop.then(() => true)');

/** Resolves once the loop is done, polling (short evaluations that leave a serial driver free for other tabs). */
export const loopDone = (tab: Tab, timeoutMs = 120_000) => tab.waitFor('window.__done === true', timeoutMs, 'the tracking loop');

/** What the page's outbox holds, as the SDK counts it (IndexedDB records of every tab of the origin). */
export const outboxSize = (tab: Tab) => tab.evaluate<number>('touchpoint.debug().then((d) => (d.outbox && d.outbox.size) || 0)');

/**
 * Which `burst_event`s arrived, against `expected` (prefix → how many, i from 0): what is missing per prefix, which
 * (prefix, i) came under more than one messageId (tracked twice: not a collector-dedupable retry), and how many
 * arrived in all.
 */
export function burstReport(s: TestServer, expected: Record<string, number>) {
  const ids = new Map<string, Set<string>>();
  for (const e of s.unique().values()) {
    if (e.event !== 'burst_event') continue;
    const key = `${e.properties.prefix}:${e.properties.i}`;
    ids.set(key, (ids.get(key) ?? new Set()).add(e.messageId));
  }
  const missing: Record<string, number[]> = {};
  for (const [prefix, n] of Object.entries(expected))
    for (let i = 0; i < n; i++) if (!ids.has(`${prefix}:${i}`)) (missing[prefix] ??= []).push(i);
  const twice = [...ids].filter(([, set]) => set.size > 1).map(([key]) => key);
  const arrived = [...ids.keys()].filter((k) => k.split(':')[0]! in expected).length;
  return { arrived, missing, twice };
}

/** `[3, 4, 5, 9]` → `'3–5, 9'`, for short failure messages. */
export const ranges = (list: number[]) =>
  list
    .reduce<[number, number][]>((out, n) => (out.length && out[out.length - 1]![1] === n - 1 ? (out[out.length - 1]![1] = n) : out.push([n, n]), out), [])
    .map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`))
    .join(', ');
