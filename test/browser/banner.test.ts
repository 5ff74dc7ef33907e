/**
 * The consent banner in real headless Chromium against the built bundle: axe (WCAG 2.2 AA tags) on the first layer and
 * the open preferences, keyboard operation and focus, trusted-only accept, and config strings rendered as text under a
 * strict CSP with Trusted Types.
 */
import { describe, expect, it } from 'vitest';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { useBrowserSuite, type TestServer } from './harness';
import { DEFAULT_CONSENT_CONFIG } from '../../src/consent/default-config';

let browser: Browser;
let server: TestServer;
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types touchpoint";

useBrowserSuite({ browser: (b) => (browser = b), server: (s) => (server = s) });

/** A page without any inline script: the bundle configured by data-* attributes, the consent config as JSON. */
function consentPage(consent: unknown = DEFAULT_CONSENT_CONFIG, lang = 'de') {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Shop</title>
<script type="application/json" id="tp-cfg">${JSON.stringify(consent).replace(/</g, '\\u003c')}</script>
<script src="/touchpoint.js" data-write-key="wk_test" data-collector-url="${server.url}" data-consent-config="#tp-cfg" data-web-vitals="false" data-debug="true"></script>
</head><body><header><a href="#main">Zum Inhalt</a></header><main id="main"><h1>Shop</h1><p>Produkte</p>
<a href="#" id="privacy-settings" data-touchpoint-consent="open">Datenschutz-Einstellungen</a></main></body></html>`;
}

async function open(path: string, headers?: Record<string, string>, consent?: unknown) {
  server.page(path, consentPage(consent), headers);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() == 'error' && errors.push(m.text()));
  await page.goto(server.url + path);
  await page.locator('#tp-consent section[role="region"]').first().waitFor({ state: 'visible', timeout: 15_000 });
  return { page, context, errors };
}

const state = (page: Page) => page.evaluate(() => (window as any).touchpoint.consent.get());

describe('consent banner in Chromium', () => {
  it('has zero axe violations on the first layer and on the open preferences', async () => {
    const { page, context } = await open('/axe.html');
    const first = await new AxeBuilder({ page }).include('#tp-consent').withTags(TAGS).analyze();
    expect(first.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await page.click('section[role="region"] [data-touchpoint-action="open-preferences"]');
    await page.locator('#tp-consent dialog[open]').waitFor();
    const prefs = await new AxeBuilder({ page }).include('#tp-consent').withTags(TAGS).analyze();
    expect(prefs.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await context.close();
  });

  it('R6: accept, reject and settings render with the same size, colours and font', async () => {
    const { page, context } = await open('/equal.html');
    const looks = await page.evaluate(() => {
      const root = document.getElementById('tp-consent')!.shadowRoot!;
      return [...root.querySelectorAll('section:not([hidden]) [data-touchpoint-action]')].map((b) => {
        const s = getComputedStyle(b);
        const r = b.getBoundingClientRect();
        return [Math.round(r.width), Math.round(r.height), s.backgroundColor, s.color, s.fontSize, s.fontWeight].join('|');
      });
    });
    expect(looks).toHaveLength(3);
    expect(new Set(looks).size).toBe(1);
    const [w, h] = looks[0].split('|').map(Number);
    expect(Math.min(w, h)).toBeGreaterThanOrEqual(24);
    await context.close();
  });

  it('is keyboard operable: focus moves into the dialog, Escape closes it without deciding and returns focus', async () => {
    const { page, context } = await open('/keys.html');
    const settings = page.locator('section[role="region"]:not([hidden]) [data-touchpoint-action="open-preferences"]');
    await settings.focus();
    await page.keyboard.press('Enter');
    await page.locator('#tp-consent dialog[open]').waitFor();
    const inDialog = await page.evaluate(() => {
      const root = document.getElementById('tp-consent')!.shadowRoot!;
      return !!root.activeElement && root.querySelector('dialog')!.contains(root.activeElement);
    });
    expect(inDialog).toBe(true);
    await page.keyboard.press('Escape');
    await page.locator('#tp-consent dialog[open]').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.getElementById('tp-consent')!.shadowRoot!.activeElement?.getAttribute('data-touchpoint-action'))).toBe('open-preferences');
    expect((await state(page)).status).toBe('pending');
    // Tab from the settings button into the page and back: the first layer stays, still undecided (R4)
    await page.keyboard.press('Tab');
    await page.mouse.wheel(0, 400);
    expect((await state(page)).status).toBe('pending');
    // keyboard accept counts: Enter on a focused button is a trusted activation
    await page.locator('section[role="region"]:not([hidden]) [data-touchpoint-action="reject-all"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (window as any).touchpoint.consent.get().status === 'decided');
    expect((await state(page)).method).toBe('reject_all');
    await context.close();
  });

  it('a scripted click cannot accept, but a scripted reject is honoured', async () => {
    const { page, context } = await open('/untrusted.html');
    await page.evaluate(() => (document.getElementById('tp-consent')!.shadowRoot!.querySelector('section [data-touchpoint-action="accept-all"]') as HTMLElement).click());
    await page.waitForTimeout(200);
    expect((await state(page)).status).toBe('pending');
    await page.evaluate(() => (document.getElementById('tp-consent')!.shadowRoot!.querySelector('section [data-touchpoint-action="reject-all"]') as HTMLElement).click());
    await page.waitForFunction(() => (window as any).touchpoint.consent.get().status === 'decided');
    expect((await state(page)).method).toBe('reject_all');
    await page.click('section[role="region"] [data-touchpoint-action="accept-all"]', { timeout: 1000 }).catch(() => {});
    await context.close();
  });

  it('the footer control reopens the preferences; the status message confirms a save', async () => {
    const { page, context } = await open('/reopen.html');
    await page.click('section[role="region"] [data-touchpoint-action="accept-all"]');
    await page.waitForFunction(() => (window as any).touchpoint.consent.get().status === 'decided');
    await page.click('#privacy-settings');
    await page.locator('#tp-consent dialog[open]').waitFor();
    const sw = page.locator('dialog [role="switch"]:not([disabled])').nth(1);
    expect(await sw.getAttribute('aria-checked')).toBe('true');
    await sw.click();
    await page.click('dialog [data-touchpoint-action="save-preferences"]');
    expect(await page.locator('#tp-consent [role="status"]').textContent()).toBe('Einstellungen gespeichert');
    const s = await state(page);
    expect(s).toMatchObject({ method: 'withdrawal', denied: ['marketing'] });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('privacy-settings');
    await server.waitFor(() => server.consentRecords.length >= 2, 10_000, 'two proof records');
    expect(server.consentRecords.map((r) => r.method)).toEqual(['accept_all', 'withdrawal']);
    await context.close();
  });

  it('renders hostile config strings as literal text under a strict CSP with Trusted Types, with no violation', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> [Mehr](javascript:window.__pwned=3)';
    const cfg = structuredClone(DEFAULT_CONSENT_CONFIG) as any;
    cfg.texts.de.title = hostile;
    cfg.texts.de.description = hostile;
    cfg.categories[1].label.de = hostile;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => {
      (window as any).__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => (window as any).__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    server.page('/csp.html', consentPage(cfg), { 'Content-Security-Policy': STRICT_CSP });
    await page.goto(server.url + '/csp.html');
    await page.locator('#tp-consent section[role="region"]').first().waitFor({ state: 'visible', timeout: 15_000 });
    const seen = await page.evaluate(() => {
      const root = document.getElementById('tp-consent')!.shadowRoot!;
      return {
        title: root.getElementById('tp-title')!.textContent,
        elements: root.querySelectorAll('img, script, a[href^="javascript" i]').length,
        styled: getComputedStyle(root.querySelector('.btn')!).backgroundColor,
      };
    });
    expect(seen.title).toBe(hostile);
    expect(seen.elements).toBe(0);
    expect(seen.styled).toBe('rgb(30, 64, 175)');
    await page.click('section[role="region"] [data-touchpoint-action="open-preferences"]');
    await page.locator('#tp-consent dialog[open]').waitFor();
    await page.click('dialog [data-touchpoint-action="accept-all"]');
    await page.waitForFunction(() => (window as any).touchpoint.consent.get().status === 'decided');
    expect(await page.evaluate(() => [(window as any).__pwned, (window as any).__violations])).toEqual([undefined, []]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
