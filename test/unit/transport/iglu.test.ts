/**
 * The Iglu schemas the Snowplow format needs under Touchpoint's own vendor: every self-describing event and context
 * entity the adapter emits validates against the schema its `iglu:` URI names, and the schemas refuse what they must.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as snowplow from '../../../src/transport/formats/snowplow';
import { igluSchemas, IGLU_NAMES } from '../../../src/schema/iglu';
import { sampleEvents } from './fixtures';

type Schema = Record<string, unknown>;
/** A self-describing schema as a validator: the Iglu header stripped, the draft-4 body checked with zod. */
const validator = (s: Schema) => {
  const { self: _self, $schema: _meta, description: _d, ...body } = s;
  return z.fromJSONSchema({ $schema: 'http://json-schema.org/draft-04/schema#', ...body } as never);
};

describe('Iglu schemas of the Snowplow format', () => {
  it('lays out one self-describing schema per event type and the context entity, as a static registry serves them', () => {
    const all = igluSchemas();
    expect(all.map((s) => s.uri)).toEqual(IGLU_NAMES.map((n) => `iglu:dev.touchpoint/${n}/jsonschema/1-0-0`));
    for (const s of all) {
      expect(s.path).toBe(s.uri.replace(/^iglu:/, 'schemas/'));
      expect(s.schema.$schema).toBe('http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#');
      const [vendor, name, format, version] = s.uri.slice(5).split('/');
      expect(s.schema.self).toEqual({ vendor, name, format, version });
    }
  });

  for (const vendor of ['dev.touchpoint', 'com.shop']) {
    it(`every ue and context entity the adapter sends (vendor ${vendor}) validates against its schema`, () => {
      const byUri = new Map(igluSchemas(vendor).map((s) => [s.uri, validator(s.schema)]));
      const adapter = snowplow.createFormat({ format: 'snowplow', url: 'https://sp.example', vendor, ...(vendor == 'com.shop' && { base64: true }) }, '0.1.0');
      const events = [...sampleEvents(), { ...sampleEvents()[1], type: 'group' as const, event: undefined, groupId: 'acme', traits: { plan: 'b2b' } }];
      const { data } = adapter.encode(events, { sentAt: '2024-05-01T10:00:05.000Z' }).body as { data: Record<string, string>[] };
      const decode = (plain?: string, coded?: string) => JSON.parse(plain ?? Buffer.from(coded!.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
      const checked = new Set<string>();
      for (const item of data) {
        const entities = [...(item.ue_pr || item.ue_px ? [decode(item.ue_pr, item.ue_px).data] : []), ...decode(item.co, item.cx).data];
        for (const e of entities) {
          const v = byUri.get(e.schema);
          if (!e.schema.startsWith(`iglu:${vendor}/`)) continue;
          expect(v, e.schema).toBeDefined();
          const r = v!.safeParse(e.data);
          expect(r.error?.issues ?? [], e.schema).toEqual([]);
          checked.add(e.schema.split('/')[1]);
        }
      }
      expect([...checked].sort()).toEqual(['alias', 'context', 'group', 'identify', 'track']);
    });
  }

  it('refuses what the wire never carries: a track without its name, an alias without previousId, unknown keys, bad links', () => {
    const v = Object.fromEntries(igluSchemas().map((s) => [s.schema.self && (s.schema.self as { name: string }).name, validator(s.schema)]));
    expect(v.track.safeParse({ properties: {} }).success).toBe(false);
    expect(v.track.safeParse({ event: 'x', surprise: 1 }).success).toBe(false);
    expect(v.alias.safeParse({}).success).toBe(false);
    expect(v.group.safeParse({ traits: {} }).success).toBe(false);
    expect(v.identify.safeParse({ identities: [{ type: 'E-Mail', value: 'a', hashed: true }] }).success).toBe(false);
    expect(v.context.safeParse({ dropped: -1 }).success).toBe(false);
    expect(v.track.safeParse({ event: 'x', properties: { a: 1 } }).success).toBe(true);
  });

  it('rejects a vendor Iglu cannot name', () => {
    expect(() => igluSchemas('com/shop')).toThrow(/not an Iglu vendor/);
  });
});
