/**
 * URL redaction: replaces the values of secret or personal query parameters, OAuth fragments and e-mail addresses with
 * REDACTED before a URL leaves the browser. Imports: nothing. Never throws, never parses with `new URL` (relative URLs
 * and malformed input must work too).
 */

/** What a redacted value becomes; the key stays so analysts see it was there. */
export const REDACTED = 'REDACTED';

/**
 * Query parameter names whose values are always redacted (compared case-insensitively, also as the last bracketed part
 * of a name such as `user[email]`): credentials and tokens, session ids, signatures and personal data.
 *
 * @example
 * redactUrl('/reset?token=abc', DEFAULT_REDACTED_PARAMS); // '/reset?token=REDACTED'
 */
export const DEFAULT_REDACTED_PARAMS = [
  // credentials, tokens and one-time codes (OAuth code, implicit-flow tokens)
  'token', 'access_token', 'id_token', 'refresh_token', 'auth', 'authorization', 'code', 'otp', 'pin',
  'password', 'pass', 'passwd', 'pwd', 'secret', 'client_secret', 'api_key', 'apikey', 'key',
  // sessions and signed URLs (S3, Azure SAS)
  'session', 'sessionid', 'session_id', 'sid', 'jsessionid', 'phpsessid', 'sig', 'signature',
  'x-amz-signature', 'x-amz-credential', 'x-amz-security-token',
  // personal data
  'email', 'e-mail', 'mail', 'phone', 'tel', 'mobile', 'name', 'firstname', 'first_name', 'lastname', 'last_name',
  'fullname', 'address', 'street', 'zip', 'zipcode', 'postcode', 'postal_code', 'dob', 'birthdate',
  'iban', 'card', 'cardnumber', 'cc', 'cvc', 'cvv', 'ssn',
] as const;

// local part may hold %XX and "+" but never "/", "?", "&", "=", "#" or ":", so a path or key around it survives
const EMAIL = /[\w.!$%'*+^`{|}~-]+(?:@|%40)[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,}/gi;

let lastKeys: readonly string[] | undefined;
let lastSet = new Set<string>();

function keySet(keys: readonly string[]): Set<string> {
  // the same list comes in on every page view; build its set once
  if (keys !== lastKeys) {
    lastSet = new Set((Array.isArray(keys) ? keys : []).map((k) => String(k).toLowerCase()));
    lastKeys = keys;
  }
  return lastSet;
}

const emails = (s: string): string => (/@|%40/i.test(s) ? s.replace(EMAIL, REDACTED) : s);

function isRedacted(rawKey: string, keys: Set<string>): boolean {
  let k = rawKey.replace(/\+/g, ' ');
  try {
    k = decodeURIComponent(k);
  } catch {
    // a malformed escape stays as written
  }
  k = k.trim().toLowerCase();
  const inner = /\[([^\]]*)\]$/.exec(k);
  return keys.has(k) || (!!inner && keys.has(inner[1]));
}

function redactQuery(query: string, keys: Set<string>): string {
  return query
    .split('&')
    .map((part) => {
      const i = part.indexOf('=');
      return i < 0 ? emails(part) : part.slice(0, i) + '=' + (isRedacted(part.slice(0, i), keys) ? REDACTED : emails(part.slice(i + 1)));
    })
    .join('&');
}

function redactHash(hash: string, keys: Set<string>): string {
  const q = hash.indexOf('?');
  // "#/route?token=…" (hash routers), "#access_token=…" (OAuth implicit flow), or a plain anchor
  return q >= 0 ? emails(hash.slice(0, q)) + '?' + redactQuery(hash.slice(q + 1), keys) : hash.includes('=') ? redactQuery(hash, keys) : emails(hash);
}

/**
 * The URL with the values of `keys` in its query and query-like fragment replaced by REDACTED, credentials in its
 * authority replaced by REDACTED, and every e-mail address in its path, values or fragment replaced by REDACTED.
 *
 * @param url - An absolute or relative URL.
 * @param keys - Parameter names to redact, compared case-insensitively.
 * @defaultValue keys: {@link DEFAULT_REDACTED_PARAMS}
 * @returns The redacted URL; on malformed input, the input with e-mail addresses redacted.
 * @example
 * redactUrl('https://shop.example/cb?code=xyz&step=2#access_token=abc', DEFAULT_REDACTED_PARAMS);
 * // 'https://shop.example/cb?code=REDACTED&step=2#access_token=REDACTED'
 */
export function redactUrl(url: string, keys: readonly string[] = DEFAULT_REDACTED_PARAMS): string {
  try {
    const set = keySet(keys);
    const h = url.indexOf('#');
    const rest = h < 0 ? url : url.slice(0, h);
    const q = rest.indexOf('?');
    const base = q < 0 ? rest : rest.slice(0, q);
    const authority = (/^([a-z][\w+.-]*:)?\/\/[^/]*/i.exec(base) || [''])[0];
    return (
      authority.replace(/\/\/[^@]*@/, '//' + REDACTED + '@') +
      emails(base.slice(authority.length)) +
      (q < 0 ? '' : '?' + redactQuery(rest.slice(q + 1), set)) +
      (h < 0 ? '' : '#' + redactHash(url.slice(h + 1), set))
    );
  } catch {
    return typeof url == 'string' ? emails(url) : '';
  }
}

/**
 * A `location.search` string with the values of `keys` and any e-mail address replaced by REDACTED.
 *
 * @param search - "?a=1&b=2", "a=1&b=2" or ''.
 * @param keys - Parameter names to redact, compared case-insensitively.
 * @defaultValue keys: {@link DEFAULT_REDACTED_PARAMS}
 * @example
 * redactSearch('?email=a%40b.com&page=2', DEFAULT_REDACTED_PARAMS); // '?email=REDACTED&page=2'
 */
export function redactSearch(search: string, keys: readonly string[] = DEFAULT_REDACTED_PARAMS): string {
  try {
    const q = search[0] == '?' ? 1 : 0;
    return search ? search.slice(0, q) + redactQuery(search.slice(q), keySet(keys)) : search;
  } catch {
    return typeof search == 'string' ? emails(search) : '';
  }
}
