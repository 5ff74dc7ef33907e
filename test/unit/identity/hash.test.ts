import { describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { fnv1a, hashIdentities, normaliseEmail, normalisePhone, sha256Hex, type IdentityDropReason } from '../../../src/identity/hash';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

const run = async (links: Parameters<typeof hashIdentities>[0], options: Parameters<typeof hashIdentities>[1] = {}) => {
  const dropped: [string, IdentityDropReason][] = [];
  const out = await hashIdentities(links, { ...options, onDrop: (t, r) => dropped.push([t, r]) });
  return { out, dropped };
};

describe('normaliseEmail', () => {
  it('trims and lower-cases', () => {
    expect(normaliseEmail('  Jane.Doe@Example.COM ')).toBe('jane.doe@example.com');
  });
  it('keeps dots and +tags outside Gmail', () => {
    expect(normaliseEmail('jane.doe+shop@example.com')).toBe('jane.doe+shop@example.com');
  });
  it('drops dots and +tags in Gmail local parts and folds googlemail.com into gmail.com', () => {
    expect(normaliseEmail('Jane.Doe+newsletter@gmail.com')).toBe('janedoe@gmail.com');
    expect(normaliseEmail('j.a.n.e.doe@GoogleMail.com')).toBe('janedoe@gmail.com');
  });
  it('rejects what is not shaped like an address', () => {
    for (const v of ['', 'jane', 'jane@', '@example.com', 'jane@example', 'ja ne@example.com', 'a@b@example.com', '+@gmail.com']) {
      expect(normaliseEmail(v), v).toBeUndefined();
    }
  });
});

describe('normalisePhone', () => {
  it('keeps an international number in E.164', () => {
    expect(normalisePhone('+49 151 2345-6789')).toBe('+4915123456789');
    expect(normalisePhone('+1 (212) 555-0123')).toBe('+12125550123');
  });
  it('turns 00 into +', () => {
    expect(normalisePhone('0049 151 23456789')).toBe('+4915123456789');
  });
  it('drops a (0) trunk hint', () => {
    expect(normalisePhone('+49 (0)151 23456789')).toBe('+4915123456789');
  });
  it('gives national numbers the default country code', () => {
    expect(normalisePhone('0151 / 234 567-89', '49')).toBe('+4915123456789');
    expect(normalisePhone('030 1234567', '+49')).toBe('+49301234567');
  });
  it('cannot place a national number without a default country code', () => {
    expect(normalisePhone('0151 23456789')).toBeUndefined();
  });
  it('takes bare digits as including the country code', () => {
    expect(normalisePhone('4915123456789', '43')).toBe('+4915123456789');
  });
  it('rejects too short, too long and non-numbers', () => {
    expect(normalisePhone('+49 123')).toBeUndefined();
    expect(normalisePhone('+49 1234 5678 9012 34')).toBeUndefined();
    expect(normalisePhone('call me')).toBeUndefined();
    expect(normalisePhone('+0151234567')).toBeUndefined();
  });
});

describe('sha256Hex', () => {
  it('matches node:crypto', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex('jane.doe@example.com')).toBe(sha('jane.doe@example.com'));
    expect(await sha256Hex('Grüße 🛒')).toBe(sha('Grüße 🛒'));
  });
  it('resolves undefined without SubtleCrypto', async () => {
    expect(await sha256Hex('abc', null)).toBeUndefined();
    expect(await sha256Hex('abc', { digest: () => Promise.reject(new Error('nope')) } as unknown as SubtleCrypto)).toBeUndefined();
  });
});

describe('fnv1a', () => {
  it('is FNV-1a 32-bit in base 36', () => {
    expect(fnv1a('')).toBe((0x811c9dc5).toString(36));
    expect(fnv1a('hello')).toBe((0x4f9f2cab).toString(36));
    expect(fnv1a('a')).toBe((0xe40c292c).toString(36));
  });
});

describe('hashIdentities', () => {
  it('normalises and hashes e-mail and phone', async () => {
    const { out, dropped } = await run(
      [
        { type: 'email', value: ' Jane.Doe@Example.com ' },
        { type: 'phone', value: '0151 23456789' },
      ],
      { defaultCountryCode: '49' },
    );
    expect(out).toEqual([
      { type: 'email', value: sha('jane.doe@example.com'), hashed: true },
      { type: 'phone', value: sha('+4915123456789'), hashed: true },
    ]);
    // a fixed vector as well, so a change in normalisation cannot hide behind the helper
    expect(out[0].value).toBe('86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d');
    expect(dropped).toEqual([]);
  });

  it('hashes the Gmail-normalised address', async () => {
    const { out } = await run([{ type: 'email', value: 'Jane.Doe+shop@gmail.com' }]);
    expect(out).toEqual([{ type: 'email', value: sha('janedoe@gmail.com'), hashed: true }]);
  });

  it('ignores hashed: false alone, only raw: true opts out of hashing', async () => {
    const { out } = await run([
      { type: 'email', value: 'jane@example.com', hashed: false },
      { type: 'phone', value: ' +49 151 23456789 ', raw: true },
    ]);
    expect(out).toEqual([
      { type: 'email', value: sha('jane@example.com'), hashed: true },
      { type: 'phone', value: '+49 151 23456789', hashed: false },
    ]);
  });

  it('passes pre-hashed values through, lower-cased', async () => {
    const h = sha('jane@example.com');
    const { out } = await run([
      { type: 'email', value: h.toUpperCase(), hashed: true },
      { type: 'phone', value: sha('+4915123456789') },
      { type: 'customer_id', value: sha('C-1'), hashed: true },
    ]);
    expect(out).toEqual([
      { type: 'email', value: h, hashed: true },
      { type: 'phone', value: sha('+4915123456789'), hashed: true },
      { type: 'customer_id', value: sha('C-1'), hashed: true },
    ]);
  });

  it('drops hashed: true on a value that is not a digest (it could be clear text)', async () => {
    const { out, dropped } = await run([{ type: 'email', value: 'jane@example.com', hashed: true }]);
    expect(out).toEqual([]);
    expect(dropped).toEqual([['email', 'invalid']]);
  });

  it('sends customer_id, loyalty_id and custom types as given', async () => {
    const { out } = await run([
      { type: 'customer_id', value: ' C-1001 ' },
      { type: 'loyalty_id', value: 4711 },
      { type: 'crm_contact_id', value: 'ab_12' },
    ]);
    expect(out).toEqual([
      { type: 'customer_id', value: 'C-1001', hashed: false },
      { type: 'loyalty_id', value: '4711', hashed: false },
      { type: 'crm_contact_id', value: 'ab_12', hashed: false },
    ]);
  });

  it('drops placeholder values with a reason', async () => {
    const values = [null, undefined, 0, '', '   ', 'null', 'undefined', 'N/A', 'unknown', 'none', '-', 'test@example.com', 'TEST@test.com', '0000', 'xxx'];
    const { out, dropped } = await run(values.map((value) => ({ type: 'customer_id', value })));
    expect(out).toEqual([]);
    expect(dropped).toEqual(values.map(() => ['customer_id', 'placeholder']));
    const phone = await run([{ type: 'phone', value: '000-000-000' }, { type: 'email', value: 'Test@Example.com ' }]);
    expect(phone.dropped).toEqual([['phone', 'placeholder'], ['email', 'placeholder']]);
  });

  it('drops types that are not snake_case', async () => {
    const { out, dropped } = await run([
      { type: 'Email', value: 'jane@example.com' },
      { type: 'customer-id', value: 'C-1' },
      { type: '1st_id', value: 'C-1' },
      { type: 'a'.repeat(65), value: 'C-1' },
      { type: 42 as unknown as string, value: 'C-1' },
    ]);
    expect(out).toEqual([]);
    expect(dropped.map(([, r]) => r)).toEqual(['invalid_type', 'invalid_type', 'invalid_type', 'invalid_type', 'invalid_type']);
  });

  it('drops invalid e-mail and phone values and over-long values', async () => {
    const { out, dropped } = await run([
      { type: 'email', value: 'jane at example' },
      { type: 'phone', value: '0151 2345678' }, // national, no default country code
      { type: 'customer_id', value: 'c'.repeat(512) + 'd' },
    ]);
    expect(out).toEqual([]);
    expect(dropped).toEqual([['email', 'invalid'], ['phone', 'invalid'], ['customer_id', 'invalid']]);
  });

  it('never sends e-mail or phone in clear without SubtleCrypto', async () => {
    const { out, dropped } = await run(
      [
        { type: 'email', value: 'jane@example.com' },
        { type: 'phone', value: '+4915123456789' },
        { type: 'customer_id', value: 'C-1' },
      ],
      { subtle: null },
    );
    expect(out).toEqual([{ type: 'customer_id', value: 'C-1', hashed: false }]);
    expect(dropped).toEqual([['email', 'no_crypto'], ['phone', 'no_crypto']]);
  });

  it('treats a page without crypto.subtle (insecure context) the same way', async () => {
    vi.stubGlobal('crypto', { getRandomValues: globalThis.crypto.getRandomValues.bind(globalThis.crypto) });
    try {
      const { out, dropped } = await run([{ type: 'email', value: 'jane@example.com' }]);
      expect(out).toEqual([]);
      expect(dropped).toEqual([['email', 'no_crypto']]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('de-duplicates links that end up equal', async () => {
    const { out, dropped } = await run([
      { type: 'email', value: 'jane.doe@gmail.com' },
      { type: 'email', value: 'JaneDoe+x@googlemail.com' },
    ]);
    expect(out).toEqual([{ type: 'email', value: sha('janedoe@gmail.com'), hashed: true }]);
    expect(dropped).toEqual([['email', 'duplicate']]);
  });

  it('keeps at most 50 links', async () => {
    const { out, dropped } = await run(Array.from({ length: 52 }, (_, i) => ({ type: 'customer_id', value: 'C-' + (i + 10) })));
    expect(out).toHaveLength(50);
    expect(out[49].value).toBe('C-59');
    expect(dropped).toEqual([['customer_id', 'too_many'], ['customer_id', 'too_many']]);
  });

  it('never rejects on garbage and survives a throwing onDrop', async () => {
    await expect(hashIdentities(null as never)).resolves.toEqual([]);
    await expect(hashIdentities([null, 1, 'x'] as never, { onDrop: () => { throw new Error('boom'); } })).resolves.toEqual([]);
  });
});
