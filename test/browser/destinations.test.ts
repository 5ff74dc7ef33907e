/**
 * Several destinations at once in real headless Chromium against the built bundle: our collector (the harness) plus
 * local imitations of Segment, Snowplow and PostHog that enforce their acceptance rules. One of them is down for a
 * while and across a reload; every event must arrive exactly once at each, and the lazy format chunks load only
 * when configured.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { fixturePage, useBrowserSuite, type TestServer } from './harness';
import { posthogCollector, segmentCollector, snowplowCollector, type Imitation } from './imitations';

let browser: Browser;
let server: TestServer;
useBrowserSuite({ browser: (b) => (browser = b), server: (s) => (server = s) });

let imitations: Imitation[] = [];
afterEach(async () => {
  await Promise.all(imitations.map((i) => i.close()));
  imitations = [];
});

/** Page views, plain and commerce tracks and an identify, `n` tracks per call. */
const FIRE = `window.fire = (n, tag) => {
  touchpoint.page('Shoe', { tag });
  for (let i = 0; i < n; i++) touchpoint.track('burst_event', { i, tag, pad: 'x'.repeat(60) });
  touchpoint.commerce.productViewed({ product_id: 'A-1', name: 'Shoe', category: 'Shoes', price: 59.9, currency: 'EUR' });
  touchpoint.identify('u-' + tag, { plan: 'gold' });
};`;

describe('several destinations', () => {
  it('delivers every event exactly once to four collectors while one is down for a while and across a reload', async () => {
    const [segment, snowplow, posthog] = (imitations = await Promise.all([segmentCollector('seg_wk'), snowplowCollector(), posthogCollector('phc_test')]));
    posthog.down = true;
    const destinations = [
      { format: 'touchpoint' },
      { format: 'segment', url: segment.url, writeKey: 'seg_wk', gzip: true },
      { format: 'snowplow', url: snowplow.url, appId: 'shop' },
      { format: 'posthog', url: posthog.url, apiKey: 'phc_test' },
    ];
    server.page('/p', fixturePage({ decide: { analytics: true }, config: { autoPageViews: false, destinations }, script: FIRE }));
    const context = await browser.newContext();
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(server.url + '/p');
    await tab.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
    await tab.evaluate(() => (window as any).fire(30, 'one'));
    const total = 33; // page + 30 tracks + product_viewed + identify
    const native = () => [...server.unique().values()].filter((e) => e.type !== 'consent');
    await server.waitFor(() => native().length === total && segment.counts.size === total && snowplow.counts.size === total, 20_000, 'three collectors up');
    // the one that is down never held the others up, and received nothing yet
    expect(posthog.counts.size).toBe(0);
    const info = await tab.evaluate(() => (window as any).touchpoint.debug());
    expect(info.destinations.posthog.lastError).toMatch(/network/);
    expect(info.outbox.size).toBe(total);

    // a reload while PostHog is still down: the new page sends only what PostHog still waits for
    await tab.reload();
    await tab.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
    await tab.waitForTimeout(1500);
    posthog.down = false;
    await tab.evaluate(() => (window as any).fire(5, 'two'));
    const all = total + 8;
    await server.waitFor(() => posthog.counts.size === all && segment.counts.size === all && snowplow.counts.size === all && native().length === all, 40_000, 'every collector has everything').catch(async (e) => {
      // say which collector is behind and why, so a failure here can be read without a rerun
      const state = { posthog: posthog.counts.size, segment: segment.counts.size, snowplow: snowplow.counts.size, native: native().length };
      throw new Error(`${e.message}: ${JSON.stringify(state)} ${JSON.stringify(await tab.evaluate(() => (window as any).touchpoint.debug()))}`);
    });
    await tab.waitForTimeout(1500);

    for (const [name, counts] of [['segment', segment.counts], ['snowplow', snowplow.counts], ['posthog', posthog.counts]] as const) {
      expect([...counts.values()].filter((n) => n !== 1), `${name} duplicates`).toEqual([]);
    }
    expect(server.duplicates()).toBe(0);
    // the same messageIds everywhere
    const ids = new Set(native().map((e) => e.messageId));
    for (const counts of [segment.counts, snowplow.counts, posthog.counts]) expect(new Set(counts.keys())).toEqual(ids);
    // gzip where accepted: our collector and Segment (opted in); not for Snowplow and PostHog
    expect(server.received.some((r) => r.path === '/v1/batch' && r.encoding === 'gzip')).toBe(true);
    expect(segment.log.some((l) => l.encoding === 'gzip' && l.status === 200)).toBe(true);
    expect(snowplow.log.every((l) => !l.encoding)).toBe(true);
    // every request the imitations answered was accepted: nothing failed their rules
    for (const i of imitations) expect(i.log.filter((l) => l.status !== 200)).toEqual([]);
    // Snowplow got commerce as an e-commerce action and the page as pv; PostHog an $identify for the user
    expect(snowplow.events.filter((e) => e.e === 'pv')).toHaveLength(2);
    expect(snowplow.events.some((e) => e.ue_pr?.includes('snowplow_ecommerce_action'))).toBe(true);
    expect(posthog.events.find((e) => e.event === '$identify' && e.distinct_id === 'u-one')?.properties.$set).toEqual({ plan: 'gold' });
    await tab.waitForFunction(async () => (await (window as any).touchpoint.debug()).outbox.size === 0, undefined, { timeout: 10_000 });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('on page hide each destination gets its events by keepalive, in its own format', async () => {
    const [segment, snowplow, posthog] = (imitations = await Promise.all([segmentCollector('seg_wk'), snowplowCollector(), posthogCollector('phc_test')]));
    const destinations = [
      { format: 'touchpoint' },
      { format: 'segment', url: segment.url, writeKey: 'seg_wk' },
      { format: 'snowplow', url: snowplow.url },
      { format: 'posthog', url: posthog.url, apiKey: 'phc_test' },
    ];
    server.page('/p', fixturePage({ decide: { analytics: true }, config: { autoPageViews: false, flushIntervalMs: 60_000, destinations }, script: FIRE }));
    server.page('/next', '<!doctype html><title>next</title><p>next</p>');
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(server.url + '/p');
    await tab.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
    // let start-up finish (outbox open, format chunks loaded), so only page hide can send what follows
    await tab.waitForTimeout(1500);
    await tab.evaluate(() => (window as any).fire(5, 'hide'));
    await tab.waitForTimeout(300);
    await tab.goto(server.url + '/next');
    const n = 8;
    await server.waitFor(() => server.unique().size >= n && segment.counts.size === n && snowplow.counts.size === n && posthog.counts.size === n, 10_000, 'page-hide delivery to all four').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify({ native: server.unique().size, segment: segment.counts.size, snowplow: snowplow.counts.size, posthog: posthog.counts.size })}`);
    });
    expect(server.received.some((r) => r.path === '/v1/batch' && r.contentType.startsWith('text/plain'))).toBe(true);
    await context.close();
  });

  it('loads a format chunk only when a destination names it; the default config loads none', async () => {
    server.page('/plain', fixturePage({ decide: { analytics: true }, config: { autoPageViews: false }, script: FIRE + 'touchpoint.ready(() => fire(1, "p"));' }));
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(server.url + '/plain');
    await server.waitFor(() => server.unique().size >= 4, 15_000, 'native events');
    expect(server.requests.filter((r) => /touchpoint-(segment|snowplow|posthog|custom)\.mjs/.test(r.path))).toEqual([]);
    await context.close();
  });

  it('a custom destination: the developer\'s transform decides URL, headers and body', async () => {
    const script = FIRE + `touchpoint.ready(() => fire(2, 'c'));`;
    // transform is a function, so the config is built in the page
    const html = fixturePage({ decide: { analytics: true }, config: { autoPageViews: false }, script }).replace(
      'touchpoint.init(Object.assign(',
      `touchpoint.init(Object.assign({ destinations: [{ format: 'custom', name: 'hook', transform: (events) => ({ url: location.origin + '/v1/batch', headers: { 'X-Write-Key': 'wk_test' }, body: { batch: events.map((e) => ({ ...e, properties: { ...e.properties, via: 'hook' } })) } }) }] }, `,
    );
    server.page('/custom', html);
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(server.url + '/custom');
    await server.waitFor(() => server.unique().size >= 5, 15_000, 'custom events');
    expect([...server.unique().values()].every((e) => e.properties?.via === 'hook')).toBe(true);
    expect(server.requests.some((r) => r.path === '/touchpoint-custom.mjs')).toBe(true);
    await context.close();
  });
});
