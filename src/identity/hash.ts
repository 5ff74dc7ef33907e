/**
 * Identity links ready for the wire: snake_case types, placeholder values dropped, e-mail and phone normalised and
 * SHA-256 hashed in the browser (SubtleCrypto). Imports: schema types, util. Never sends an e-mail or phone in clear
 * unless the developer opts out per link with `raw: true`, never throws, never stores.
 */
import type { IdentityLink } from '../schema/event';
import { sha256Hex } from '../util/hash';

/** Shared with consent; re-exported so identity's callers and tests keep one import. */
export { fnv1a, sha256Hex } from '../util/hash';

/** One identity link as a developer passes it to `identify`. */
export interface IdentityInput {
  /** snake_case type: `email`, `phone`, `customer_id`, `loyalty_id` or a custom one. */
  type: string;
  /** The value; numbers are accepted and turned into strings. */
  value: unknown;
  /** `true` says `value` is already a SHA-256 hex digest of the normalised value; it is passed through. */
  hashed?: boolean;
  /** `true` sends an e-mail or phone as given, unhashed (explicit opt-out; the link is sent with `hashed: false`). */
  raw?: boolean;
}

/** Why a link was left out (an expected outcome, not an error). */
export type IdentityDropReason =
  | 'invalid_type' // not snake_case, or longer than 64 characters
  | 'placeholder' // null, undefined, 0, empty, 'n/a', 'unknown', 'test@example.com', '0000', …
  | 'invalid' // not an e-mail / phone number, too long, or `hashed: true` without a SHA-256 hex digest
  | 'no_crypto' // SubtleCrypto is unavailable (insecure context), so an e-mail or phone cannot be hashed
  | 'duplicate'
  | 'too_many'; // more than 50 links in one call (the schema's limit)

/** Options of {@link hashIdentities}. */
export interface HashOptions {
  /** Country calling code for national phone numbers with a leading 0, e.g. `'49'`. */
  defaultCountryCode?: string;
  /** Called once for every link left out, with its type and the reason (never the value). */
  onDrop?: (type: string, reason: IdentityDropReason) => void;
  /** SubtleCrypto to hash with; `null` simulates an insecure context. @defaultValue globalThis.crypto.subtle */
  subtle?: SubtleCrypto | null;
}

const MAX_LINKS = 50;
const MAX_VALUE_LENGTH = 512;
const HEX64 = /^[0-9a-f]{64}$/i;
const PLACEHOLDERS = ',null,undefined,nil,none,0,-,n/a,na,nan,unknown,false,test,[object object],test@example.com,test@test.com,email@example.com,user@example.com,noreply@example.com,no@email.com,';

/**
 * Normalises an e-mail address for hashing: trimmed and lower-cased; for Gmail addresses (gmail.com and its alias
 * googlemail.com, which is folded into gmail.com) dots and a `+tag` in the local part are removed, because Gmail
 * delivers all those spellings to one mailbox. Other providers keep dots and `+tag`s (their semantics differ).
 * Note: Meta's matching spec only trims and lower-cases, Google's also drops Gmail dots; this digest is for the
 * Touchpoint identity graph.
 *
 * @param v - the address as entered
 * @returns the normalised address, or undefined when `v` is not shaped like an e-mail address
 * @example
 * normaliseEmail(' Jane.Doe+shop@GoogleMail.com '); // 'janedoe@gmail.com'
 */
export function normaliseEmail(v: string): string | undefined {
  const s = String(v).trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s.]+$/.test(s)) return undefined;
  let [local, domain] = s.split('@');
  if (domain == 'gmail.com' || domain == 'googlemail.com') {
    local = local.replace(/\+.*/, '').replace(/\./g, '');
    domain = 'gmail.com';
  }
  return local ? local + '@' + domain : undefined;
}

/**
 * Normalises a phone number to E.164 (`+` and 7–15 digits): keeps digits and a leading `+`, drops a `(0)` trunk
 * hint (`+49 (0)151 …`), turns a `00` prefix into `+`, and gives a national number with a leading 0 the default
 * country code. Digits without any prefix are taken to include their country code already.
 *
 * @param v - the number as entered
 * @param defaultCountryCode - calling code for national numbers, e.g. `'49'`
 * @returns the E.164 number, or undefined when it cannot be one (e.g. national without a default country code)
 * @example
 * normalisePhone('0151 / 234 567-89', '49'); // '+4915123456789'
 */
export function normalisePhone(v: string, defaultCountryCode?: string): string | undefined {
  let s = String(v).trim().replace(/\(0\)/g, '');
  const plus = s[0] == '+';
  s = s.replace(/\D/g, '');
  if (!plus) {
    const cc = String(defaultCountryCode || '').replace(/\D/g, '');
    if (s.startsWith('00')) s = s.slice(2);
    else if (s[0] == '0') {
      if (!cc) return undefined;
      s = cc + s.slice(1);
    }
  }
  return /^[1-9]\d{6,14}$/.test(s) ? '+' + s : undefined;
}

/**
 * Turns developer-given identity links into wire links: `email` and `phone` are normalised and hashed unless the link
 * says `raw: true`; links marked `hashed: true` (a SHA-256 hex digest) and e-mail/phone values that already are one
 * pass through; other types are sent as given. Bad, placeholder and duplicate links are left out and reported
 * through `onDrop`; without SubtleCrypto e-mail and phone links are left out, never sent in clear. Never rejects.
 *
 * @param links - the links from `identify(…, { identities })`
 * @param options - country code for phone numbers, drop callback, SubtleCrypto seam
 * @returns the links to send, in input order
 * @example
 * const links = await hashIdentities(
 *   [{ type: 'email', value: 'Jane.Doe@example.com' }, { type: 'customer_id', value: 'C-1001' }],
 *   { onDrop: (type, reason) => log.warn(`identity ${type} dropped: ${reason}`) },
 * );
 * // [{ type: 'email', value: '<sha256 hex>', hashed: true }, { type: 'customer_id', value: 'C-1001', hashed: false }]
 */
export async function hashIdentities(links: IdentityInput[], options: HashOptions = {}): Promise<IdentityLink[]> {
  const seen = new Set<string>();
  const drop = (type: string, reason: IdentityDropReason) => {
    try {
      options.onDrop?.(type, reason);
    } catch {}
    return undefined;
  };
  const one = async (l: IdentityInput): Promise<IdentityLink | undefined> => {
    const type = l && typeof l.type == 'string' ? l.type : '';
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(type)) return drop(type, 'invalid_type');
    const v = l.value;
    let value = typeof v == 'string' ? v.trim() : typeof v == 'number' && isFinite(v) ? String(v) : '';
    const lower = value.toLowerCase();
    if (!lower || PLACEHOLDERS.includes(',' + lower + ',') || /^(.)\1{2,}$/.test(lower.replace(/[\s+().\/-]/g, ''))) {
      return drop(type, 'placeholder');
    }
    let hashed = !!l.hashed;
    const pii = (type == 'email' || type == 'phone') && !l.raw;
    if (hashed || (pii && HEX64.test(value))) {
      if (!HEX64.test(value)) return drop(type, 'invalid');
      value = lower;
      hashed = true;
    } else if (pii) {
      const n = type == 'email' ? normaliseEmail(value) : normalisePhone(value, options.defaultCountryCode);
      if (!n) return drop(type, 'invalid');
      const h = await sha256Hex(n, options.subtle);
      if (!h) return drop(type, 'no_crypto');
      value = h;
      hashed = true;
    }
    if (value.length > MAX_VALUE_LENGTH) return drop(type, 'invalid');
    const key = type + ' ' + value;
    if (seen.has(key)) return drop(type, 'duplicate');
    seen.add(key);
    return { type, value, hashed };
  };
  try {
    const list = Array.isArray(links) ? links : [];
    const out: IdentityLink[] = [];
    // hash in parallel, then de-duplicate and cap in input order
    for (const l of await Promise.all(list.map((l) => one(l).catch(() => undefined)))) {
      if (l && out.length >= MAX_LINKS) drop(l.type, 'too_many');
      else if (l) out.push(l);
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * The device's identity set after new links: one entry per type and value, a link given again moves to the end, and
 * only the newest 50 (the schema's limit) are kept.
 *
 * @param current - the set so far (may hold duplicates)
 * @param added - links from the latest `identify`, already hashed
 * @returns the new set
 * @example
 * links = mergeLinks(links, await hashIdentities(given));
 */
export function mergeLinks(current: IdentityLink[], added: IdentityLink[]): IdentityLink[] {
  const byKey = new Map<string, IdentityLink>();
  for (const l of [...current, ...added]) {
    const key = l.type + ' ' + l.value;
    byKey.delete(key);
    byKey.set(key, l);
  }
  return [...byKey.values()].slice(-MAX_LINKS);
}
