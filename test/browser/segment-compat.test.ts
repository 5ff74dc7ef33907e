/**
 * The other direction: the real `@segment/analytics-next` browser SDK (its UMD build from node_modules) in headless
 * Chromium, pointed at our collector on 127.0.0.1 with inline CDN settings so nothing goes to the internet. Its page,
 * track and identify calls are stored and joined into the same profile as Touchpoint's events for the same user, so a shop can
 * migrate one page at a time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { fixturePage, useBrowserSuite, type TestServer } from './harness';
import { serve } from '../collector/helpers';

let browser: Browser;
let server: TestServer;
useBrowserSuite({ browser: (b) => (browser = b), server: (s) => (server = s) });

const UMD = join(process.cwd(), 'node_modules/@segment/analytics-next/dist/umd');
const WRITE_KEY = 'wk_segment_compat';

/** Serves analytics-next's UMD build and its lazy bundles from the test server. */
function serveAnalyticsNext(s: TestServer): void {
  for (const f of readdirSync(UMD).filter((f) => f.endsWith('.js'))) {
    const js = readFileSync(join(UMD, f), 'utf8');
    s.page(`/ajs/${f}`, js, { 'Content-Type': 'text/javascript' });
    s.page(`/ajs/analytics-next/bundles/${f}`, js, { 'Content-Type': 'text/javascript' });
  }
}

describe('Segment-compatible traffic from @segment/analytics-next', () => {
  it('stores its page, track and identify calls, with the same userId as Touchpoint\'s events for that user', async () => {
    const collector = await serve({ databaseUrl: 'memory://', writeKeys: { [WRITE_KEY]: { allowedOrigins: [server.url] } } });
    try {
      serveAnalyticsNext(server);
      const apiHost = collector.url.replace(/^http:\/\//, '') + '/v1';
      const settings = {
        integrations: { 'Segment.io': { apiKey: WRITE_KEY, apiHost, protocol: 'http' } },
        plan: { track: { __default: { enabled: true } } },
        metrics: { sampleRate: 0 },
        remotePlugins: [],
      };
      // an old page still on analytics.js …
      server.page('/legacy', `<!doctype html><html><head><title>Legacy</title><script src="/ajs/index.js"></script><script>
        window.sent = AnalyticsNext.AnalyticsBrowser.load(
          { writeKey: ${JSON.stringify(WRITE_KEY)}, cdnSettings: ${JSON.stringify(settings)}, cdnURL: location.origin + '/ajs' },
          { integrations: { 'Segment.io': { apiHost: ${JSON.stringify(apiHost)}, protocol: 'http' } } },
        ).then(async ([analytics]) => {
          await analytics.page('Legacy page', { section: 'old' });
          await analytics.track('product_viewed', { product_id: 'A-1', price: 59.9, currency: 'EUR' });
          await analytics.identify('u-42', { plan: 'gold' });
          await analytics.page();
          await analytics.group('g-1', { name: 'Shop' });
          await analytics.alias('u-42b');
          return analytics.user().anonymousId();
        });
      </script></head><body>legacy</body></html>`);
      // … and a migrated page on Touchpoint, for the same user
      server.page('/new', fixturePage({
        decide: { analytics: true },
        config: { writeKey: WRITE_KEY, autoPageViews: false },
        script: `touchpoint.ready(() => { touchpoint.identify('u-42', { plan: 'gold' }); touchpoint.track('order_completed', { order_id: 'o-1', revenue: 59.9, currency: 'EUR' }); touchpoint.flush(); });`,
      }).replace('{ collectorUrl: location.origin }', `{ collectorUrl: ${JSON.stringify(collector.url)} }`));

      const context = await browser.newContext();
      const tab = await context.newPage();
      const outside: string[] = [];
      tab.on('request', (r) => !r.url().startsWith('http://127.0.0.1') && outside.push(r.url()));
      await tab.goto(server.url + '/legacy');
      const ajsAnonymousId = await tab.evaluate(() => (window as any).sent);
      expect(ajsAnonymousId).toEqual(expect.any(String));
      await tab.goto(server.url + '/new');

      type Row = { type: string; event: string | null; user_id: string | null; anonymous_id: string | null; body: any };
      const rows = async () => (await collector.collector.db.query<Row>('SELECT type, event, user_id, anonymous_id, body FROM events ORDER BY received_at')).rows;
      const deadline = Date.now() + 20_000;
      while ((await rows()).length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const stored = await rows();
      const ajs = stored.filter((r) => String(r.body.context?.library?.name).includes('analytics.js'));
      const tp = stored.filter((r) => r.body.context?.library?.name === 'touchpoint');

      // every call type analytics.js sends (page without a name, group and alias too) is stored
      expect(ajs.map((r) => [r.type, r.event])).toEqual([['page', 'Legacy page'], ['track', 'product_viewed'], ['identify', null], ['page', null], ['group', null], ['alias', null]]);
      expect(ajs[4].body).toMatchObject({ groupId: 'g-1', traits: { name: 'Shop' } });
      expect(ajs[5].body).toMatchObject({ previousId: 'u-42', _metadata: { bundled: ['Segment.io'] } });
      expect(ajs.every((r) => r.anonymous_id === ajsAnonymousId)).toBe(true);
      expect(ajs[1].body.properties).toEqual({ product_id: 'A-1', price: 59.9, currency: 'EUR' });
      expect(ajs[2]).toMatchObject({ user_id: 'u-42', body: { traits: { plan: 'gold' } } });
      expect(tp.map((r) => [r.type, r.event])).toEqual([['identify', null], ['track', 'order_completed']]);
      expect(tp.every((r) => r.user_id === 'u-42')).toBe(true);
      // one user across both SDKs: the identify calls of both link their device ids to u-42
      const devices = new Set(stored.filter((r) => r.type === 'identify' && r.user_id === 'u-42').map((r) => r.anonymous_id));
      expect(devices).toEqual(new Set([ajsAnonymousId, tp[0].anonymous_id]));
      // …and the collector's identity graph joins both SDKs' devices and events into that user's one profile
      const profile = await collector.collector.profiles.find('user_id', 'u-42');
      expect(new Set(profile?.devices.map((d) => d.anonymousId))).toEqual(devices);
      expect(profile?.touchpoints.total).toBe(stored.length);
      expect(profile?.identities).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'anonymous_id', value: ajsAnonymousId })]));
      expect(outside).toEqual([]);
      await context.close();
    } finally {
      await collector.close();
    }
  });

  it('stores what its batching delivery strategy posts to /v1/b', async () => {
    const collector = await serve({ databaseUrl: 'memory://', writeKeys: { [WRITE_KEY]: { allowedOrigins: [server.url] } } });
    try {
      serveAnalyticsNext(server);
      const apiHost = collector.url.replace(/^http:\/\//, '') + '/v1';
      const segmentIo = { apiKey: WRITE_KEY, apiHost, protocol: 'http', deliveryStrategy: { strategy: 'batching', config: { size: 4, timeout: 300 } } };
      server.page('/batched', `<!doctype html><html><head><title>Batched</title><script src="/ajs/index.js"></script><script>
        AnalyticsNext.AnalyticsBrowser.load(
          { writeKey: ${JSON.stringify(WRITE_KEY)}, cdnSettings: { integrations: { 'Segment.io': ${JSON.stringify(segmentIo)} }, metrics: { sampleRate: 0 }, remotePlugins: [] }, cdnURL: location.origin + '/ajs' },
          { integrations: { 'Segment.io': ${JSON.stringify(segmentIo)} } },
        ).then(([analytics]) => { analytics.page('Batched'); for (let i = 0; i < 3; i++) analytics.track('item_viewed', { i }); });
      </script></head><body>batched</body></html>`);
      const context = await browser.newContext();
      const tab = await context.newPage();
      const posts: string[] = [];
      tab.on('request', (r) => r.method() === 'POST' && posts.push(new URL(r.url()).pathname));
      await tab.goto(server.url + '/batched');
      const count = async () => (await collector.collector.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n;
      const deadline = Date.now() + 15_000;
      while ((await count()) < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await count()).toBe(4);
      expect(posts.length).toBeGreaterThan(0);
      expect(posts.every((p) => p === '/v1/b')).toBe(true);
      await context.close();
    } finally {
      await collector.close();
    }
  });
});
