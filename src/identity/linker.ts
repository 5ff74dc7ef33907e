/**
 * Cross-domain linking for shops on several domains: links and forms to the configured domains carry a short-lived,
 * checksummed `_tp` token with the device id; the landing page adopts it when its consent allows and removes it from
 * the address bar. Imports: identity/hash, identity/device-id. Never decorates or adopts without consent, never stores.
 *
 * The token is `v1.<deviceId>.<secondsBase36>.<checksum>`, the checksum an FNV-1a over the id, the time, the user
 * agent and an optional site secret. It catches truncated, edited and stale links and links opened in another browser
 * (a shared URL); it is not a security boundary: anyone who reads the script can forge a token.
 */
import { fnv1a } from './hash';
import { deleteCookieId, isDeviceId, readCookieId, writeCookieId } from './device-id';

/** Query parameter that carries the token. */
export const LINKER_PARAM = '_tp';
/** How long a token is accepted after it was made, in ms. */
export const LINKER_MAX_AGE_MS = 2 * 60 * 1000;

/** Options of {@link createLinker}. */
export interface LinkerOptions {
  /** Domains to link to, e.g. `['shop.de', 'shop.at']`; subdomains match too. */
  domains: string[];
  /** The current device id; undefined before there is one. */
  getDeviceId(): string | undefined;
  /** Whether consent allows passing the device id on (checked at every decoration). */
  allowed(): boolean;
  /** Clock, epoch ms. @defaultValue Date.now */
  now?: () => number;
  /** Mixed into the checksum; must be the same on every domain. Not a secret in any strong sense (it ships in the script). */
  secret?: string;
  /** The page's location, to leave links within the current domain alone. @defaultValue globalThis.location */
  location?: { href: string };
}

/** Linker returned by {@link createLinker}. */
export interface Linker {
  /** Returns `url` with a fresh `_tp` token when it points to another configured domain and consent allows; else `url`. */
  decorate(url: string): string;
  /** Decorates links and forms to the configured domains when they are clicked or submitted; returns a stop function. */
  start(doc: Document): () => void;
}

const ua = () => (typeof navigator == 'object' && navigator.userAgent) || '';
const checksum = (id: string, ts: string, secret = '') => fnv1a(['v1', id, ts, ua(), secret].join('.'));
const host = (d: unknown) => String(d).trim().replace(/^\.+/, '').toLowerCase();

/**
 * Creates the cross-domain linker.
 *
 * @param options - domains, device id source, consent check
 * @example
 * const linker = createLinker({ domains: ['shop.de', 'shop.at'], getDeviceId: () => anonymousId, allowed: () => consent.allows('analytics') });
 * const stop = linker.start(document);
 */
export function createLinker(options: LinkerOptions): Linker {
  const now = options.now || Date.now;
  const domains = (Array.isArray(options.domains) ? options.domains : []).map(host).filter(Boolean);
  // the configured domain a host belongs to, '' when none
  const domainOf = (h: string) => domains.find((d) => h == d || h.endsWith('.' + d)) || '';

  const decorate = (url: string): string => {
    try {
      const id = options.getDeviceId();
      if (!options.allowed() || !isDeviceId(id)) return url;
      const here = new URL((options.location || location).href);
      const u = new URL(url, here);
      const target = domainOf(u.hostname);
      if (!/^https?:$/.test(u.protocol) || !target || target == domainOf(here.hostname)) return url;
      const ts = Math.floor(now() / 1000).toString(36);
      u.searchParams.set(LINKER_PARAM, `v1.${id}.${ts}.${checksum(id, ts, options.secret)}`);
      return u.href;
    } catch {
      return url;
    }
  };

  const onEvent = (e: Event) => {
    try {
      if (e.type == 'keydown' && (e as KeyboardEvent).key != 'Enter') return;
      // composedPath reaches links inside open shadow roots
      for (const n of e.composedPath() as HTMLElement[]) {
        const tag = n.tagName;
        if (e.type == 'submit' ? tag == 'FORM' : tag == 'A' || tag == 'AREA') {
          if (tag != 'FORM') {
            const a = n as HTMLAnchorElement;
            const d = typeof a.href == 'string' && a.href ? decorate(a.href) : '';
            if (d && d != a.href) a.href = d;
          } else decorateForm(n as HTMLFormElement);
          return;
        }
      }
    } catch {}
  };

  const decorateForm = (f: HTMLFormElement) => {
    // attributes, not f.action / f.method: a field named "action" would shadow those properties
    const action = f.getAttribute('action') || '';
    const d = action && decorate(action);
    if (!d || d == action) return;
    if ((f.getAttribute('method') || 'get').toLowerCase() != 'get') return f.setAttribute('action', d);
    // a GET submit replaces the action's query with the fields, so the token travels as a hidden field
    let input = f.querySelector<HTMLInputElement>(`input[name="${LINKER_PARAM}"]`);
    if (!input) {
      input = f.ownerDocument.createElement('input');
      input.type = 'hidden';
      input.name = LINKER_PARAM;
      f.appendChild(input);
    }
    input.value = new URL(d).searchParams.get(LINKER_PARAM)!;
  };

  return {
    decorate,
    start(doc) {
      const types = ['mousedown', 'keydown', 'submit'];
      // capture phase: a page's stopPropagation cannot keep a link undecorated
      for (const t of types) doc.addEventListener(t, onEvent, true);
      return () => types.forEach((t) => doc.removeEventListener(t, onEvent, true));
    },
  };
}

/** Options of {@link adoptFromUrl}. */
export interface AdoptOptions {
  /** Whether consent on this page allows adopting a device id. */
  allowed: boolean;
  /** Clock, epoch ms. @defaultValue Date.now */
  now?: () => number;
  /** The same secret the linking site used. */
  secret?: string;
}

/**
 * Reads a `_tp` token from the landing URL and returns its device id when consent allows and the token is valid and
 * at most 2 minutes old; core then uses it instead of its own stored id. Removes `_tp` from the address bar with
 * `history.replaceState` whenever it is present, adopted or not, so it is neither bookmarked nor shared.
 *
 * @param loc - the page's location
 * @param history - the page's history
 * @param options - consent, clock, secret
 * @returns the adopted device id, or undefined
 * @example
 * const adopted = adoptFromUrl(location, history, { allowed: consent.allows('analytics') });
 * if (adopted) anonymousId = adopted;
 */
export function adoptFromUrl(loc: Location, history: History, options: AdoptOptions): string | undefined {
  try {
    const u = new URL(loc.href);
    const token = u.searchParams.get(LINKER_PARAM);
    if (token === null) return undefined;
    u.searchParams.delete(LINKER_PARAM);
    try {
      history.replaceState(history.state, '', u.pathname + u.search + u.hash);
    } catch {}
    const [v, id, ts, sum, extra] = token.split('.');
    const age = (options.now || Date.now)() - parseInt(ts, 36) * 1000;
    if (!options.allowed || v != 'v1' || extra !== undefined || !isDeviceId(id) || !(Math.abs(age) <= LINKER_MAX_AGE_MS)) return undefined;
    return sum == checksum(id, ts, options.secret) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@link startLinking}: what core knows about the page, its config and consent. */
export interface LinkingOptions {
  /** The tracker config: `linkDomains` are decorated, `linkerSecret` goes into the checksum, `cookieDomain` scopes the mirror. */
  config: { linkDomains?: unknown; linkerSecret?: string; cookieDomain?: string };
  /**
   * Consent as core holds it. Under beforeConsent 'hold' a token may wait in memory (never stored) for a grant on this
   * page while it is fresh; under 'drop' it is dropped when consent is still pending as linking starts.
   */
  consent: { allows(category: string): boolean; get(): { status: string }; onChange(handler: () => void): unknown; config(): { beforeConsent?: string } };
  /** The current device id; undefined before analytics consent. */
  deviceId(): string | undefined;
  /** Clock, epoch ms. @defaultValue Date.now */
  now?: () => number;
  /** The page's window. @defaultValue globalThis */
  win?: Window;
}

/** What {@link startLinking} gives core: the landing token's device id, and the cookie mirror of the device id. */
export interface Linking {
  /** The landing token's device id when analytics is granted and the token fresh and valid; asked once, later calls get undefined. */
  adopt(): string | undefined;
  /** The device id in the cookie mirror (only with `cookieDomain`). */
  cookie(): string | undefined;
  /** Writes `id` to the cookie mirror (only with `cookieDomain`); no id deletes it. */
  mirror(id?: string): void;
}

/**
 * Starts cross-domain and cross-subdomain linking for core: decorates links and forms to `linkDomains` while analytics
 * is granted; keeps the landing token in memory until core's outbox opens (analytics granted) and then adopts its device
 * id when fresh and valid; reads and writes the `cookieDomain` mirror. The token is dropped when consent is decided
 * without analytics or still pending as this starts (unless beforeConsent is 'hold'), and on any later decision without
 * analytics.
 *
 * @param options - config, consent, device id source
 * @param landing - the landing URL as it was with its `_tp` token (core already removed it from the address bar); false or '' for none
 * @example
 * const linking = startLinking({ config, consent, deviceId: () => anonymousId }, landing);
 * anonymousId = linking.adopt() ?? stored ?? linking.cookie() ?? uuid();
 */
export function startLinking(options: LinkingOptions, landing: string | false): Linking {
  const win = options.win || globalThis.window;
  const { consent, config } = options;
  const secret = config.linkerSecret;
  const now = options.now || Date.now;
  const drop = () => {
    if (consent.get().status == 'pending' ? consent.config().beforeConsent != 'hold' : !consent.allows('analytics')) landing = '';
  };
  drop();
  consent.onChange(drop);
  const domains = Array.isArray(config.linkDomains) ? config.linkDomains : [];
  if (domains.length) {
    createLinker({ domains, getDeviceId: options.deviceId, allowed: () => consent.allows('analytics'), now, secret, location: win.location }).start(win.document);
  }
  const domain = config.cookieDomain;
  return {
    cookie: () => (domain ? readCookieId(undefined, win.document) : undefined),
    mirror(id) {
      if (domain) id ? writeCookieId(id, { domain, doc: win.document }) : deleteCookieId(undefined, domain, win.document);
    },
    adopt() {
      const href = landing;
      landing = '';
      // the address bar was cleaned by core already: a history that records nothing
      return href ? adoptFromUrl({ href } as Location, { replaceState() {} } as unknown as History, { allowed: consent.allows('analytics'), now, secret }) : undefined;
    },
  };
}
