/**
 * Subresource Integrity for the lazy chunks, in real headless Chromium against the built bundle: a page that pins
 * touchpoint.js with `integrity` gets every chunk it loads pinned too (through dist/touchpoint-sri.mjs, whose hash the
 * core carries), an altered chunk never runs, and it works under a strict CSP with Trusted Types.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { useBrowserSuite, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;
useBrowserSuite({ browser: (b) => (browser = b), server: (s) => (server = s) });

const sri = () => JSON.parse(readFileSync('dist/sri.json', 'utf8')) as Record<string, string>;
const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types touchpoint";

/** A shop page whose script tag pins the core with its SRI hash (as the README's quickstart does). */
function pinnedPage(integrity = sri()['touchpoint.js']) {
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Shop</title>
<script src="/touchpoint.js" integrity="${integrity}" crossorigin="anonymous" data-write-key="wk_test" data-collector-url="${server.url}" data-web-vitals="false" data-debug="true"></script>
</head><body><main><h1>Shop</h1></main></body></html>`;
}

async function open(headers?: Record<string, string>) {
  server.page('/shop.html', pinnedPage(), headers);
  const context = await browser.newContext();
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  await page.addInitScript(() => {
    (window as any).__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => (window as any).__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(server.url + '/shop.html');
  return { context, page, logs };
}

const fetched = (file: string) => server.requests.filter((r) => r.path == '/' + file).length;

describe('lazy chunks pinned by SRI', () => {
  it('the manifest lists every chunk with the hash dist/sri.json has for it, and the core carries the manifest hash', () => {
    const hashes = sri();
    const manifest = readFileSync('dist/touchpoint-sri.mjs', 'utf8');
    const listed = JSON.parse(manifest.replace(/^export default /, '').replace(/;\s*$/, '')) as Record<string, string>;
    expect(Object.keys(listed)).toEqual(expect.arrayContaining(['touchpoint-banner.mjs', 'touchpoint-vitals.mjs', 'touchpoint-interop.mjs', 'touchpoint-segment.mjs']));
    for (const [f, h] of Object.entries(listed)) expect(h, f).toBe(hashes[f]);
    expect(readFileSync('dist/touchpoint.js', 'utf8')).toContain(hashes['touchpoint-sri.mjs']);
  });

  it('a pinned page loads the banner through the manifest, each file once, and the visitor can accept', async () => {
    const { context, page } = await open();
    await page.locator('#tp-consent section[role="region"]').first().waitFor({ state: 'visible', timeout: 15_000 });
    expect([fetched('touchpoint-sri.mjs'), fetched('touchpoint-banner.mjs')]).toEqual([1, 1]);
    await page.click('section[role="region"] [data-touchpoint-action="accept-all"]');
    await server.waitFor(() => server.events.some((e) => e.type == 'page'), 15_000, 'the landing page view');
    // the module tags are gone once loaded: the page's DOM is left as it was
    expect(await page.locator('script[type="module"]').count()).toBe(0);
    await context.close();
  });

  it('an altered banner chunk never runs: no banner, nothing stored or sent, a clear message in debug mode', async () => {
    const real = readFileSync('dist/touchpoint-banner.mjs', 'utf8');
    server.route('/touchpoint-banner.mjs', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Access-Control-Allow-Origin': '*' }).end('window.__tampered = true;\n' + real);
    });
    const { context, page, logs } = await open();
    await page.waitForFunction(() => (window as any).touchpoint?.consent?.get?.());
    await new Promise((r) => setTimeout(r, 1500));
    expect(fetched('touchpoint-banner.mjs')).toBe(1);
    expect(await page.evaluate(() => (window as any).__tampered)).toBeUndefined();
    expect(await page.locator('#tp-consent section[role="region"]:not([hidden])').count()).toBe(0);
    expect(await page.evaluate(() => (window as any).touchpoint.consent.get().status)).toBe('pending');
    expect(server.received).toEqual([]);
    expect(await context.cookies()).toEqual([]);
    expect(logs.join('\n')).toMatch(/touchpoint-banner\.mjs did not load or failed its integrity check/);
    await context.close();
  });

  it('an altered manifest stops every chunk from loading', async () => {
    server.route('/touchpoint-sri.mjs', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Access-Control-Allow-Origin': '*' }).end('export default {};\n');
    });
    const { context, page } = await open();
    await page.waitForFunction(() => (window as any).touchpoint?.consent?.get?.());
    await new Promise((r) => setTimeout(r, 1500));
    expect(fetched('touchpoint-sri.mjs')).toBeGreaterThanOrEqual(1);
    expect(fetched('touchpoint-banner.mjs')).toBe(0);
    expect(await page.locator('#tp-consent section[role="region"]:not([hidden])').count()).toBe(0);
    await context.close();
  });

  it('under Trusted Types that allow no "touchpoint" policy, chunks still load, with one console error naming the fix', async () => {
    const { context, page, logs } = await open({ 'Content-Security-Policy': STRICT_CSP.replace('trusted-types touchpoint', 'trusted-types other') });
    await page.locator('#tp-consent section[role="region"]').first().waitFor({ state: 'visible', timeout: 15_000 });
    expect(logs.filter((l) => l.includes('chunks load without their SRI check'))).toEqual([expect.stringContaining('trusted-types touchpoint')]);
    await page.click('section[role="region"] [data-touchpoint-action="accept-all"]');
    await server.waitFor(() => server.events.some((e) => e.type == 'page'), 15_000, 'the landing page view');
    await context.close();
  });

  it('works under a strict CSP with Trusted Types, with no violation', async () => {
    const { context, page } = await open({ 'Content-Security-Policy': STRICT_CSP });
    await page.locator('#tp-consent section[role="region"]').first().waitFor({ state: 'visible', timeout: 15_000 });
    await page.click('section[role="region"] [data-touchpoint-action="accept-all"]');
    await server.waitFor(() => server.events.some((e) => e.type == 'page'), 15_000, 'the landing page view');
    expect(await page.evaluate(() => (window as any).__violations)).toEqual([]);
    await context.close();
  });
});
