/**
 * Device identity helpers: the first-party cookie mirror and which stored id wins. The primary store is the outbox
 * database's meta store in IndexedDB (core reads and writes it); the cookie (written through the lazy linker chunk,
 * only with `cookieDomain`) only mirrors the id so that subdomains
 * (shop.example.com, checkout.example.com) share it. Imports nothing. Never called before analytics consent, never throws.
 */

/** Default name of the cookie mirror. */
export const DEVICE_COOKIE = 'tp_id';

const DAY_S = 86400;

/**
 * Whether `v` can be a device id: 8–128 letters, digits, `-` or `_` (a UUID, or an id adopted from another domain).
 *
 * @example
 * isDeviceId('0b9f4c1e-5d1a-4c1e-9a55-2f0f6a2c7b11'); // true
 */
export function isDeviceId(v: unknown): v is string {
  return typeof v == 'string' && /^[\w-]{8,128}$/.test(v);
}

/**
 * Reads the device id from the cookie mirror.
 *
 * @param name - cookie name @defaultValue 'tp_id'
 * @param doc - document to read from @defaultValue document
 * @returns the id, or undefined when the cookie is missing or does not hold a valid id
 * @example
 * const cookie = readCookieId();
 */
export function readCookieId(name = DEVICE_COOKIE, doc: Document = document): string | undefined {
  try {
    for (const c of doc.cookie.split(';')) {
      const i = c.indexOf('=');
      if (c.slice(0, i).trim() == name) {
        const v = decodeURIComponent(c.slice(i + 1).trim());
        if (isDeviceId(v)) return v;
      }
    }
  } catch {}
  return undefined;
}

/** Options of {@link writeCookieId}. */
export interface CookieOptions {
  /** Cookie domain (config `cookieDomain`, e.g. `.example.com`) so subdomains share the id; host-only when omitted. */
  domain?: string;
  /** Lifetime in days, renewed on every write. @defaultValue 365 */
  maxAgeDays?: number;
  /** Cookie name. @defaultValue 'tp_id' */
  name?: string;
  /** Document to write to; `Secure` is added when its page is served over https. @defaultValue document */
  doc?: Document;
}

const attributes = (domain: string | undefined, maxAgeS: number, doc: Document) =>
  `; Max-Age=${maxAgeS}; Path=/; SameSite=Lax${domain ? '; Domain=' + domain : ''}${doc.location?.protocol == 'https:' ? '; Secure' : ''}`;

/**
 * Writes the device id to the first-party cookie mirror: `tp_id=<id>; Max-Age=…; Path=/; SameSite=Lax[; Domain=…][; Secure]`.
 *
 * @param id - the device id (ignored when not a valid id)
 * @param options - domain, lifetime, name
 * @example
 * writeCookieId(anonymousId, { domain: config.cookieDomain });
 */
export function writeCookieId(id: string, options: CookieOptions = {}): void {
  const doc = options.doc || document;
  try {
    if (isDeviceId(id)) doc.cookie = (options.name || DEVICE_COOKIE) + '=' + id + attributes(options.domain, Math.round((options.maxAgeDays ?? 365) * DAY_S), doc);
  } catch {}
}

/**
 * Deletes the cookie mirror (on `reset()` or withdrawal); pass the same domain it was written with.
 *
 * @param name - cookie name @defaultValue 'tp_id'
 * @param domain - the domain it was written with
 * @param doc - document @defaultValue document
 * @example
 * deleteCookieId('tp_id', config.cookieDomain);
 */
export function deleteCookieId(name = DEVICE_COOKIE, domain?: string, doc: Document = document): void {
  try {
    doc.cookie = name + '=' + attributes(domain, 0, doc);
  } catch {}
}

/** Where a resolved device id came from; core persists it to IndexedDB unless it is `stored`. */
export type DeviceIdSource = 'stored' | 'cookie' | 'new';

/**
 * Picks the device id: the one stored in IndexedDB wins, then the cookie mirror, else a new one.
 *
 * @param input - the stored id, the cookie id and an id factory
 * @returns the id and where it came from
 * @example
 * const { id, source } = resolveDeviceId({ stored: await outbox.getMeta('deviceId'), cookie: readCookieId(), uuid });
 * if (source != 'stored') await outbox.updateMeta('deviceId', () => id);
 * writeCookieId(id, { domain: config.cookieDomain });
 */
export function resolveDeviceId(input: { stored?: string; cookie?: string; uuid: () => string }): { id: string; source: DeviceIdSource } {
  if (isDeviceId(input.stored)) return { id: input.stored, source: 'stored' };
  if (isDeviceId(input.cookie)) return { id: input.cookie, source: 'cookie' };
  return { id: input.uuid(), source: 'new' };
}
