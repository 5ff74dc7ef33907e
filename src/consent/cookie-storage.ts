/**
 * The default home of the consent record: the first-party `tp_consent` cookie, strictly necessary, holding only the
 * decision (no PII, no tracking id). Imports: types. Touches no other cookie and no other storage.
 */
import type { ConsentStorage } from './types';

/** Name of the consent cookie. */
export const CONSENT_COOKIE = 'tp_consent';

/**
 * A consent-record storage backed by a first-party cookie: `Path=/; SameSite=Lax`, `Secure` on https, `Max-Age` =
 * the decision's lifetime, so an expired decision disappears by itself.
 * @param doc - the document whose cookie jar is used
 * @param maxAgeSec - lifetime of the cookie in seconds
 * @example
 * const storage = cookieStorage(document, 182 * 86400);
 */
export function cookieStorage(doc: Document, maxAgeSec: number, name = CONSENT_COOKIE): ConsentStorage {
  const set = (value: string, maxAge: number) =>
    void (doc.cookie = `${name}=${value}; Max-Age=${maxAge}; Path=/; SameSite=Lax${doc.location?.protocol == 'https:' ? '; Secure' : ''}`);
  return {
    read() {
      const m = doc.cookie.match(RegExp(`(?:^|; ?)${name}=([^;]*)`));
      return m ? decodeURIComponent(m[1]) : null;
    },
    write: (v) => set(encodeURIComponent(v), maxAgeSec | 0),
    remove: () => set('', 0),
  };
}
