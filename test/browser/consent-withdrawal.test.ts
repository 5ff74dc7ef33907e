/**
 * Consent in real headless Chromium against the built bundle, part two: withdrawal is total (R3/R9: the whole outbox
 * database, the device-id cookie and the session key are deleted, a withdrawal proof is recorded, Consent Mode is told,
 * nothing more is sent) and as easy as consent; only the consent cookie survives a refusal (R14); the banner's language
 * (R17); embeds from the lazy interop chunk; consent is never collected in a cross-origin frame (clickjacking guard;
 * 127.0.0.1 framed by localhost); an IAB GPP 1.1 CMP decides through the lazy interop chunk and fails closed (R18).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { useBrowserSuite, type TestServer } from './harness';
import { DEFAULT_CONSENT_CONFIG } from '../../src/consent/default-config';

let browser: Browser;
let server: TestServer;

useBrowserSuite({ browser: (b) => (browser = b), server: (s) => (server = s) });

const tag = (extra = '') =>
  `<script src="/touchpoint.js" data-write-key="wk_test" data-collector-url="${server.url}" data-web-vitals="false" data-debug="true" ${extra}></script>`;
const page = (head: string, body = '<main><h1>Shop</h1></main>') =>
  `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Shop</title>${head}</head><body>${body}</body></html>`;

beforeEach(() => {
  const cfg = { ...structuredClone(DEFAULT_CONSENT_CONFIG), googleConsentMode: {} };
  server.page(
    '/shop.html',
    page(
      `<script type="application/json" id="tp-config">${JSON.stringify(cfg)}</script>${tag('data-consent-config="#tp-config" data-cookie-domain="127.0.0.1"')}`,
      '<main><h1>Shop</h1></main><footer><a href="#" id="privacy-settings" data-touchpoint-consent="open">Datenschutz-Einstellungen</a></footer>',
    ),
  );
});

const state = (p: Page) => p.evaluate(() => (window as any).touchpoint.consent.get());
const browserStorage = (p: Page) =>
  p.evaluate(async () => ({
    databases: (await indexedDB.databases()).map((d) => d.name),
    session: localStorage.getItem('tp_session'),
    cookies: document.cookie.split('; ').map((c) => c.split('=')[0]).filter(Boolean).sort(),
  }));
const batches = () => server.received.filter((r) => r.path == '/v1/batch').length;

describe('withdrawal in Chromium (R3, R9)', () => {
  it('deletes the outbox database, tp_id and tp_session, records a withdrawal, tells Consent Mode and stops sending', async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(server.url + '/shop.html');
    await p.click('section[role="region"] [data-touchpoint-action="accept-all"]');
    await p.evaluate(() => (window as any).touchpoint.track('product_viewed', { sku: 'A1' }));
    await server.waitFor(() => server.events.some((e) => e.event == 'product_viewed'), 10_000, 'the consented event');
    await expect.poll(() => browserStorage(p)).toMatchObject({ databases: ['touchpoint'], session: expect.any(String), cookies: ['tp_consent', 'tp_id'] });

    // withdrawing takes as few clicks as accepting: footer control, analytics switch, save
    await p.click('#privacy-settings');
    await p.locator('#tp-consent dialog[open]').waitFor();
    await p.locator('dialog [role="switch"]:not([disabled])').first().click();
    await p.click('dialog [data-touchpoint-action="save-preferences"]');
    await expect.poll(() => browserStorage(p)).toEqual({ databases: [], session: null, cookies: ['tp_consent'] });
    expect(await state(p)).toMatchObject({ status: 'decided', method: 'withdrawal', denied: ['analytics'] });
    await server.waitFor(() => server.consentRecords.length == 2, 10_000, 'the withdrawal proof');
    expect(server.consentRecords.map((r) => r.method)).toEqual(['accept_all', 'withdrawal']);
    expect(server.consentRecords[1]).toMatchObject({ denied: ['analytics'], granted: ['necessary', 'marketing', 'personalization'] });
    const consentMode = await p.evaluate(() => ((window as any).dataLayer as IArguments[]).map((a) => Array.from(a)).filter((a) => a[1] == 'update').pop());
    expect(consentMode?.[2]).toMatchObject({ analytics_storage: 'denied', ad_storage: 'granted' });

    const before = batches();
    await p.evaluate(() => {
      (window as any).touchpoint.track('product_added', { sku: 'A1' });
      (window as any).touchpoint.page();
      return (window as any).touchpoint.flush();
    });
    await p.waitForTimeout(2000);
    expect(batches()).toBe(before);
    expect(server.events.some((e) => e.event == 'product_added')).toBe(false);
    // and the next page does not bring any of it back
    await p.reload();
    await p.waitForFunction(() => (window as any).touchpoint?.consent?.get?.());
    await p.waitForTimeout(1000);
    expect(await browserStorage(p)).toEqual({ databases: [], session: null, cookies: ['tp_consent'] });
    expect(batches()).toBe(before);
    await context.close();
  });
});

describe('withdrawal is as easy as consent (R9)', () => {
  it('withdrawing everything takes two clicks from any page — the footer control and "Alle ablehnen" — like accepting there', async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(server.url + '/shop.html');
    await p.click('section[role="region"] [data-touchpoint-action="accept-all"]');
    await server.waitFor(() => server.events.some((e) => e.type == 'page'), 10_000, 'the page view');
    await p.reload();
    await p.waitForFunction(() => (window as any).touchpoint?.consent?.get?.()?.status == 'decided');
    await expect.poll(() => browserStorage(p)).toMatchObject({ databases: ['touchpoint'] });
    await p.click('#privacy-settings');
    await p.click('dialog[open] [data-touchpoint-action="reject-all"]');
    await expect.poll(() => browserStorage(p)).toEqual({ databases: [], session: null, cookies: ['tp_consent'] });
    expect(await state(p)).toMatchObject({ method: 'withdrawal', granted: ['necessary'] });
    await server.waitFor(() => server.consentRecords.length == 2, 10_000, 'the withdrawal proof');
    expect(server.consentRecords[1]).toMatchObject({ method: 'withdrawal', layer: 'preferences' });
    await context.close();
  });
});

describe('narrow necessary whitelist and language (R14, R17)', () => {
  it('R14: after a refusal the SDK keeps only its consent cookie — no id, no session, no outbox — across pages', async () => {
    server.page('/plain.html', page(tag()));
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(server.url + '/plain.html');
    await p.click('section[role="region"] [data-touchpoint-action="reject-all"]');
    await p.evaluate(() => {
      const tp = (window as any).touchpoint;
      tp.identify('u-1', { plan: 'gold' });
      tp.track('product_added', { product_id: 'p1' });
      tp.commerce.productViewed({ product_id: 'p1' });
    });
    await p.goto(server.url + '/plain.html?next=1');
    await p.waitForFunction(() => (window as any).touchpoint?.consent?.get?.()?.status == 'decided');
    await p.waitForTimeout(800);
    const stores = await p.evaluate(async () => ({ local: localStorage.length, session: sessionStorage.length, idb: (await indexedDB.databases()).length }));
    expect(stores).toEqual({ local: 0, session: 0, idb: 0 });
    expect((await context.cookies()).map((c) => c.name)).toEqual(['tp_consent']);
    expect(server.received.map((r) => r.path)).toEqual(['/v1/consent']);
    await context.close();
  });

  it('R17: the banner speaks the page language with lang set, English as the fallback for other languages', async () => {
    const context = await browser.newContext();
    for (const [lang, want, reject] of [['en', 'en', 'Reject all'], ['fr', 'en', 'Reject all'], ['de-AT', 'de', 'Alle ablehnen']]) {
      server.page(`/${lang}.html`, page(tag()).replace('lang="de"', `lang="${lang}"`));
      const p = await context.newPage();
      await p.goto(`${server.url}/${lang}.html`);
      const first = p.locator('#tp-consent section[role="region"]').first();
      await first.waitFor();
      expect(await p.getAttribute('#tp-consent', 'lang')).toBe(want);
      expect(await first.locator('[data-touchpoint-action="reject-all"]').textContent()).toBe(reject);
      await p.close();
    }
    await context.close();
  });
});

describe('consent-aware embeds from the lazy interop chunk', () => {
  it('a placeholder loads the chunk; its tag runs only after the category is granted, tags added later too', async () => {
    server.page('/embed.js', 'window.embedRuns = (window.embedRuns || 0) + 1;', { 'Content-Type': 'text/javascript' });
    server.page('/embeds.html', page(tag(), '<main><h1>Shop</h1><script type="text/plain" data-consent="marketing" src="/embed.js"></script></main>'));
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(server.url + '/embeds.html');
    await p.locator('#tp-consent section[role="region"]').first().waitFor();
    await p.waitForTimeout(500);
    expect(server.requests.some((r) => r.path == '/touchpoint-interop.mjs')).toBe(true);
    expect(server.requests.some((r) => r.path == '/embed.js')).toBe(false);
    await p.click('section[role="region"] [data-touchpoint-action="accept-all"]');
    await p.waitForFunction(() => (window as any).embedRuns == 1);
    await p.evaluate(() => {
      const s = document.createElement('script');
      s.type = 'text/plain';
      s.setAttribute('data-consent', 'marketing');
      s.src = '/embed.js?late';
      document.body.append(s);
    });
    await p.waitForFunction(() => (window as any).embedRuns == 2);
    await context.close();
  });
});

describe('clickjacking guard', () => {
  // the server listens on 127.0.0.1; "localhost" reaches it too but is another origin
  const other = () => server.url.replace('127.0.0.1', 'localhost');
  const framed = async (parent: string) => {
    server.page('/frame.html', page('', `<iframe id="f" src="${server.url}/shop.html" width="800" height="600"></iframe>`));
    const context = await browser.newContext();
    const p = await context.newPage();
    const messages: string[] = [];
    p.on('console', (m) => messages.push(m.text()));
    await p.goto(parent + '/frame.html');
    const frame = p.frameLocator('#f');
    await p.waitForFunction(() => (document.getElementById('f') as HTMLIFrameElement).contentWindow != null);
    const f = p.frames().find((x) => x.url().startsWith(server.url + '/shop.html'))!;
    await f.waitForFunction(() => (window as any).touchpoint?.consent?.get?.());
    return { context, p, f, frame, messages };
  };

  it('does not render the banner and collects no consent when framed by another origin', async () => {
    const { context, f, messages } = await framed(other());
    await f.waitForTimeout(1500);
    expect(await f.evaluate(() => !!document.getElementById('tp-consent'))).toBe(false);
    // the reopen control does not bring it up either
    await f.click('#privacy-settings');
    await f.waitForTimeout(500);
    expect(await f.evaluate(() => !!document.getElementById('tp-consent'))).toBe(false);
    expect(await f.evaluate(() => (window as any).touchpoint.consent.get().status)).toBe('pending');
    expect(messages.filter((m) => m.includes('framed by another origin'))).toHaveLength(1);
    expect(server.consentRecords).toEqual([]);
    expect(server.received).toEqual([]);
    await context.close();
  });

  it('works as usual in a same-origin frame', async () => {
    const { context, f } = await framed(server.url);
    await f.locator('#tp-consent section[role="region"]').first().waitFor();
    await f.click('section[role="region"] [data-touchpoint-action="accept-all"]');
    await server.waitFor(() => server.consentRecords.length == 1, 10_000, 'the proof record');
    expect(server.consentRecords[0]).toMatchObject({ method: 'accept_all' });
    await context.close();
  });
});

describe('IAB GPP 1.1 CMP (R18)', () => {
  // a minimal CMP following CMP API 1.1: listeners get {eventName, listenerId, data, pingData}; getSection('tcfeuv2')
  const CMP = `<script>
(function () {
  var listeners = {}, next = 1, section = null;
  var ping = { gppVersion: '1.1', cmpStatus: 'loaded', cmpDisplayStatus: 'visible', signalStatus: 'not ready', supportedAPIs: ['2:tcfeuv2'], cmpId: 999, sectionList: [], applicableSections: [2], gppString: 'DBAA' };
  function emit(name, data) { for (var id in listeners) listeners[id]({ eventName: name, listenerId: +id, data: data, pingData: ping }, true); }
  window.__gpp = function (cmd, cb, param) {
    window.__gppCalls = (window.__gppCalls || []).concat(cmd);
    if (cmd === 'ping') cb(ping, true);
    else if (cmd === 'addEventListener') { var id = next++; listeners[id] = cb; cb({ eventName: 'listenerRegistered', listenerId: id, data: true, pingData: ping }, true); }
    else if (cmd === 'removeEventListener') { cb(delete listeners[param], true); }
    else if (cmd === 'getSection') cb(param === 'tcfeuv2' ? section : null, true);
  };
  window.testCmp = {
    choose: function (purposes) {
      var bits = []; for (var i = 1; i <= 24; i++) bits.push(purposes.indexOf(i) >= 0);
      section = { Version: 2, PurposeConsents: bits, VendorConsents: [], PurposeOneTreatment: false };
      ping.sectionList = ['tcfeuv2']; ping.signalStatus = 'ready'; ping.cmpDisplayStatus = 'hidden';
      emit('cmpDisplayStatus', 'hidden'); emit('signalStatus', 'ready');
    },
    listeners: function () { return Object.keys(listeners).length; }
  };
})();
</script>`;
  const gppPage = () => {
    const cfg = { ...structuredClone(DEFAULT_CONSENT_CONFIG), gpp: { purposes: { analytics: [1, 8, 9], marketing: [1, 2, 3, 4, 7] }, timeoutMs: 5000 } };
    server.page('/gpp.html', page(`${CMP}<script type="application/json" id="tp-config">${JSON.stringify(cfg)}</script>${tag('data-consent-config="#tp-config"')}`));
  };

  it('stays denied until the CMP signals ready, then maps tcfeuv2 to categories with method tcf; no banner, __gpp untouched', async () => {
    gppPage();
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(server.url + '/gpp.html');
    await p.waitForFunction(() => (window as any).touchpoint?.consent?.get?.());
    await p.waitForFunction(() => ((window as any).__gppCalls || []).includes('addEventListener'));
    await p.evaluate(() => (window as any).touchpoint.track('product_viewed'));
    await p.waitForTimeout(800);
    expect(await state(p)).toMatchObject({ status: 'pending' });
    expect(server.received).toEqual([]);
    expect((await browserStorage(p)).databases).toEqual([]);

    await p.evaluate(() => (window as any).testCmp.choose([1, 8, 9]));
    await server.waitFor(() => server.consentRecords.length == 1, 10_000, 'the tcf proof record');
    expect(server.consentRecords[0]).toMatchObject({ method: 'tcf', granted: ['necessary', 'analytics'], denied: ['marketing', 'personalization'], layer: 'none' });
    // on grant the current page view is captured and delivered
    await server.waitFor(() => server.events.some((e) => e.type == 'page'), 10_000, 'the page view');
    expect(await p.evaluate(() => !!document.getElementById('tp-consent'))).toBe(false);
    expect(await p.evaluate(() => (window as any).__gpp.toString())).toContain('__gppCalls');
    expect(server.requests.some((r) => r.path == '/touchpoint-interop.mjs')).toBe(true);
    // the page's config carries its texts, so neither the banner nor the shipped texts were needed
    expect(server.requests.some((r) => r.path == '/touchpoint-banner.mjs')).toBe(false);
    await context.close();
  });

  it('without a CMP answer the visitor stays denied (fail closed) and nothing is sent', async () => {
    gppPage();
    server.page('/gpp-silent.html', page(`<script>window.__gpp = function (cmd, cb) { if (cmd === 'addEventListener') cb({ eventName: 'listenerRegistered', listenerId: 1, data: true, pingData: { signalStatus: 'not ready' } }, true); };</script>
<script type="application/json" id="tp-config">${JSON.stringify({ ...structuredClone(DEFAULT_CONSENT_CONFIG), gpp: { purposes: { analytics: [1, 8] }, timeoutMs: 300 } })}</script>${tag('data-consent-config="#tp-config"')}`));
    const context = await browser.newContext();
    const p = await context.newPage();
    const messages: string[] = [];
    p.on('console', (m) => messages.push(m.text()));
    await p.goto(server.url + '/gpp-silent.html');
    await p.waitForFunction(() => (window as any).touchpoint?.consent?.get?.());
    await p.waitForTimeout(1200);
    expect(await state(p)).toMatchObject({ status: 'pending' });
    expect(messages.some((m) => m.includes('staying denied'))).toBe(true);
    expect(server.received).toEqual([]);
    await context.close();
  });

  it('a plain page loads neither the interop chunk nor anything else before a decision', async () => {
    server.page('/plain.html', page(tag()));
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(server.url + '/plain.html');
    await p.locator('#tp-consent section[role="region"]').first().waitFor();
    expect(server.requests.map((r) => r.path).filter((x) => x != '/favicon.ico').sort()).toEqual(['/plain.html', '/touchpoint-banner.mjs', '/touchpoint.js']);
    await context.close();
  });
});
