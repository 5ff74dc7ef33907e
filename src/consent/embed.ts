/**
 * Consent-aware embeds: `<script type="text/plain" data-consent="…">` (with `src` or inline) and
 * `<iframe data-consent="…" data-src="…">` become live only when every listed category is granted, including tags
 * added later. Imports: types, util. Never runs a script whose categories are not granted; never evaluates strings itself.
 *
 * Trusted Types: under `require-trusted-types-for 'script'` script URLs and inline text go through a policy named
 * `touchpoint`, so the site's CSP must allow it (`trusted-types touchpoint …`); without that, embeds stay inactive.
 */
import type { Category } from './types';
import { touchpointPolicy } from '../util/trusted-types';

/** Placeholders the activator watches; core looks for one before it loads the interop chunk. */
export const EMBED_SELECTOR = 'script[type="text/plain"][data-consent],iframe[data-consent][data-src]';

/** A running embed activator. */
export interface EmbedActivator {
  /** Activates every waiting embed whose categories are all granted now. */
  scan(): void;
  /** Stops watching for new embeds. */
  stop(): void;
}

/**
 * Watches `document` for consent-gated embeds and activates them once their categories are granted.
 * @param deps.allows - current consent check
 * @param deps.onSkip - told when an embed cannot be activated (Trusted Types policy refused, unsafe URL)
 * @example
 * const embeds = startEmbeds({ document, window, allows: manager.allows }); manager.onChange(() => embeds.scan());
 */
export function startEmbeds(deps: { document: Document; window: Window; allows(c: Category): boolean; onSkip?(el: Element, why: string): void }): EmbedActivator {
  const { document: doc, window: win } = deps;
  const granted = (el: Element) => {
    const cats = (el.getAttribute('data-consent') || '').split(/[\s,]+/).filter(Boolean);
    return cats.length > 0 && cats.every((c) => deps.allows(c));
  };
  const activate = (el: Element) => {
    if (!granted(el)) return;
    if (el.tagName == 'IFRAME') {
      const src = el.getAttribute('data-src') || '';
      const proto = new URL(src, win.location.href).protocol;
      if (!/^https?:$/.test(proto)) return skip(el, 'unsafe iframe URL');
      el.removeAttribute('data-consent');
      el.setAttribute('src', src);
      return;
    }
    const old = el as HTMLScriptElement;
    const s = doc.createElement('script');
    const tt = touchpointPolicy(win);
    const needsTt = !!(win as unknown as { trustedTypes?: unknown }).trustedTypes;
    if (needsTt && !tt) return skip(el, 'Trusted Types policy "touchpoint" not allowed');
    for (const a of Array.from(old.attributes))
      if (!/^(type|src|data-consent|data-type|nonce)$/.test(a.name)) s.setAttribute(a.name, a.value);
    s.type = old.getAttribute('data-type') || 'text/javascript';
    // nonce attributes are hidden after parsing; the property still holds the value
    if (old.nonce) s.nonce = old.nonce;
    // dynamically inserted scripts are async by default; keep document order unless the placeholder asked for async
    s.async = old.hasAttribute('async');
    const src = old.getAttribute('src');
    if (src) {
      const url = tt ? tt.createScriptURL(src) : src;
      if (!url || !/^https?:$/.test(new URL(src, win.location.href).protocol)) return skip(el, 'unsafe script URL');
      (s as unknown as { src: unknown }).src = url;
    } else (s as unknown as { text: unknown }).text = tt ? tt.createScript(old.text) : old.text;
    old.replaceWith(s);
  };
  const skipped = new WeakSet<Element>();
  const skip = (el: Element, why: string) => {
    skipped.add(el);
    deps.onSkip?.(el, why);
  };
  const scan = () =>
    doc.querySelectorAll(EMBED_SELECTOR).forEach((el) => {
      try {
        skipped.has(el) || activate(el);
      } catch (e) {
        skip(el, String(e));
      }
    });
  const mo = typeof MutationObserver == 'function' ? new MutationObserver(scan) : undefined;
  mo?.observe(doc.documentElement, { childList: true, subtree: true });
  scan();
  return { scan, stop: () => mo?.disconnect() };
}
