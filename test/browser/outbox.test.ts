/**
 * Delivery guarantees only Chromium's persistent profiles or console can show (browser restart, age cap, the debug
 * message without IndexedDB). Offline, close → reopen, two tabs, Retry-After and page hide run in every engine:
 * test/engines/guarantees.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { fixturePage, launchPersistent, useBrowserSuite, tempProfile, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;

useBrowserSuite({ browser: (b) => (browser = b), server: (s) => (server = s) });

const page = (config: Record<string, unknown> = {}, script = '') =>
  fixturePage({ decide: { analytics: true }, config: { autoPageViews: false, ...config }, script });

const fire = (n: number, prefix: string) => `window.fire = (n, prefix) => { for (let i = 0; i < n; i++) touchpoint.track('burst_event', { i, prefix }) };`
  + (n ? `touchpoint.ready(() => window.fire(${n}, ${JSON.stringify(prefix)}));` : '');

const tracked = (s: TestServer, prefix?: string) => [...s.unique().values()].filter((e) => e.event === 'burst_event' && (!prefix || e.properties.prefix === prefix));

describe('durable outbox', () => {
  it('survives a browser restart: records written before the restart are sent after it', async () => {
    server.page('/p', page({}, fire(0, '')));
    const profile = tempProfile();
    try {
      let context = await launchPersistent(profile.dir);
      let tab = await context.newPage();
      await tab.goto(server.url + '/p');
      await tab.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
      await context.setOffline(true);
      await tab.evaluate(() => (window as any).fire(20, 'restart'));
      await tab.waitForTimeout(800);
      await context.close();
      expect(tracked(server, 'restart')).toHaveLength(0);
      context = await launchPersistent(profile.dir);
      tab = await context.newPage();
      await tab.goto(server.url + '/p');
      await server.waitFor(() => tracked(server, 'restart').length === 20, 20_000, '20 events after restart');
      await context.close();
    } finally {
      profile.remove();
    }
  });

  it('4. a collector down longer than the age cap: what the cap dropped is counted on the wire', async () => {
    server.behave(({ path }) => (path === '/v1/batch' ? 'drop' : undefined));
    // maxAgeDays 0.00003 ≈ 2.6 s
    server.page('/p', page({ outbox: { maxAgeDays: 0.00003 } }, fire(0, '')));
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(server.url + '/p');
    await tab.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
    await tab.evaluate(() => (window as any).fire(10, 'old'));
    await tab.waitForTimeout(4000);
    server.behave(undefined);
    // the collector is back: an 'online' event ends the jittered backoff (which may have grown past a minute), so the
    // test waits on the age cap, not on how long a random backoff step happened to be
    await tab.evaluate(() => window.dispatchEvent(new Event('online')));
    await tab.evaluate(() => (window as any).fire(1, 'new'));
    await server.waitFor(() => tracked(server, 'new').length === 1, 40_000, 'the new event');
    const dropped = server.events.map((e) => e.context?.outbox?.dropped ?? 0).reduce((a, b) => a + b, 0);
    expect(tracked(server, 'old')).toHaveLength(0);
    expect(dropped).toBe(10);
    await context.close();
  });

  it('5. without IndexedDB the SDK still delivers from memory and says so in debug mode', async () => {
    server.page('/p', page({}, fire(3, 'memory')));
    const context = await browser.newContext();
    await context.addInitScript(() => {
      Object.defineProperty(window, 'indexedDB', { get: () => undefined, configurable: true });
    });
    const tab = await context.newPage();
    const warnings: string[] = [];
    tab.on('console', (m) => warnings.push(m.text()));
    await tab.goto(server.url + '/p');
    await server.waitFor(() => tracked(server, 'memory').length === 3, 15_000, '3 events from memory');
    expect(warnings.join('\n')).toMatch(/IndexedDB unavailable/);
    const info = await tab.evaluate(() => (window as any).touchpoint.debug());
    expect(info.outbox.kind).toBe('memory');
    await context.close();
  });

});
