/**
 * Every real-browser guarantee in every selected engine (TP_ENGINES, all three by default): the same scenarios drive
 * Chromium (playwright-core), Firefox ESR (puppeteer-core over WebDriver BiDi) and WebKitGTK (WebKitWebDriver +
 * webdriverio under Xvfb) against the built bundle and the harness's test collector, asserting on what the collector
 * received and what the browser stored.
 */
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePage, startServer, tempProfile, type TestServer } from '../browser/harness';
import { poll, selectedEngines, type Engine } from './driver';
import {
  banner, consentState, deliveryPage, engineHooks, expectNoPageErrors, FIRST_LAYER, GPC, pressOn, ready, replayPage, setOffline,
  shopPage, startSlowAssets, storageAudit, tracked, NO_INDEXEDDB, NO_WEB_LOCKS, SPIES, startFirstPartyShop, WIPE_SCRIPT_STORAGE,
} from './scenarios';

if (!selectedEngines().length) it.skip('no engine selected (TP_ENGINES=none)', () => {});

for (const name of selectedEngines()) {
  describe(name, () => {
    let engine: Engine;
    let server: TestServer;
    const profile = engineHooks(
      name,
      (e) => {
        engine = e;
        recordVersion(e);
      },
      (s) => (server = s),
    );
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


    describe('delivery', () => {
      it('replays snippet calls made before the bundle arrives, in order, with the time of the call', async () => {
        const slow = await startSlowAssets(700);
        try {
          server.page('/replay.html', replayPage(slow.url + '/touchpoint.js', `window.t0 = Date.now(); touchpoint.track('first', { n: 1 }); touchpoint.identify('user-1', { plan: 'gold' }); touchpoint.track('second', { n: 2 });`));
          const tab = await (await profile()).newTab();
          await tab.goto(server.url + '/replay.html');
          await server.waitFor(() => server.events.length >= 3, 20_000, 'three events');
          const t0 = await tab.evaluate<number>('window.t0');
          const [a, b, c] = server.events;
          expect([a.type, a.event, b.type, b.userId, c.event]).toEqual(['track', 'first', 'identify', 'user-1', 'second']);
          for (const e of [a, b, c]) expect(Math.abs(Date.parse(e.timestamp) - t0)).toBeLessThan(300);
          expect(Date.parse(a.sentAt) - t0).toBeGreaterThanOrEqual(600);
          expect(new Set([a.anonymousId, b.anonymousId, c.anonymousId]).size).toBe(1);
          await expectNoPageErrors(tab);
        } finally {
          await slow.close();
        }
      });

      it('captures one page view per real URL change in an SPA, never two for the same URL', async () => {
        server.page('/app', deliveryPage({ autoPageViews: true }));
        const tab = await (await profile()).newTab();
        await tab.goto(server.url + '/app');
        await server.waitFor(() => server.events.some((e) => e.type === 'page'), 15_000, 'landing page view');
        await tab.evaluate(`(async () => {
          const tick = () => new Promise((r) => setTimeout(r, 50));
          history.pushState({}, '', '/app/products'); await tick();
          history.replaceState({}, '', '/app/products'); await tick();
          history.pushState({}, '', '/app/products'); await tick();
          history.pushState({}, '', '/app/products/42'); await tick();
          location.hash = '#reviews'; await tick();
          history.back(); await tick(); await tick();
          await touchpoint.flush();
        })()`);
        await server.waitFor(() => server.events.filter((e) => e.type === 'page').length >= 5, 15_000, 'five page views');
        await sleep(300);
        const views = server.events.filter((e) => e.type === 'page').map((e) => e.context.page.path + (new URL(e.context.page.url).hash || ''));
        expect(views).toEqual(['/app', '/app/products', '/app/products/42', '/app/products/42#reviews', '/app/products/42']);
        expect(server.events.filter((e) => e.type === 'page')[2].context.page.referrer).toBe(server.url + '/app/products');
        await expectNoPageErrors(tab);
      });

      it('Back to a page is one page view whether the engine restores it from the back/forward cache or reloads it', async () => {
        server.page('/p', deliveryPage({ autoPageViews: true }, `addEventListener('pageshow', function (e) { if (e.persisted) window.__restored = true });`));
        server.page('/next', '<!doctype html><title>next</title><p>next</p>');
        const tab = await (await profile()).newTab();
        await tab.goto(server.url + '/p');
        await ready(tab);
        await server.waitFor(() => server.events.some((e) => e.type === 'page'), 15_000, 'landing page view');
        // Leaving before the SDK has read the collector's answer re-sends the page view from the next page (the
        // collector deduplicates it by messageId); this test is about Back, so it leaves once the answer was read.
        await tab.waitFor('touchpoint.debug().then((d) => d.outbox.size === 0)', 15_000, 'the landing page view acknowledged');
        await tab.goto(server.url + '/next');
        await tab.evaluate('(setTimeout(() => history.back(), 10), 1)');
        await tab.waitFor('location.pathname === "/p" && document.readyState === "complete" && !!window.touchpoint.__touchpoint', 15_000, 'back on /p');
        const restored = await tab.evaluate<boolean>('!!window.__restored');
        await tab.evaluate(`fire(3, 'after_back')`);
        await server.waitFor(() => tracked(server, 'after_back').length === 3, 20_000, 'events after Back');
        await sleep(500);
        console.info(`[engines] ${name}: Back ${restored ? 'restored the page from the back/forward cache' : 'reloaded the page'}`);
        expect(server.events.filter((e) => e.type === 'page').map((e) => e.context.page.path)).toEqual(['/p', '/p']);
        expect(server.duplicates()).toBe(0);
        await expectNoPageErrors(tab);
      });

      it('offline → online: 50 events tracked offline are delivered exactly once', async () => {
        server.page('/p', deliveryPage());
        const p = await profile();
        const tab = await p.newTab();
        await tab.goto(server.url + '/p');
        await ready(tab);
        await sleep(500);
        await setOffline(engine, p, server, true);
        await tab.evaluate(`fire(50, 'offline')`);
        await sleep(2500);
        expect(tracked(server, 'offline')).toHaveLength(0);
        await setOffline(engine, p, server, false);
        await server.waitFor(() => tracked(server, 'offline').length === 50, 45_000, '50 events');
        await sleep(1000);
        expect(tracked(server, 'offline')).toHaveLength(50);
        expect(server.duplicates()).toBe(0);
        // the backlog went as CompressionStream-gzipped batches in this engine too, and the collector inflated them
        expect(server.received.some((r) => r.path === '/v1/batch' && r.encoding === 'gzip')).toBe(true);
        expect(await tab.evaluate('touchpoint.debug().then((d) => d.outbox.kind)')).toBe('indexeddb');
        await expectNoPageErrors(tab);
      });

      it('close → reopen: events of a page closed while offline are delivered by the next page', async () => {
        server.page('/p', deliveryPage());
        const p = await profile();
        const first = await p.newTab();
        await first.goto(server.url + '/p');
        await ready(first);
        await sleep(500);
        await setOffline(engine, p, server, true);
        await first.evaluate(`fire(30, 'closed')`);
        await sleep(800);
        // a second tab keeps the profile alive while the tracked page closes
        const second = await p.newTab();
        await first.close();
        expect(tracked(server, 'closed')).toHaveLength(0);
        await setOffline(engine, p, server, false);
        await second.goto(server.url + '/p');
        await server.waitFor(() => tracked(server, 'closed').length === 30, 45_000, '30 events from the closed page');
        await sleep(500);
        expect(server.duplicates()).toBe(0);
      });

      it('survives a browser restart: records written offline before the restart are sent after it', async (ctx) => {
        if (!engine.persistentProfile) return ctx.skip('WebKitWebDriver starts every session with a fresh profile');
        server.page('/p', deliveryPage());
        const dir = tempProfile();
        try {
          const persistent = engine.persistentProfile.bind(engine, dir.dir);
          let p = await profile(persistent);
          let tab = await p.newTab();
          await tab.goto(server.url + '/p');
          await ready(tab);
          await sleep(500);
          await setOffline(engine, p, server, true);
          await tab.evaluate(`fire(20, 'restart')`);
          await tab.waitFor('touchpoint.debug().then((d) => d.outbox.size >= 20)', 15_000, '20 records written');
          await p.close();
          expect(tracked(server, 'restart')).toHaveLength(0);
          p = await profile(persistent);
          tab = await p.newTab();
          await tab.goto(server.url + '/p');
          await server.waitFor(() => tracked(server, 'restart').length === 20, 30_000, '20 events after the restart');
          await sleep(500);
          expect(server.duplicates()).toBe(0);
          await p.close();
        } finally {
          dir.remove();
        }
      });

      it('two tabs × 300 events on a collector failing half the requests: all unique, none missing, none twice', async () => {
        server.behave(({ path, n }) => (path === '/v1/batch' && n % 2 === 0 ? { status: 503 } : undefined));
        server.page('/p', deliveryPage({ batchSize: 100 }));
        const p = await profile();
        const a = await p.newTab();
        const b = await p.newTab();
        await a.goto(server.url + '/p');
        await b.goto(server.url + '/p');
        await Promise.all([ready(a), ready(b)]);
        await Promise.all([a.evaluate(`fire(300, 'A')`), b.evaluate(`fire(300, 'B')`)]);
        await server.waitFor(() => tracked(server).length === 600, 120_000, '600 unique events');
        await sleep(1500);
        for (const prefix of ['A', 'B']) expect(new Set(tracked(server, prefix).map((e) => e.properties.i)).size).toBe(300);
        // a 503 stores nothing, so any event received twice would be a batch sent by two tabs or resent after a 200
        expect(server.duplicates()).toBe(0);
        await expectNoPageErrors(a, b);
      });

      it('without Web Locks the lease keeps one flusher: two tabs on a flaky collector, none missing, none twice', async () => {
        server.behave(({ path, n }) => (path === '/v1/batch' && n % 2 === 0 ? { status: 503 } : undefined));
        server.page('/p', deliveryPage({ batchSize: 50 }, '', NO_WEB_LOCKS));
        const p = await profile();
        const a = await p.newTab();
        const b = await p.newTab();
        await a.goto(server.url + '/p');
        await b.goto(server.url + '/p');
        await Promise.all([ready(a), ready(b)]);
        expect(await a.evaluate('typeof navigator.locks')).toBe('undefined');
        await Promise.all([a.evaluate(`fire(100, 'A')`), b.evaluate(`fire(100, 'B')`)]);
        await server.waitFor(() => tracked(server).length === 200, 120_000, '200 unique events');
        await sleep(1500);
        expect(server.duplicates()).toBe(0);
        await expectNoPageErrors(a, b);
      });

      it('without IndexedDB the SDK still delivers from memory', async () => {
        server.page('/p', deliveryPage({}, `touchpoint.ready(function () { fire(3, 'memory') });`, NO_INDEXEDDB));
        const tab = await (await profile()).newTab();
        await tab.goto(server.url + '/p');
        await server.waitFor(() => tracked(server, 'memory').length === 3, 20_000, '3 events from memory');
        expect(await tab.evaluate('touchpoint.debug().then((d) => d.outbox.kind)')).toBe('memory');
        await expectNoPageErrors(tab);
      });

      it('page hide: events tracked just before navigating away arrive (keepalive, beacon fallback)', async () => {
        server.page('/p', deliveryPage({ flushIntervalMs: 60_000 }));
        server.page('/next', '<!doctype html><title>next</title><p>next</p>');
        const tab = await (await profile()).newTab();
        await tab.goto(server.url + '/p');
        await ready(tab);
        // let start-up finish (outbox open, leftovers flushed), so only page hide can send what follows
        await sleep(1500);
        await tab.evaluate(`fire(15, 'hide')`);
        await sleep(300);
        await tab.goto(server.url + '/next');
        await server.waitFor(() => tracked(server, 'hide').length === 15, 15_000, '15 events sent on page hide');
        expect(server.received.some((r) => r.path === '/v1/batch' && r.contentType.startsWith('text/plain'))).toBe(true);
      });

      it('page hide beyond the 64 KiB keepalive budget: what does not fit is kept and sent by the next page', async () => {
        server.page('/p', deliveryPage({ flushIntervalMs: 60_000 }, `window.fat = function (n) { for (var i = 0; i < n; i++) touchpoint.track('burst_event', { i: i, prefix: 'fat', pad: 'x'.repeat(4000) }) };`));
        server.page('/next', '<!doctype html><title>next</title><p>next</p>');
        const tab = await (await profile()).newTab();
        await tab.goto(server.url + '/p');
        await ready(tab);
        await sleep(1500);
        await tab.evaluate('fat(40)'); // ≈ 160 KiB: more than one page's keepalive budget
        await sleep(300);
        await tab.goto(server.url + '/next');
        await sleep(1500);
        const onHide = tracked(server, 'fat').length;
        await tab.goto(server.url + '/p');
        await server.waitFor(() => tracked(server, 'fat').length === 40, 30_000, 'all 40 large events');
        const hideBytes = server.received.filter((r) => r.contentType.startsWith('text/plain') && r.path === '/v1/batch').map((r) => JSON.stringify(r.body).length);
        console.info(`[engines] ${name}: page hide delivered ${onHide}/40 large events in ${hideBytes.length} keepalive requests; the next page sent the rest`);
        expect(hideBytes.every((b) => b <= 64 * 1024)).toBe(true);
        // a keepalive answer arrives after the page is gone, so those records are resent (at least once; the collector
        // dedups by messageId): resends are only ever of events already sent on hide
        await sleep(500);
        expect(server.duplicates()).toBeLessThanOrEqual(onHide);
      });

      it('a collector on another origin: CORS batches, the consent record and page-hide delivery all arrive', async () => {
        const collector = await startServer();
        try {
          const crossOrigin = (html: string) => html.replace('collectorUrl: location.origin', `collectorUrl: ${JSON.stringify(collector.url)}`);
          server.page('/p', crossOrigin(deliveryPage({ flushIntervalMs: 60_000 }, `touchpoint.ready(function () { fire(5, 'cors'); touchpoint.flush() });`)));
          server.page('/next', '<!doctype html><title>next</title><p>next</p>');
          const tab = await (await profile()).newTab();
          await tab.goto(server.url + '/p');
          await collector.waitFor(() => tracked(collector, 'cors').length === 5, 20_000, 'CORS batch');
          expect(collector.received.find((r) => r.path === '/v1/batch')!.contentType).toContain('application/json');
          await collector.waitFor(() => collector.consentRecords.length === 1, 10_000, 'consent record');
          await sleep(1000);
          await tab.evaluate(`fire(5, 'cors_hide')`);
          await sleep(300);
          await tab.goto(server.url + '/next');
          await collector.waitFor(() => tracked(collector, 'cors_hide').length === 5, 15_000, 'page-hide batch across origins');
          expect(server.requests.filter((r) => r.path.startsWith('/v1/'))).toEqual([]);
        } finally {
          await collector.close();
        }
      });

      it('honours Retry-After on 429', async () => {
        let first = 0;
        server.behave(({ path }) => {
          if (path !== '/v1/batch' || first) return undefined;
          first = Date.now();
          return { status: 429, headers: { 'Retry-After': '3' } };
        });
        server.page('/p', deliveryPage());
        const tab = await (await profile()).newTab();
        await tab.goto(server.url + '/p');
        await ready(tab);
        await tab.evaluate(`fire(5, 'retry')`);
        await server.waitFor(() => tracked(server, 'retry').length === 5, 30_000, '5 events after Retry-After');
        const batches = server.received.filter((r) => r.path === '/v1/batch');
        expect(batches[1]!.time - first).toBeGreaterThanOrEqual(2900);
      });
    });

    describe('consent', () => {
      it('no storage and no requests before consent; after accepting (keyboard) the events flow', async () => {
        server.page('/shop.html', shopPage(server));
        const p = await profile();
        const tab = await p.newTab();
        await tab.goto(server.url + '/shop.html');
        await tab.waitFor(`!!${banner(FIRST_LAYER)}`, 30_000, 'banner');
        await tab.evaluate(`touchpoint.track('product_viewed', { sku: 'A1' })`);
        await sleep(1500);
        expect(await storageAudit(tab, p, server.url)).toEqual({ cookie: '', local: 0, session: 0, idb: [], opens: 0, jar: [] });
        expect(server.requests.filter((r) => r.path.startsWith('/v1/'))).toEqual([]);
        expect((await consentState(tab)).status).toBe('pending');

        await pressOn(tab, `${FIRST_LAYER} [data-touchpoint-action="accept-all"]`);
        await server.waitFor(() => server.consentRecords.length === 1, 15_000, 'proof record');
        expect(server.consentRecords[0]).toMatchObject({ method: 'accept_all', layer: 'banner', locale: 'de', denied: [] });
        // by default events before a decision are dropped; the landing page view is captured on grant, then events flow
        await server.waitFor(() => server.events.some((e) => e.type === 'page'), 15_000, 'landing page view');
        await tab.evaluate(`touchpoint.track('cart_viewed')`);
        await server.waitFor(() => server.events.some((e) => e.event === 'cart_viewed'), 15_000, 'event after consent');
        expect(server.events.some((e) => e.event === 'product_viewed')).toBe(false);
        const jar = await p.cookies(server.url);
        expect(jar.find((c) => c.name === 'tp_consent')).toMatchObject({ httpOnly: false });
        await expectNoPageErrors(tab);
      });

      it('a page pinning touchpoint.js with SRI loads the banner pinned; an altered banner chunk never runs', async () => {
        const sri = JSON.parse(readFileSync('dist/sri.json', 'utf8')) as Record<string, string>;
        const pinned = shopPage(server, '', `integrity="${sri['touchpoint.js']}" crossorigin="anonymous"`);
        const fetched = (f: string) => server.requests.filter((r) => r.path === '/' + f).length;
        server.page('/shop.html', pinned);
        const tab = await (await profile()).newTab();
        await tab.goto(server.url + '/shop.html');
        await tab.waitFor(`!!${banner(FIRST_LAYER)}`, 30_000, 'banner');
        expect([fetched('touchpoint-sri.mjs'), fetched('touchpoint-banner.mjs')]).toEqual([1, 1]);
        await expectNoPageErrors(tab);

        const real = readFileSync('dist/touchpoint-banner.mjs', 'utf8');
        server.route('/touchpoint-banner.mjs', (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/javascript', 'Access-Control-Allow-Origin': '*' }).end('window.__tampered = true;\n' + real);
        });
        const other = await (await profile()).newTab();
        await other.goto(server.url + '/shop.html');
        await ready(other);
        await server.waitFor(() => fetched('touchpoint-banner.mjs') === 2, 15_000, 'the altered chunk requested');
        await sleep(1000);
        expect(await other.evaluate('[window.__tampered === true, !!' + banner(FIRST_LAYER) + ', touchpoint.consent.get().status]')).toEqual([false, false, 'pending']);
      });

      it('reject (keyboard) is remembered across a reload: no banner, nothing but the proof record sent', async () => {
        server.page('/shop.html', shopPage(server));
        const p = await profile();
        const tab = await p.newTab();
        await tab.goto(server.url + '/shop.html');
        await pressOn(tab, `${FIRST_LAYER} [data-touchpoint-action="reject-all"]`);
        await server.waitFor(() => server.consentRecords.length === 1, 15_000, 'proof record');
        await tab.goto(server.url + '/shop.html');
        await tab.waitFor('touchpoint.consent && touchpoint.consent.get && touchpoint.consent.get().status === "decided"', 15_000, 'stored decision');
        await tab.evaluate(`touchpoint.track('after_reject')`);
        await sleep(1000);
        expect(await consentState(tab)).toMatchObject({ status: 'decided', method: 'reject_all' });
        expect(await tab.evaluate(`!${banner(FIRST_LAYER)}`)).toBe(true);
        expect(server.requests.filter((r) => r.path.startsWith('/v1/') && r.path !== '/v1/consent')).toEqual([]);
        const audit = await storageAudit(tab, p, server.url);
        expect(audit).toMatchObject({ local: 0, session: 0, idb: [], opens: 0, jar: ['tp_consent'] });
      });

      it('accept then withdraw: queued events are deleted, the device id goes, the withdrawal is recorded', async () => {
        server.page('/p', deliveryPage({ cookieDomain: '127.0.0.1' }));
        const p = await profile();
        const tab = await p.newTab();
        await tab.goto(server.url + '/p');
        await ready(tab);
        await tab.evaluate(`fire(3, 'before')`);
        await server.waitFor(() => tracked(server, 'before').length === 3, 15_000, 'events before withdrawal');
        // the collector now refuses batches, so the next events wait in the outbox
        server.behave(({ path }) => (path === '/v1/batch' ? { status: 503 } : undefined));
        await tab.evaluate(`fire(5, 'queued')`);
        await tab.waitFor('touchpoint.debug().then((d) => d.outbox.size >= 5)', 15_000, 'five queued events');
        await tab.evaluate(`touchpoint.consent.set({ analytics: false })`);
        const withdrawnAt = Date.now();
        // a retry already in flight cannot be recalled: the collector keeps refusing a little longer, then recovers
        await sleep(1500);
        server.behave(undefined);
        await server.waitFor(() => server.consentRecords.some((r) => r.method === 'withdrawal'), 15_000, 'withdrawal record');
        await tab.waitFor('indexedDB.databases().then((l) => !l.some((d) => d.name === "touchpoint"))', 15_000, 'outbox database deleted');
        await tab.evaluate(`touchpoint.flush()`);
        await sleep(1500);
        const sentLater = server.received.filter((r) => r.path === '/v1/batch' && r.time > withdrawnAt + 250).flatMap((r) => (r.body as any)?.batch ?? []);
        expect(sentLater.filter((e: any) => e.properties?.prefix === 'queued')).toEqual([]);
        expect(tracked(server, 'queued')).toHaveLength(0);
        expect(await tab.evaluate('document.cookie.includes("tp_id=")')).toBe(false);
        expect(await tab.evaluate('touchpoint.debug().then((d) => d.anonymousId ?? null)')).toBe(null);
      });

      it('GPC starts the visitor as denied with a gpc record; opting in by keyboard stays possible', async () => {
        server.page('/shop.html', shopPage(server, GPC));
        const p = await profile();
        const tab = await p.newTab();
        await tab.goto(server.url + '/shop.html');
        await server.waitFor(() => server.consentRecords.length === 1, 15_000, 'gpc record');
        expect(server.consentRecords[0]).toMatchObject({ method: 'gpc', layer: 'none', granted: ['necessary'] });
        expect(await consentState(tab)).toMatchObject({ status: 'decided', method: 'gpc', signal: 'gpc' });
        await tab.waitFor(`!!${banner(FIRST_LAYER)}`, 15_000, 'GPC notice');
        expect(await tab.evaluate(`!${banner(`${FIRST_LAYER} [data-touchpoint-action="accept-all"]`)}`)).toBe(true);
        expect(server.requests.filter((r) => r.path === '/v1/batch')).toEqual([]);
        await pressOn(tab, `${FIRST_LAYER} [data-touchpoint-action="open-preferences"]`);
        await tab.waitFor(`!!${banner('dialog[open]')}`, 10_000, 'preferences dialog');
        await pressOn(tab, 'dialog [role="switch"]:not([disabled])', 'Space');
        await pressOn(tab, 'dialog [data-touchpoint-action="save-preferences"]');
        await tab.waitFor('touchpoint.consent.get().method === "custom"', 10_000, 'custom decision');
        expect(await consentState(tab)).toMatchObject({ method: 'custom', granted: ['necessary', 'analytics'] });
      });

      it('the banner keyboard path: focus enters the dialog, Escape closes it undecided and returns focus, Enter rejects', async () => {
        server.page('/shop.html', shopPage(server));
        const tab = await (await profile()).newTab();
        await tab.goto(server.url + '/shop.html');
        await pressOn(tab, `${FIRST_LAYER} [data-touchpoint-action="open-preferences"]`);
        await tab.waitFor(`!!${banner('dialog[open]')}`, 10_000, 'preferences dialog');
        const root = `document.getElementById('tp-consent').shadowRoot`;
        await tab.waitFor(`!!${root}.activeElement && ${root}.querySelector('dialog').contains(${root}.activeElement)`, 5000, 'focus inside the dialog');
        await tab.press('Escape');
        await tab.waitFor(`!${banner('dialog[open]')}`, 5000, 'dialog closed');
        expect(await tab.evaluate(`${root}.activeElement?.getAttribute('data-touchpoint-action')`)).toBe('open-preferences');
        expect((await consentState(tab)).status).toBe('pending');
        await tab.press('Tab');
        expect((await consentState(tab)).status).toBe('pending');
        await pressOn(tab, `${FIRST_LAYER} [data-touchpoint-action="reject-all"]`);
        await tab.waitFor('touchpoint.consent.get().status === "decided"', 10_000, 'decision');
        expect((await consentState(tab)).method).toBe('reject_all');
        await expectNoPageErrors(tab);
      });
    });

    describe('identity', () => {
      it('two browser profiles: different anonymousIds, the same userId after identify', async () => {
        server.page('/p', deliveryPage({}, `touchpoint.ready(function () { touchpoint.track('visit_started', { who: location.hash.slice(1) }) });`));
        const ids: string[] = [];
        for (const who of ['phone', 'laptop']) {
          const p = await profile();
          const tab = await p.newTab();
          await tab.goto(`${server.url}/p#${who}`);
          await server.waitFor(() => server.events.some((e) => e.event === 'visit_started' && e.properties.who === who), 15_000, `${who} visit`);
          await tab.evaluate(`touchpoint.identify('user-42', { plan: 'gold' })`);
          await tab.evaluate(`touchpoint.track('after_login', { who: '${who}' })`);
          await server.waitFor(() => server.events.some((e) => e.event === 'after_login' && e.properties.who === who), 15_000, `${who} login`);
          ids.push(server.events.find((e) => e.event === 'visit_started' && e.properties.who === who)!.anonymousId);
          await p.close();
        }
        expect(ids[0]).not.toBe(ids[1]);
        // a profile closed before its tab read the collector's answer re-sends the identify on page hide: one event
        // per messageId, as the collector stores it
        const identifies = [...new Map(server.events.filter((e) => e.type === 'identify').map((e) => [e.messageId, e])).values()];
        expect(identifies.map((e) => e.userId)).toEqual(['user-42', 'user-42']);
        expect(new Set(identifies.map((e) => e.anonymousId))).toEqual(new Set(ids));
        for (const e of server.events.filter((x) => x.event === 'after_login')) expect(e.userId).toBe('user-42');
      });

      it('first-party device cookie: HttpOnly, set only after consent, recognises the visitor after a storage wipe, cleared on withdrawal', async () => {
        const shop = await startFirstPartyShop({
          '/p': (origin) => fixturePage({ config: { autoPageViews: false }, head: SPIES }).replace('collectorUrl: location.origin', `collectorUrl: ${JSON.stringify(origin)}`),
          '/blank': () => '<!doctype html><title>blank</title><p>no SDK here</p>',
        });
        try {
          const p = await profile();
          const tab = await p.newTab();
          await tab.goto(shop.url + '/p');
          await ready(tab);
          await tab.evaluate(`touchpoint.track('before_consent')`);
          await sleep(1000);
          expect((await p.cookies(shop.url)).map((c) => c.name)).toEqual([]);
          expect(await shop.events()).toEqual([]);

          await tab.evaluate(`touchpoint.consent.set({ analytics: true })`);
          await tab.evaluate(`touchpoint.track('first_visit')`);
          await poll(async () => (await shop.events()).some((e) => e.event === 'first_visit'), 20_000, 'first visit stored');
          const first = (await shop.events()).find((e) => e.event === 'first_visit')!;
          const cookie = (await p.cookies(shop.url)).find((c) => c.name === 'tp_device');
          expect(cookie).toMatchObject({ value: first.anonymousId, httpOnly: true });
          expect(await tab.evaluate('document.cookie')).not.toContain('tp_device');

          // a week later the browser has wiped every script-written store; the HttpOnly cookie is still there
          await tab.goto(shop.url + '/blank');
          expect(await tab.evaluate(WIPE_SCRIPT_STORAGE)).toBe('');
          await tab.goto(shop.url + '/p');
          await ready(tab);
          expect((await consentState(tab)).status).toBe('pending');
          await tab.evaluate(`touchpoint.consent.set({ analytics: true })`);
          await tab.evaluate(`touchpoint.track('returned')`);
          await poll(async () => (await shop.events()).some((e) => e.event === 'returned'), 20_000, 'return visit stored');
          const returned = (await shop.events()).find((e) => e.event === 'returned')!;
          expect(returned.anonymousId).not.toBe(first.anonymousId);
          expect(returned.deviceId).toBe(first.anonymousId);

          await tab.evaluate(`touchpoint.consent.set({ analytics: false })`);
          await poll(async () => (await shop.consentMethods()).includes('withdrawal'), 20_000, 'withdrawal record');
          await poll(async () => !(await p.cookies(shop.url)).some((c) => c.name === 'tp_device'), 10_000, 'device cookie cleared');
        } finally {
          await shop.close();
        }
      });
    });
  });
}

/** Writes the engines' versions next to the JSON results, for the README's compatibility table. */
function recordVersion(engine: Engine): void {
  try {
    mkdirSync('test-results', { recursive: true });
    const file = 'test-results/engines.json';
    const all = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
    all[engine.name] = engine.version;
    writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
  } catch {
    // only a report
  }
}
