/**
 * The foundation in real headless Chromium against the built snippet and bundle: data-* configuration, campaign and
 * channel, URL redaction, web vitals, robustness. Snippet replay and SPA page views run in every engine: test/engines/.
 */
import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { fixturePage, useBrowserSuite, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;

useBrowserSuite({ browser: (b) => (browser = b), server: (s) => (server = s) });

async function open(path: string, init?: (p: Page) => Promise<void>) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await init?.(page);
  await page.goto(server.url + path);
  return { context, page, errors };
}

const granted = { analytics: true };

describe('script-tag snippet', () => {
  it('is configured by data-* attributes on a plain script tag', async () => {
    server.page('/attrs.html', `<!doctype html><html lang="de"><head><title>Attrs</title>
<script async src="/touchpoint.js" data-write-key="wk_attr" data-collector-url="${server.url}" data-banner="false" data-web-vitals="false" data-debug="true"></script>
</head><body><button id="go">go</button><script>
document.getElementById('go').onclick = () => { touchpoint.consent.set({ analytics: true }, { method: 'cmp' }); touchpoint.track('clicked') };
</script></body></html>`);
    const { page, context } = await open('/attrs.html');
    await page.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
    await page.click('#go');
    await server.waitFor(() => server.events.some((e) => e.event === 'clicked'), 10_000, 'clicked');
    const batchRequest = server.received.find((r) => r.path === '/v1/batch')!;
    expect(batchRequest.contentType).toContain('application/json');
    const pageView = server.events.find((e) => e.type === 'page')!;
    expect(pageView.context.page.path).toBe('/attrs.html');
    expect(pageView.context.library.name).toBe('touchpoint');
    await context.close();
  });
});

describe('automatic touchpoints', () => {
  it('attributes the campaign and channel of arrival and redacts secrets from every URL', async () => {
    server.page('/landing', fixturePage({ decide: granted }));
    const { context } = await open('/landing?utm_source=google&utm_medium=cpc&utm_campaign=winter_sale&gclid=abc123&email=jane%40example.com&token=s3cret');
    await server.waitFor(() => server.events.some((e) => e.type === 'page'), 10_000, 'page view');
    const view = server.events.find((e) => e.type === 'page')!;
    expect(view.context.campaign).toMatchObject({ source: 'google', medium: 'cpc', name: 'winter_sale', gclid: 'abc123' });
    expect(view.context.channel).toBe('Paid Search');
    expect(view.context.page.url).not.toContain('jane');
    expect(view.context.page.url).not.toContain('s3cret');
    expect(view.context.page.url).toContain('token=REDACTED');
    expect(JSON.stringify(view)).not.toContain('jane%40example.com');
    await context.close();
  });

  it('reports web vitals once each per page view from the lazy chunk', async () => {
    server.page('/vitals', fixturePage({ decide: granted, config: { webVitals: true }, body: '<h1>Big heading for LCP</h1><p>text</p><button id="b">b</button>' }));
    const { page, context } = await open('/vitals');
    await page.click('#b');
    await page.waitForTimeout(300);
    await server.waitFor(() => server.requests.some((r) => r.path === '/touchpoint-vitals.mjs'), 10_000, 'vitals chunk');
    // hiding the page finalises LCP, CLS and INP
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await server.waitFor(() => server.events.filter((e) => e.event === 'web_vitals_measured').length >= 3, 15_000, 'vitals');
    const names = server.events.filter((e) => e.event === 'web_vitals_measured').map((e) => e.properties.name);
    expect(names).toEqual(expect.arrayContaining(['FCP', 'TTFB', 'LCP']));
    expect(new Set(names).size).toBe(names.length);
    await context.close();
  });
});

describe('robustness', () => {
  it('never throws into the page and keeps working after bad input', async () => {
    server.page('/bad', fixturePage({
      decide: granted,
      config: { autoPageViews: false, notAKey: 1 },
      script: `
      window.results = [];
      const cyclic = {}; cyclic.self = cyclic;
      const calls = [
        () => touchpoint.track(123),
        () => touchpoint.track(''),
        () => touchpoint.track('cyclic', cyclic),
        () => touchpoint.track('big', { blob: 'x'.repeat(100000) }),
        () => touchpoint.track('bigint', { n: 10n }),
        () => touchpoint.identify(42),
        () => touchpoint.page({}),
        () => touchpoint.on('event', () => { throw new Error('handler bug') }),
        () => touchpoint.ready(() => { throw new Error('ready bug') }),
      ];
      window.addEventListener('load', () => setTimeout(() => {
        for (const c of calls) { try { window.results.push(typeof c()) } catch (e) { window.results.push('threw') } }
        touchpoint.track('still_working');
      }, 100));`,
    }));
    const { page, context, errors } = await open('/bad');
    await server.waitFor(() => server.events.some((e) => e.event === 'still_working'), 10_000, 'valid event after bad ones');
    const results = await page.evaluate(() => (window as any).results as string[]);
    expect(results).not.toContain('threw');
    expect(server.events.map((e) => e.event)).toEqual(['still_working']);
    expect(errors).toEqual([]);
    const flushResult = await page.evaluate(() => (window as any).touchpoint.flush().then(() => 'resolved', () => 'rejected'));
    expect(flushResult).toBe('resolved');
    await context.close();
  });

  it('fails closed on a config it cannot run: one console error, no requests, page keeps working', async () => {
    server.page('/broken', `<!doctype html><html><head><title>b</title><script src="/touchpoint.js"></script>
<script>touchpoint.init({ collectorUrl: 'nope' }); touchpoint.track('x'); window.ok = 1;</script></head><body></body></html>`);
    const consoleErrors: string[] = [];
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(server.url + '/broken');
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as any).ok)).toBe(1);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors.length).toBeGreaterThanOrEqual(1);
    expect(consoleErrors.join(' ')).toMatch(/writeKey|collectorUrl/);
    expect(server.requests.filter((r) => r.path.startsWith('/v1/'))).toEqual([]);
    await context.close();
  });
});
