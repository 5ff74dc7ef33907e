/**
 * The consent banner, a lazily loaded chunk: a non-modal first layer (`role="region"`) with three equal buttons and a
 * modal `<dialog>` for preferences, in an open shadow root. Imports: consent types, ./styles and the default texts.
 * Never uses innerHTML or inline styles (strict CSP, Trusted Types); only a trusted user activation can accept.
 */
import type { BannerHandle, BannerOptions, Category } from '../types';
import { BANNER_CSS } from './styles';

// the script-tag build ships the default texts with the banner: one request when a banner shows
export { DEFAULT_TEXTS } from '../default-texts';

type Action = 'accept-all' | 'reject-all' | 'open-preferences' | 'save-preferences' | 'close';

/** https or relative only; the same rule the config check applies, repeated because the banner must not trust its input. */
const safeUrl = (u: string) => !/[\s\\\x00-\x1f]/.test(u) && (/^https:\/\/[^/]/i.test(u) || !/^(\/\/|[a-z][a-z0-9+.-]*:)/i.test(u));

/**
 * Renders the banner into `options.document` and returns its handle. Every config string goes through `textContent`,
 * so markup in texts shows as text; links are https or relative with `rel="noopener"`.
 * @param options - resolved texts, categories, links, current grants and the decision callback
 * @example
 * const b = mountBanner({ locale: 'de', texts, categories, privacyPolicyUrl: '/datenschutz', imprintUrl: '/impressum',
 *   granted: ['necessary'], show: 'banner', onDecision: (d) => decide(d) });
 * b.open();
 */
export function mountBanner(options: BannerOptions): BannerHandle {
  const doc = options.document || document;
  const t = options.texts;
  const optional = options.categories.filter((c) => !c.required);
  let opener: Element | null = null;
  let statusTimer: ReturnType<typeof setTimeout> | undefined;

  const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] => {
    const el = doc.createElement(tag);
    for (const k in attrs) el.setAttribute(k, attrs[k]);
    for (const kid of kids) el.append(typeof kid == 'string' ? doc.createTextNode(kid) : kid);
    return el;
  };
  const btn = (action: Action, label: string, cls = 'btn') => h('button', { type: 'button', class: cls, 'data-touchpoint-action': action }, label);
  const link = (href: string, label: string) => (safeUrl(href) ? h('a', { href, rel: 'noopener' }, label) : h('span', {}, label));
  const links = () => h('p', { class: 'links' }, link(options.privacyPolicyUrl, t.privacyPolicy), link(options.imprintUrl, t.imprint));

  const host = h('div', { id: 'tp-consent', lang: options.locale });
  const root = host.attachShadow({ mode: 'open' });
  if (options.nonce) root.append(h('style', { nonce: options.nonce }, BANNER_CSS));
  else
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(BANNER_CSS);
      root.adoptedStyleSheets = [sheet];
    } catch {
      // no constructable stylesheets (old Safari): a plain <style>, which a strict style-src may block; the banner stays usable
      root.append(h('style', {}, BANNER_CSS));
    }

  // first layer: non-modal region, every purpose named (R7), reject next to accept with the same weight (R6)
  const first = h(
    'section',
    { class: 'card', role: 'region', 'aria-labelledby': 'tp-title' },
    h('h2', { id: 'tp-title' }, t.title),
    h('p', {}, t.description),
    h('p', {}, h('strong', {}, t.purposes), ' ', optional.map((c) => c.label).join(', ')),
    h('p', { class: 'muted' }, t.withdrawal),
    h('div', { class: 'acts' }, btn('reject-all', t.rejectAll), btn('accept-all', t.acceptAll), btn('open-preferences', t.settings)),
    links(),
  );
  const notice = h(
    'section',
    { class: 'card', role: 'region', 'aria-labelledby': 'tp-ntitle' },
    h('h2', { id: 'tp-ntitle' }, t.title),
    h('p', {}, t.signalNotice),
    h('div', { class: 'acts' }, btn('open-preferences', t.settings), btn('close', t.close)),
    links(),
  );
  first.hidden = options.show != 'banner';
  notice.hidden = options.show != 'notice';

  const switches = new Map<Category, HTMLButtonElement>();
  const item = (c: BannerOptions['categories'][number], i: number) => {
    const sw = h('button', { type: 'button', role: 'switch', class: 'sw', 'aria-checked': String(c.required), 'aria-labelledby': `tp-l${i}`, 'aria-describedby': `tp-d${i}` });
    if (c.required) sw.disabled = true;
    else switches.set(c.id, sw);
    return h(
      'li',
      {},
      h('div', { class: 'row' }, h('span', { id: `tp-l${i}` }, c.label), c.required ? h('span', { class: 'on' }, t.alwaysOn) : '', sw),
      h('p', { id: `tp-d${i}`, class: 'muted' }, c.description),
    );
  };
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'tp-ptitle' },
    h(
      'div',
      { class: 'dlg' },
      h('div', { class: 'head' }, h('h2', { id: 'tp-ptitle', tabindex: '-1' }, t.preferencesTitle), btn('close', t.close, 'x')),
      h('p', {}, t.preferencesDescription),
      h('ul', {}, ...options.categories.map(item)),
      h('div', { class: 'info' }, ...[t.controller, t.storageDuration, t.thirdParties, t.transferOutsideEea, t.withdrawal].map((s) => h('p', {}, s))),
      h('div', { class: 'acts' }, btn('reject-all', t.rejectAll), btn('accept-all', t.acceptAll), btn('save-preferences', t.save)),
      links(),
    ),
  );
  const status = h('div', { role: 'status', class: 'status' });
  root.append(h('div', { class: 'tp' }, first, notice, dialog, status));

  const setSwitches = (granted: readonly Category[]) => switches.forEach((sw, id) => sw.setAttribute('aria-checked', String(granted.includes(id))));
  setSwitches(options.granted);

  // WCAG 2.4.11: let the page scroll focused elements clear of the fixed banner
  let pad: CSSStyleSheet | undefined;
  let ro: ResizeObserver | undefined;
  const unpad = () => {
    ro?.disconnect();
    if (pad) doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s != pad);
    pad = undefined;
  };
  const padFor = (card: HTMLElement) => {
    try {
      unpad();
      if (card.hidden || typeof ResizeObserver != 'function') return;
      const sheet = (pad = new CSSStyleSheet());
      doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
      // R10/WCAG 2.4.11: the page can scroll its last content above the banner (padding), and focus is never hidden under it
      ro = new ResizeObserver(() => {
        const px = Math.ceil(card.getBoundingClientRect().height) + 16;
        sheet.replaceSync(`html{scroll-padding-bottom:${px}px;padding-bottom:${px}px}`);
      });
      ro.observe(card);
    } catch {
      // an optional nicety; never worth breaking the banner
    }
  };

  const hideLayers = () => {
    first.hidden = notice.hidden = true;
    unpad();
  };
  const say = (msg: string) => {
    clearTimeout(statusTimer);
    status.textContent = msg;
    statusTimer = setTimeout(() => (status.textContent = ''), 5000);
  };
  const decide = (action: 'accept_all' | 'reject_all' | 'custom', granted: Category[], layer: 'banner' | 'preferences') => {
    setSwitches(granted);
    hideLayers();
    if (dialog.open) dialog.close();
    options.onDecision({ action, granted, layer });
    say(t.saved);
  };
  const open = (from?: Element | null) => {
    if (dialog.open) return;
    opener = from || root.activeElement || doc.activeElement;
    setSwitches(options.granted);
    try {
      dialog.showModal();
    } catch {
      dialog.setAttribute('open', '');
    }
    (dialog.querySelector('h2') as HTMLElement).focus();
  };

  root.addEventListener('click', (e) => {
    const target = e.target as Element;
    const sw = target.closest('[role="switch"]');
    if (sw && !(sw as HTMLButtonElement).disabled) return sw.setAttribute('aria-checked', String(sw.getAttribute('aria-checked') != 'true'));
    const action = target.closest('[data-touchpoint-action]')?.getAttribute('data-touchpoint-action') as Action | undefined;
    const layer = dialog.contains(target) ? 'preferences' : 'banner';
    const chosen = [...switches].filter(([, s]) => s.getAttribute('aria-checked') == 'true').map(([id]) => id);
    // only a real user activation may grant; an untrusted (scripted) click may still refuse
    if (action == 'accept-all') e.isTrusted && decide('accept_all', optional.map((c) => c.id), layer);
    else if (action == 'reject-all') decide('reject_all', [], layer);
    else if (action == 'save-preferences') (e.isTrusted || !chosen.length) && decide('custom', chosen, 'preferences');
    else if (action == 'open-preferences') open(target.closest('button'));
    else if (action == 'close') dialog.contains(target) ? dialog.close() : hideLayers();
  });
  // Escape (cancel) and close() both end here: no decision (R4), focus back to the opener
  dialog.addEventListener('close', () => {
    const o = opener as HTMLElement | null;
    opener = null;
    if (o && o.isConnected && !o.closest('[hidden]')) o.focus();
  });

  const place = () => {
    doc.body.prepend(host);
    padFor(first.hidden ? notice : first);
  };
  if (doc.body) place();
  else doc.addEventListener('DOMContentLoaded', place, { once: true });

  return {
    open,
    update(granted, pending) {
      options = { ...options, granted: granted.slice() };
      setSwitches(granted);
      hideLayers();
      if (pending) {
        first.hidden = false;
        padFor(first);
      }
    },
    destroy() {
      unpad();
      clearTimeout(statusTimer);
      host.remove();
    },
  };
}
