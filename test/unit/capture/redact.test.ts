import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACTED_PARAMS, REDACTED, redactSearch, redactUrl } from '../../../src/capture/redact';

const keys = DEFAULT_REDACTED_PARAMS;

describe('redactUrl: query parameters', () => {
  it('replaces values of listed parameters and keeps their keys', () => {
    expect(redactUrl('https://shop.example/reset?token=abc123&step=2', keys)).toBe('https://shop.example/reset?token=REDACTED&step=2');
    expect(redactUrl('/login?user=jo&password=hunter2&pwd=x', keys)).toBe('/login?user=jo&password=REDACTED&pwd=REDACTED');
  });

  it('matches names case-insensitively, encoded and as the last bracketed part', () => {
    expect(redactUrl('/a?Email=x&API_KEY=y&access%5Ftoken=z', keys)).toBe('/a?Email=REDACTED&API_KEY=REDACTED&access%5Ftoken=REDACTED');
    expect(redactUrl('/a?user[email]=x&user%5Bname%5D=y&user[id]=7', keys)).toBe('/a?user[email]=REDACTED&user%5Bname%5D=REDACTED&user[id]=7');
  });

  it('covers the documented defaults', () => {
    for (const k of ['token', 'access_token', 'id_token', 'refresh_token', 'auth', 'code', 'password', 'pass', 'pwd', 'secret', 'api_key', 'apikey', 'key', 'session', 'sessionid', 'sid', 'email', 'e-mail', 'mail', 'phone', 'tel', 'mobile', 'name', 'firstname', 'lastname', 'address', 'zip', 'iban', 'card', 'cc', 'ssn']) {
      expect(keys).toContain(k);
      expect(redactUrl(`/p?${k}=v&keep=1`, keys)).toBe(`/p?${k}=${REDACTED}&keep=1`);
    }
  });

  it('uses the given keys, not the defaults', () => {
    expect(redactUrl('/p?token=a&customer=b', ['Customer'])).toBe('/p?token=a&customer=REDACTED');
    expect(redactUrl('/p?token=a', [])).toBe('/p?token=a');
  });

  it('leaves valueless and empty parameters in place', () => {
    expect(redactUrl('/p?token&x=&token=', keys)).toBe('/p?token&x=&token=REDACTED');
    expect(redactUrl('/p?', keys)).toBe('/p?');
  });

  it('leaves URLs without secrets unchanged', () => {
    const url = 'https://shop.example/c/shoes?utm_source=news&page=2&gclid=abc#reviews';
    expect(redactUrl(url, keys)).toBe(url);
  });
});

describe('redactUrl: fragments', () => {
  it('redacts an OAuth implicit-flow fragment', () => {
    expect(redactUrl('https://app.example/cb#access_token=ya29.a0&token_type=Bearer&expires_in=3599&id_token=eyJ', keys)).toBe(
      'https://app.example/cb#access_token=REDACTED&token_type=Bearer&expires_in=3599&id_token=REDACTED',
    );
  });

  it('redacts the query part of a hash route', () => {
    expect(redactUrl('/#/reset?token=abc&x=1', keys)).toBe('/#/reset?token=REDACTED&x=1');
  });

  it('keeps a plain anchor', () => {
    expect(redactUrl('/faq#shipping-costs', keys)).toBe('/faq#shipping-costs');
  });
});

describe('redactUrl: e-mail addresses anywhere', () => {
  it('in a value of any parameter, plain or encoded', () => {
    expect(redactUrl('/s?ref=jane.doe@example.com&x=1', keys)).toBe('/s?ref=REDACTED&x=1');
    expect(redactUrl('/s?ref=jane.doe%40example.com', keys)).toBe('/s?ref=REDACTED');
    expect(redactUrl('/s?q=jane%2Btag%40mail.example.co.uk', keys)).toBe('/s?q=REDACTED');
  });

  it('in the path, keeping the segments around it', () => {
    expect(redactUrl('https://shop.example/users/jane@example.com/orders?page=1', keys)).toBe('https://shop.example/users/REDACTED/orders?page=1');
    expect(redactUrl('mailto:jane@example.com', keys)).toBe('mailto:REDACTED');
  });

  it('in the fragment', () => {
    expect(redactUrl('/p#contact-jane@example.com', keys)).toBe('/p#REDACTED');
  });

  it('but not @handles', () => {
    expect(redactUrl('https://social.example/@jane/123', keys)).toBe('https://social.example/@jane/123');
  });

  it('never leaves the address in the result', () => {
    const out = redactUrl('/s?q=contact%20jane%40example.com', keys);
    expect(out).not.toContain('jane');
    expect(out).toContain(REDACTED);
  });
});

describe('redactUrl: credentials and shapes', () => {
  it('redacts user info but keeps the host', () => {
    expect(redactUrl('https://jane:s3cret@shop.example/p', keys)).toBe('https://REDACTED@shop.example/p');
  });

  it('works on relative, protocol-relative and query-only URLs', () => {
    expect(redactUrl('?email=a@b.co', keys)).toBe('?email=REDACTED');
    expect(redactUrl('//cdn.example/x?sig=abc', keys)).toBe('//cdn.example/x?sig=REDACTED');
    expect(redactUrl('page.html?code=1#top', keys)).toBe('page.html?code=REDACTED#top');
    expect(redactUrl('', keys)).toBe('');
  });

  it('never throws on malformed input', () => {
    expect(redactUrl('/p?%E0%A4%A=1&token=%ZZ&ref=a@b.de', keys)).toBe('/p?%E0%A4%A=1&token=REDACTED&ref=REDACTED');
    expect(redactUrl(undefined as unknown as string, keys)).toBe('');
    expect(redactUrl('/p?token=x', null as unknown as string[])).toBe('/p?token=x');
  });

  it('defaults to the built-in list', () => {
    expect(redactUrl('/p?token=x')).toBe('/p?token=REDACTED');
  });
});

describe('redactSearch', () => {
  it('redacts a location.search string and keeps its "?"', () => {
    expect(redactSearch('?email=a%40b.com&page=2', keys)).toBe('?email=REDACTED&page=2');
    expect(redactSearch('phone=123&q=shoes', keys)).toBe('phone=REDACTED&q=shoes');
  });

  it('redacts e-mail addresses in other values', () => {
    expect(redactSearch('?q=jane@example.com', keys)).toBe('?q=REDACTED');
  });

  it('returns empty input unchanged and never throws', () => {
    expect(redactSearch('', keys)).toBe('');
    expect(redactSearch(undefined as unknown as string, keys)).toBe('');
  });
});
