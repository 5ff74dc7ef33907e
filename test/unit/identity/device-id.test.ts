import { afterEach, describe, expect, it } from 'vitest';
import { deleteCookieId, isDeviceId, readCookieId, resolveDeviceId, writeCookieId } from '../../../src/identity/device-id';

const ID = '0b9f4c1e-5d1a-4c1e-9a55-2f0f6a2c7b11';

/** A document that records every cookie string written to it. */
function recordingDoc(protocol: string, existing = '') {
  const written: string[] = [];
  const doc = {
    location: { protocol },
    get cookie() {
      return existing;
    },
    set cookie(v: string) {
      written.push(v);
    },
  } as unknown as Document;
  return { doc, written };
}

afterEach(() => {
  for (const c of document.cookie.split(';')) {
    const name = c.split('=')[0].trim();
    if (name) document.cookie = name + '=; Max-Age=0; Path=/';
  }
});

describe('isDeviceId', () => {
  it('accepts UUIDs and adopted ids, rejects anything that could break a cookie or a token', () => {
    expect(isDeviceId(ID)).toBe(true);
    expect(isDeviceId('abc_DEF-123')).toBe(true);
    for (const bad of ['', 'short', 'a;b=c1234', 'a.b.c.d.e.f', 'x'.repeat(129), undefined, 42]) expect(isDeviceId(bad), String(bad)).toBe(false);
  });
});

describe('cookie mirror', () => {
  it('writes tp_id with Path=/, SameSite=Lax, a year Max-Age and Secure on https', () => {
    const { doc, written } = recordingDoc('https:');
    writeCookieId(ID, { domain: '.shop.example', doc });
    expect(written).toEqual([`tp_id=${ID}; Max-Age=31536000; Path=/; SameSite=Lax; Domain=.shop.example; Secure`]);
  });

  it('is host-only without a domain and not Secure on http', () => {
    const { doc, written } = recordingDoc('http:');
    writeCookieId(ID, { doc, maxAgeDays: 30, name: 'my_id' });
    expect(written).toEqual([`my_id=${ID}; Max-Age=2592000; Path=/; SameSite=Lax`]);
  });

  it('never writes an invalid id', () => {
    const { doc, written } = recordingDoc('https:');
    writeCookieId('x; Domain=evil.example', { doc });
    expect(written).toEqual([]);
  });

  it('deletes with Max-Age=0 and the same domain', () => {
    const { doc, written } = recordingDoc('https:');
    deleteCookieId('tp_id', '.shop.example', doc);
    expect(written).toEqual(['tp_id=; Max-Age=0; Path=/; SameSite=Lax; Domain=.shop.example; Secure']);
  });

  it('reads the id among other cookies and ignores invalid values', () => {
    expect(readCookieId('tp_id', recordingDoc('https:', `a=1; tp_id=${ID}; tp_id_x=zzzzzzzzzz`).doc)).toBe(ID);
    expect(readCookieId('tp_id', recordingDoc('https:', 'tp_id=bad; other=1').doc)).toBeUndefined();
    expect(readCookieId('tp_id', recordingDoc('https:', 'xtp_id=' + ID).doc)).toBeUndefined();
    expect(readCookieId('tp_id', recordingDoc('https:', '').doc)).toBeUndefined();
  });

  it('round-trips through a real document.cookie', () => {
    expect(readCookieId()).toBeUndefined();
    writeCookieId(ID);
    expect(readCookieId()).toBe(ID);
    deleteCookieId();
    expect(readCookieId()).toBeUndefined();
  });

  it('never throws when cookies are blocked', () => {
    const doc = {
      location: { protocol: 'https:' },
      get cookie(): string {
        throw new Error('SecurityError');
      },
      set cookie(_v: string) {
        throw new Error('SecurityError');
      },
    } as unknown as Document;
    expect(readCookieId('tp_id', doc)).toBeUndefined();
    expect(() => writeCookieId(ID, { doc })).not.toThrow();
    expect(() => deleteCookieId('tp_id', undefined, doc)).not.toThrow();
  });
});

describe('resolveDeviceId', () => {
  const uuid = () => 'ffffffff-0000-4000-8000-000000000000';
  it('prefers the stored id, then the cookie, else a new one', () => {
    expect(resolveDeviceId({ stored: ID, cookie: 'cookie-id-1', uuid })).toEqual({ id: ID, source: 'stored' });
    expect(resolveDeviceId({ cookie: 'cookie-id-1', uuid })).toEqual({ id: 'cookie-id-1', source: 'cookie' });
    expect(resolveDeviceId({ uuid })).toEqual({ id: uuid(), source: 'new' });
  });
  it('skips invalid stored or cookie values', () => {
    expect(resolveDeviceId({ stored: '', cookie: 'x', uuid })).toEqual({ id: uuid(), source: 'new' });
    expect(resolveDeviceId({ stored: 'bad id!', cookie: ID, uuid })).toEqual({ id: ID, source: 'cookie' });
  });
});
