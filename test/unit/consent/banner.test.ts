import { afterEach, describe, expect, it, vi } from 'vitest';
import { mountBanner } from '../../../src/consent/banner/index';
import { validateConfig } from '../../../src/consent/validate-config';
import type { BannerDecision, BannerHandle, BannerOptions, ConsentConfig } from '../../../src/consent/types';
import { config } from './helpers';

const cfg = validateConfig(config()) as ConsentConfig;
let handle: BannerHandle | undefined;
afterEach(() => {
  handle?.destroy();
  document.body.textContent = '';
});

function mount(over: Partial<BannerOptions> = {}, texts: Partial<ConsentConfig['texts'][string]> = {}) {
  const decisions: BannerDecision[] = [];
  handle = mountBanner({
    locale: 'de',
    texts: { ...cfg.texts.de, ...texts },
    categories: cfg.categories.map((c) => ({ id: c.id, label: c.label.de, description: c.description.de, required: c.id == 'necessary' })),
    privacyPolicyUrl: cfg.privacyPolicyUrl,
    imprintUrl: cfg.imprintUrl,
    granted: ['necessary'],
    show: 'banner',
    onDecision: (d) => decisions.push(d),
    ...over,
  });
  const host = document.getElementById('tp-consent')!;
  const root = host.shadowRoot!;
  const $ = (sel: string) => root.querySelector(sel) as HTMLElement;
  const $$ = (sel: string) => [...root.querySelectorAll(sel)] as HTMLElement[];
  const trustedClick = (el: Element) => {
    const e = new MouseEvent('click', { bubbles: true, composed: true });
    Object.defineProperty(e, 'isTrusted', { value: true });
    el.dispatchEvent(e);
  };
  return { decisions, host, root, $, $$, trustedClick, handle: handle! };
}

describe('consent banner', () => {
  it('renders a non-modal, named region first in the body, in an open shadow root with lang set', () => {
    document.body.append(document.createElement('main'));
    const { host, $ } = mount();
    expect(document.body.firstElementChild).toBe(host);
    expect(host.getAttribute('lang')).toBe('de');
    expect(host.shadowRoot).toBeTruthy();
    const region = $('section[role="region"]:not([hidden])');
    expect(region.getAttribute('aria-modal')).toBeNull();
    expect($('#' + region.getAttribute('aria-labelledby')).textContent).toBe('Ihre Privatsphäre');
    // R7: every purpose named on the first layer
    expect(region.textContent).toContain('Statistik, Marketing, Personalisierung');
    expect(host.hasAttribute('style')).toBe(false);
  });

  it('R6: accept, reject and settings are three buttons of the same class on the first layer', () => {
    const { $$ } = mount();
    const buttons = $$('section:not([hidden]) [data-touchpoint-action]');
    expect(buttons.map((b) => [b.tagName, b.getAttribute('data-touchpoint-action'), b.className])).toEqual([
      ['BUTTON', 'reject-all', 'btn'],
      ['BUTTON', 'accept-all', 'btn'],
      ['BUTTON', 'open-preferences', 'btn'],
    ]);
    expect(buttons.map((b) => b.textContent)).toEqual(['Alle ablehnen', 'Alle akzeptieren', 'Einstellungen']);
  });

  it('only a trusted user activation may accept; an untrusted reject is honoured', () => {
    const { decisions, $, trustedClick } = mount();
    $('[data-touchpoint-action="accept-all"]').click();
    expect(decisions).toEqual([]);
    $('[data-touchpoint-action="reject-all"]').click();
    expect(decisions).toEqual([{ action: 'reject_all', granted: [], layer: 'banner' }]);
    trustedClick($('[data-touchpoint-action="accept-all"]'));
    expect(decisions[1]).toEqual({ action: 'accept_all', granted: ['analytics', 'marketing', 'personalization'], layer: 'banner' });
  });

  it('R5: preferences are a modal dialog with one switch per category, aria-checked false, necessary on and disabled', () => {
    const { $, $$, trustedClick } = mount();
    trustedClick($('[data-touchpoint-action="open-preferences"]'));
    const dialog = $('dialog') as HTMLDialogElement;
    expect(dialog.open).toBe(true);
    expect($('#' + dialog.getAttribute('aria-labelledby')).textContent).toBe('Datenschutz-Einstellungen');
    const switches = $$('[role="switch"]');
    expect(switches.map((s) => [s.getAttribute('aria-checked'), (s as HTMLButtonElement).disabled])).toEqual([
      ['true', true],
      ['false', false],
      ['false', false],
      ['false', false],
    ]);
    expect(switches.every((s) => s.getAttribute('aria-labelledby') && $('#' + s.getAttribute('aria-labelledby')))).toBe(true);
    // R8: controller, duration, third parties, transfers and withdrawal shown; policy links inside the dialog
    for (const k of ['controller', 'storageDuration', 'thirdParties', 'transferOutsideEea', 'withdrawal'] as const) expect(dialog.textContent).toContain(cfg.texts.de[k]);
    expect([...dialog.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.getAttribute('rel')])).toEqual([
      ['/datenschutz', 'noopener'],
      ['/impressum', 'noopener'],
    ]);
    expect(dialog.querySelector('[data-touchpoint-action="save-preferences"]')).toBeTruthy();
    expect(dialog.querySelector('[data-touchpoint-action="accept-all"]')).toBeTruthy();
    expect(dialog.querySelector('[data-touchpoint-action="reject-all"]')).toBeTruthy();
  });

  it('saves a custom choice from the switches (trusted), announces it via role=status', () => {
    const { decisions, $, $$, trustedClick } = mount();
    trustedClick($('[data-touchpoint-action="open-preferences"]'));
    trustedClick($$('[role="switch"]')[2]);
    expect($$('[role="switch"]')[2].getAttribute('aria-checked')).toBe('true');
    // a scripted save that would grant something is ignored
    $('[data-touchpoint-action="save-preferences"]').click();
    expect(decisions).toEqual([]);
    trustedClick($('[data-touchpoint-action="save-preferences"]'));
    expect(decisions).toEqual([{ action: 'custom', granted: ['marketing'], layer: 'preferences' }]);
    expect(($('dialog') as HTMLDialogElement).open).toBe(false);
    expect($('[role="status"]').textContent).toBe('Einstellungen gespeichert');
    expect($('section[role="region"]').hidden).toBe(true);
  });

  it('R4: closing the preferences (close button or Escape/cancel) decides nothing and returns focus to the opener', () => {
    const opener = document.createElement('button');
    document.body.append(opener);
    const { decisions, $, handle } = mount({ show: 'none' });
    opener.focus();
    handle.open(opener);
    const dialog = $('dialog') as HTMLDialogElement;
    expect(dialog.open).toBe(true);
    expect(dialog.contains(dialog.ownerDocument.activeElement) || dialog.contains(($('h2') as HTMLElement).getRootNode() && (dialog.getRootNode() as ShadowRoot).activeElement)).toBe(true);
    $('dialog [data-touchpoint-action="close"]').click();
    expect(dialog.open).toBe(false);
    expect(document.activeElement).toBe(opener);
    handle.open(opener);
    dialog.dispatchEvent(new Event('cancel'));
    dialog.close();
    expect(decisions).toEqual([]);
  });

  it('renders config strings as text: markup, scripts and javascript: links never become elements', () => {
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const { root, $ } = mount({ privacyPolicyUrl: 'javascript:alert(1)' }, { title: evil, description: evil, privacyPolicy: evil });
    expect($('#tp-title').textContent).toBe(evil);
    expect(root.querySelectorAll('img, script')).toHaveLength(0);
    expect(new Set([...root.querySelectorAll('a')].map((a) => a.getAttribute('href')))).toEqual(new Set(['/impressum']));
    expect((window as unknown as { __pwned?: unknown }).__pwned).toBeUndefined();
  });

  it('styles via an adopted constructable stylesheet, or a nonce\'d <style> when a nonce is given', () => {
    const a = mount();
    expect(a.root.adoptedStyleSheets.length + a.root.querySelectorAll('style').length).toBeGreaterThan(0);
    a.handle.destroy();
    const b = mount({ nonce: 'n0nce' });
    expect(b.root.querySelector('style')!.getAttribute('nonce')).toBe('n0nce');
  });

  it('shows a short notice for GPC/DNT visitors, from which preferences open', () => {
    const { $, trustedClick } = mount({ show: 'notice' });
    const notice = $('section[role="region"]:not([hidden])');
    expect(notice.textContent).toContain(cfg.texts.de.signalNotice);
    expect(notice.querySelector('[data-touchpoint-action="accept-all"]')).toBeNull();
    trustedClick(notice.querySelector('[data-touchpoint-action="open-preferences"]')!);
    expect(($('dialog') as HTMLDialogElement).open).toBe(true);
  });

  it('update() hides the first layer after a decision and shows it again when consent is pending', () => {
    const { $, handle } = mount();
    handle.update(['necessary', 'analytics']);
    expect($('section[role="region"]').hidden).toBe(true);
    handle.open();
    expect($('[role="switch"][aria-labelledby="tp-l1"]').getAttribute('aria-checked')).toBe('true');
    handle.update(['necessary'], true);
    expect($('section[role="region"]').hidden).toBe(false);
  });

  it('never uses innerHTML, insertAdjacentHTML, document.write or inline style attributes', async () => {
    const { readFileSync } = await import('node:fs');
    const src = ['index.ts'].map((f) => readFileSync(`${process.cwd()}/src/consent/banner/${f}`, 'utf8')).join('\n');
    const code = src.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\.style\b|setAttribute\(\s*['"]style|[{,]\s*style:/);
    vi.restoreAllMocks();
  });
});
