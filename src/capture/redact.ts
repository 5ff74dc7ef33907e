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
export const DEFAULT_REDACTED_PARAMS: readonly string[] = (
  // credentials, tokens and one-time codes (OAuth code, implicit-flow tokens)
  'token access_token id_token refresh_token auth authorization code otp pin password pass passwd pwd secret client_secret api_key apikey key ' +
  // sessions and signed URLs (S3, Azure SAS)
  'session sessionid session_id sid jsessionid phpsessid sig signature x-amz-signature x-amz-credential x-amz-security-token ' +
  // personal data
  'email e-mail mail phone tel mobile name firstname first_name lastname last_name fullname address street zip zipcode postcode postal_code dob ' +
  'birthdate iban card cardnumber cc cvc cvv ssn'
).split(' ');

// local part may hold %XX and "+" but never "/", "?", "&", "=", "#" or ":", so a path or key around it survives
const EMAIL = /[\w.!$%'*+^`{|}~-]+(?:@|%40)[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,}/gi;

// the pre-check keeps the backtracking pattern off long strings without any "@"
const emails = (s: string): string => (/@|%40/.test(s) ? s.replace(EMAIL, REDACTED) : s);

/** The lower-cased key names (the tracker builds its list once; a page view redacts a handful of URLs). */
const keySet = (keys: readonly string[]) => new Set((Array.isArray(keys) ? keys : []).map((k) => String(k).toLowerCase()));

/** A query string with the values of `keys` (by name, decoded, or its last bracketed part) and e-mail addresses redacted. */
function redactQuery(query: string, keys: Set<string>): string {
  return query.replace(/[^&]+/g, (part) => {
    const i = part.indexOf('=');
    let k = part.slice(0, i).replace(/\+/g, ' ');
    try {
      k = decodeURIComponent(k);
    } catch {
      // a malformed escape stays as written
    }
    k = k.trim().toLowerCase();
    return i < 0 ? emails(part) : part.slice(0, i + 1) + (keys.has(k) || keys.has((/\[([^\]]*)\]$/.exec(k) || [])[1]!) ? REDACTED : emails(part.slice(i + 1)));
  });
}

/** "path?query" with e-mail addresses in the path and the query redacted. */
function redactPathQuery(s: string, keys: Set<string>): string {
  const q = s.indexOf('?');
  return q < 0 ? emails(s) : emails(s.slice(0, q)) + '?' + redactQuery(s.slice(q + 1), keys);
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
    const hash = url.slice(h + 1);
    const authority = (/^([a-z][\w+.-]*:)?\/\/[^/?]*/i.exec(rest) || [''])[0];
    // a fragment is "#/route?token=…" (hash routers), "#access_token=…" (OAuth implicit flow), or a plain anchor
    return (
      authority.replace(/\/\/[^@]*@/, '//' + REDACTED + '@') +
      redactPathQuery(rest.slice(authority.length), set) +
      (h < 0 ? '' : '#' + (hash.includes('?') || !hash.includes('=') ? redactPathQuery(hash, set) : redactQuery(hash, set)))
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
