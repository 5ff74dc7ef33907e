/**
 * The device-id cookie a first-party collector sets for returning visitors whose script storage the browser wiped
 * (WebKit's tracking prevention caps script-written storage, IndexedDB included, at 7 days without a visit): an
 * `HttpOnly` cookie holding the device id, set only for batches whose consent snapshot grants analytics, cleared by
 * any batch or consent record that lacks it. Events arriving with the cookie carry its id as `context.device.id`, so
 * the identity graph can link a new anonymousId to the device. Imports: node:http types. Never stores anything itself.
 */
import type { IncomingMessage } from 'node:http';

/** Options of the collector's `deviceCookie` (off by default). */
export interface DeviceCookieOptions {
  /** Cookie name; must differ from the SDK's script-written mirror (`tp_id`). @defaultValue 'tp_device' */
  name?: string;
  /** Cookie domain, e.g. `.shop.example` so every subdomain's collector path sees it; host-only when omitted. */
  domain?: string;
  /** Lifetime in days, renewed by every consented batch (browsers cap it at 400). @defaultValue 400 */
  maxAgeDays?: number;
  /** `Secure` attribute: `'auto'` sets it when the request came over https (or `X-Forwarded-Proto: https` behind a trusted proxy). @defaultValue 'auto' */
  secure?: boolean | 'auto';
}

/** What the collector asks of the device cookie for each request. */
export interface DeviceCookie {
  /** Stamps the events that have analytics consent with the device id; returns the `Set-Cookie` value to answer with, if any. */
  batch(req: IncomingMessage, events: unknown[]): string | undefined;
  /** Returns a `Set-Cookie` value that clears the cookie when a consent record takes analytics away, else undefined. */
  consent(req: IncomingMessage, records: unknown[]): string | undefined;
}

/** Default cookie name: not `tp_id`, which the SDK writes from script and could not overwrite once it is HttpOnly. */
export const DEVICE_COOKIE_NAME = 'tp_device';

const DAY_S = 86_400;
const isId = (v: unknown): v is string => typeof v == 'string' && /^[\w-]{8,128}$/.test(v);
const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v == 'object' && !Array.isArray(v);

/** The value of cookie `name` in a Cookie header, if it is a valid device id. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() == name) {
      const v = part.slice(i + 1).trim();
      if (isId(v)) return v;
    }
  }
  return undefined;
}

/** Whether an event's or record's consent grants analytics: true, false, or undefined when it says nothing. */
function analytics(item: unknown): boolean | undefined {
  if (!isObject(item)) return undefined;
  const granted = isObject(item.context?.consent) ? item.context.consent.categories : item.granted;
  return Array.isArray(granted) ? granted.includes('analytics') : undefined;
}

/**
 * Removes any `context.device.id` a sender put on its events: only the device cookie may set it, since the identity
 * graph links it like a device id (a forged one could otherwise attach a device to someone else's profile).
 *
 * @example
 * stripDeviceIds(batch); // then device.batch(req, batch) stamps the cookie's id
 */
export function stripDeviceIds(events: readonly unknown[]): void {
  for (const e of events as Record<string, any>[]) {
    const device = isObject(e) && isObject(e.context) ? e.context.device : undefined;
    if (isObject(device) && 'id' in device) {
      const { id: _forged, ...rest } = device;
      e.context = { ...e.context, device: rest };
    }
  }
}

/**
 * Creates the device cookie for a collector served on the shop's own origin (the SDK sends same-origin requests with
 * cookies; cross-origin collectors never receive them).
 *
 * @param options - `true` for the defaults, or name, domain, lifetime and `Secure`
 * @param trustProxy - read `X-Forwarded-Proto` for `secure: 'auto'`
 * @example
 * ```ts
 * createCollector({ writeKeys, deviceCookie: { domain: '.shop.example' } });
 * ```
 */
export function createDeviceCookie(options: true | DeviceCookieOptions, trustProxy = false): DeviceCookie {
  const o = options === true ? {} : options;
  const name = o.name || DEVICE_COOKIE_NAME;
  const maxAge = Math.round((o.maxAgeDays ?? 400) * DAY_S);
  const secure = (req: IncomingMessage) => {
    if (o.secure !== undefined && o.secure !== 'auto') return o.secure;
    const forwarded = trustProxy ? String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim() : '';
    return forwarded ? forwarded == 'https' : !!(req.socket as { encrypted?: boolean } | undefined)?.encrypted;
  };
  const cookie = (req: IncomingMessage, value: string, seconds: number) =>
    `${name}=${value}; Max-Age=${seconds}; Path=/; HttpOnly; SameSite=Lax${o.domain ? '; Domain=' + o.domain : ''}${secure(req) ? '; Secure' : ''}`;
  const clear = (req: IncomingMessage) => (readCookie(req.headers.cookie, name) ? cookie(req, '', 0) : undefined);

  return {
    batch(req, events) {
      const consented = events.filter((e) => analytics(e) === true) as Record<string, any>[];
      if (!consented.length) return events.some((e) => analytics(e) === false) ? clear(req) : undefined;
      // the cookie outlives script storage: a visitor arriving with it is that device, whatever anonymousId it has now
      const id = readCookie(req.headers.cookie, name) ?? consented.map((e) => e.anonymousId).find(isId);
      if (!id) return undefined;
      for (const e of consented) e.context = { ...e.context, device: { ...(isObject(e.context?.device) ? e.context.device : {}), id } };
      return cookie(req, id, maxAge);
    },
    consent(req, records) {
      return records.some((r) => analytics(r) === false) ? clear(req) : undefined;
    },
  };
}
