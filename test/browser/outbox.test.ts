/**
 * Delivery guarantees in real headless Chromium against the built bundle and a test collector that goes down,
 * answers 503/429 with Retry-After, and counts duplicates by messageId.
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
  it('1. offline: 50 events while offline are delivered exactly once when back online', async () => {
    server.page('/p', page({}, fire(0, '')));
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(server.url + '/p');
    await tab.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
    await context.setOffline(true);
    await tab.evaluate(() => (window as any).fire(50, 'offline'));
    await tab.waitForTimeout(2500);
    expect(tracked(server, 'offline')).toHaveLength(0);
    await context.setOffline(false);
    await server.waitFor(() => tracked(server, 'offline').length === 50, 20_000, '50 events');
    await tab.waitForTimeout(1000);
    expect(tracked(server, 'offline')).toHaveLength(50);
    expect(server.duplicates()).toBe(0);
    await context.close();
  });

  it('2. events of a page closed while offline are delivered by the next page of the origin', async () => {
    server.page('/p', page({}, fire(0, '')));
    const context = await browser.newContext();
    const first = await context.newPage();
    await first.goto(server.url + '/p');
    await first.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
    await context.setOffline(true);
    await first.evaluate(() => (window as any).fire(30, 'closed'));
    await first.waitForTimeout(500);
    // a blank tab keeps the browser context alive while the tracked page closes
    const second = await context.newPage();
    await first.close();
    expect(tracked(server, 'closed')).toHaveLength(0);
    await context.setOffline(false);
    await second.goto(server.url + '/p');
    await server.waitFor(() => tracked(server, 'closed').length === 30, 20_000, '30 events from the closed page');
    expect(server.duplicates()).toBe(0);
    await context.close();
  });

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

  it('3. two tabs × 500 events with the collector failing half the requests: 1000 unique, none missing', async () => {
    server.behave(({ path, n }) => (path === '/v1/batch' && n % 2 === 0 ? { status: 503 } : undefined));
    server.page('/p', page({ batchSize: 100 }, fire(0, '')));
    const context = await browser.newContext();
    const a = await context.newPage();
    const b = await context.newPage();
    await Promise.all([a.goto(server.url + '/p'), b.goto(server.url + '/p')]);
    await Promise.all([a, b].map((t) => t.waitForFunction(() => (window as any).touchpoint?.__touchpoint)));
    await Promise.all([a.evaluate(() => (window as any).fire(500, 'A')), b.evaluate(() => (window as any).fire(500, 'B'))]);
    await server.waitFor(() => tracked(server).length === 1000, 90_000, '1000 unique events');
    expect(tracked(server, 'A')).toHaveLength(500);
    expect(tracked(server, 'B')).toHaveLength(500);
    const indexes = (p: string) => new Set(tracked(server, p).map((e) => e.properties.i));
    expect(indexes('A').size).toBe(500);
    expect(indexes('B').size).toBe(500);
    // reported, not asserted to be zero: at-least-once delivery may resend what a failed answer did not confirm
    console.info(`[outbox] two tabs on a flaky collector: ${server.events.length} events received, ${server.duplicates()} duplicates before dedup`);
    await context.close();
  });

  it('honours Retry-After on 429', async () => {
    let first = 0;
    server.behave(({ path }) => {
      if (path !== '/v1/batch') return undefined;
      if (!first) {
        first = Date.now();
        return { status: 429, headers: { 'Retry-After': '3' } };
      }
      return undefined;
    });
    server.page('/p', page({}, fire(0, '')));
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(server.url + '/p');
    await tab.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
    await tab.evaluate(() => (window as any).fire(5, 'retry'));
    await server.waitFor(() => tracked(server, 'retry').length === 5, 20_000, '5 events after Retry-After');
    const batches = server.received.filter((r) => r.path === '/v1/batch');
    expect(batches[1].time - first).toBeGreaterThanOrEqual(2900);
    await context.close();
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

  it('delivers on page hide by keepalive: events tracked just before navigating away arrive', async () => {
    server.page('/p', page({ flushIntervalMs: 60_000 }, fire(0, '')));
    server.page('/next', '<!doctype html><title>next</title><p>next</p>');
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(server.url + '/p');
    await tab.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
    // let start-up finish (outbox open, leftovers flushed), so only page hide can send what follows
    await tab.waitForTimeout(1500);
    await tab.evaluate(() => (window as any).fire(15, 'hide'));
    await tab.waitForTimeout(300);
    await tab.goto(server.url + '/next');
    await server.waitFor(() => tracked(server, 'hide').length === 15, 10_000, '15 events sent on page hide');
    expect(server.received.some((r) => r.path === '/v1/batch' && r.contentType.startsWith('text/plain'))).toBe(true);
    await context.close();
  });
});
