/**
 * The collector's first look at raw items (issue 13) without a database: sanitizeItem's depth count, repairs and
 * refusals, and the device-id code that runs on raw items before it, fed hostile items. Imports: src/collector.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createDeviceCookie, stripDeviceIds } from '../../src/collector/device-cookie';
import { formatPath, sanitizeItem } from '../../src/collector/sanitize';
import { MAX_EVENT_DEPTH } from '../../src/schema/event';

/** An object `levels` deep built without recursion: `{ a: { a: … {} } }`. */
function nested(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 1; i < levels; i++) {
    const next: Record<string, unknown> = {};
    at.a = next;
    at = next;
  }
  return root;
}

/** Items no sender should send, fresh for each test (the device code writes to them): none may cause an exception. */
const hostile = (): unknown[] => [
  null,
  0,
  'event',
  true,
  [],
  [[[]]],
  nested(200_000),
  { context: 'not an object' },
  { context: [1, 2] },
  { context: { device: 'x', consent: { categories: 'analytics' } } },
  { context: { device: [1], consent: { categories: ['analytics'] } }, anonymousId: 'anon-12345678' },
  { context: { device: { id: 'forged-123456' }, consent: { categories: [['analytics']] } } },
  { context: nested(100_000), properties: nested(100_000) },
  JSON.parse('{"__proto__":{"context":{"device":{"id":"p"}}},"context":{"__proto__":{"device":1},"consent":{"__proto__":[]}}}'),
  { constructor: 'c', prototype: 1, toString: 'x', context: { constructor: { device: 1 }, toString: 'y' } },
  { granted: 'analytics' },
  { granted: ['analytics'], context: null },
];
const FORGED = 11;

describe('sanitizeItem', () => {
  it('counts the event as level 1, properties as 2, context.campaign as 3; scalars add none', () => {
    expect(MAX_EVENT_DEPTH).toBe(32);
    expect(sanitizeItem({ properties: nested(31) }).refused).toEqual([]);
    expect(sanitizeItem({ properties: nested(32) }).refused).toEqual([{ path: 'properties.a.a.a.a.a.a.a…', message: 'nests deeper than 32 levels' }]);
    expect(sanitizeItem({ context: { campaign: nested(30) } }).refused).toEqual([]);
    expect(sanitizeItem({ context: { campaign: nested(31) } }).refused).toHaveLength(1);
    expect(sanitizeItem(nested(32)).refused).toEqual([]);
    expect(sanitizeItem(nested(33)).refused).toEqual([{ path: 'a.a.a.a.a.a.a.a…', message: 'nests deeper than 32 levels' }]);
    expect(sanitizeItem({ list: [[[[1, 'x', null]]]] }).refused).toEqual([]);
  });

  it('walks 200,000 levels without recursion, reporting the depth once', () => {
    const r = sanitizeItem({ properties: nested(200_000), traits: nested(200_000) });
    expect(r.refused.map((p) => p.message)).toEqual(['nests deeper than 32 levels']);
  });

  it('repairs lone surrogates in values and keys into a copy, leaving the item as it was', () => {
    const item = { name: 'a\ud800', list: ['\udfff\ud800', 'ok'], ['k\udc00']: { fine: '😀' } };
    const r = sanitizeItem(item);
    expect(r.refused).toEqual([]);
    expect(r.value).toEqual({ name: 'a\ufffd', list: ['\ufffd\ufffd', 'ok'], ['k\ufffd']: { fine: '😀' } });
    expect(r.repaired).toEqual(
      expect.arrayContaining([
        { path: 'name', message: 'had a lone UTF-16 surrogate, replaced by U+FFFD' },
        { path: 'list[0]', message: 'had a lone UTF-16 surrogate, replaced by U+FFFD' },
        { path: 'k\ufffd', message: 'key had a lone UTF-16 surrogate, replaced by U+FFFD' },
      ]),
    );
    expect(r.repaired).toHaveLength(3);
    expect(item.name).toBe('a\ud800');
  });

  it('lists ten repairs and counts the rest, so a hostile item cannot bloat the answer', () => {
    const r = sanitizeItem({ list: Array.from({ length: 1000 }, () => '\ud800') });
    expect(r.repaired).toHaveLength(11);
    expect(r.repaired[10]).toEqual({ path: '', message: 'and 990 more lone UTF-16 surrogates replaced by U+FFFD' });
    const nul = sanitizeItem({ list: Array.from({ length: 50 }, () => '\u0000') });
    expect(nul.refused).toHaveLength(11);
    expect(nul.refused[10]!.message).toBe('and 40 more problems like these');
  });

  it('refuses U+0000, non-finite numbers, __proto__, colliding keys and values that are not JSON', () => {
    expect(sanitizeItem({ s: 'a\u0000' }).refused).toEqual([{ path: 's', message: 'contains the character U+0000, which cannot be stored' }]);
    expect(sanitizeItem(JSON.parse('{"n":[1e400]}')).refused).toEqual([{ path: 'n[0]', message: 'is a number beyond ±1.8e308, which cannot be stored' }]);
    expect(sanitizeItem(JSON.parse('{"p":{"__proto__":1}}')).refused).toEqual([{ path: 'p.__proto__', message: 'is the key __proto__, which cannot be stored as sent' }]);
    expect(sanitizeItem({ ['\ufffd']: 1, ['\ud800']: 2 }).refused).toEqual([{ path: '\ufffd', message: 'is a key twice once lone UTF-16 surrogates are replaced by U+FFFD' }]);
    expect(sanitizeItem({ big: 1n, f: () => 1, list: [undefined] }).refused.map((p) => p.path).sort()).toEqual(['big', 'f', 'list[0]']);
    expect(sanitizeItem({ gone: undefined, kept: 1 }).value).toEqual({ kept: 1 });
  });

  it('keeps constructor, prototype and toString keys as own data', () => {
    const r = sanitizeItem(JSON.parse('{"constructor":{"prototype":{"toString":"x"}},"hasOwnProperty":1}'));
    expect(r.refused).toEqual([]);
    expect(JSON.stringify(r.value)).toBe('{"constructor":{"prototype":{"toString":"x"}},"hasOwnProperty":1}');
  });

  it('cuts paths after eight segments and long keys after 40 characters', () => {
    expect(formatPath(['identities', 0, 'type'])).toBe('identities[0].type');
    expect(formatPath([0, 'a'])).toBe('[0].a');
    expect(formatPath(Array.from({ length: 20 }, () => 'a'))).toBe('a.a.a.a.a.a.a.a…');
    expect(formatPath(['k'.repeat(100)])).toBe(`${'k'.repeat(40)}…`);
  });
});

describe('device-id code on raw items', () => {
  const req = { headers: { cookie: 'tp_device=cookie-device-1' }, socket: {} } as unknown as IncomingMessage;

  it('stripDeviceIds never throws on hostile items and removes a forged id', () => {
    const items = hostile();
    expect(() => stripDeviceIds(items)).not.toThrow();
    expect((items[FORGED] as { context: { device: object } }).context.device).toEqual({});
  });

  it('device.batch and device.consent never throw on hostile items', () => {
    const device = createDeviceCookie(true);
    expect(() => device.consent(req, hostile())).not.toThrow();
    const cookie = device.batch(req, hostile());
    expect(cookie).toMatch(/^tp_device=cookie-device-1;/);
  });
});
