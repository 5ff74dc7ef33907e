/**
 * Iglu schemas (self-describing JSON Schema, draft 4) for what the Snowplow format sends under Touchpoint's own vendor:
 * the `track`, `screen`, `identify`, `alias` and `group` self-describing events and the `context` entity (channel,
 * campaign, consent, dropped count). Derived from the event envelope's zod schemas, so they never drift from the wire.
 * Add them to your Iglu registry (a static registry serves `schemas/<vendor>/<name>/jsonschema/1-0-0`), or generate a
 * copy under your own vendor with `touchpoint iglu --vendor com.yourshop`. Imports: zod, the event schema. Node only.
 */
import { z } from 'zod';
import { campaignSchema, contextSchema, identityLinkSchema, MAX_EVENT_NAME_LENGTH } from './event';

/** The Iglu vendor the Snowplow format uses unless its destination sets `vendor`. */
export const DEFAULT_IGLU_VENDOR = 'dev.touchpoint';
/** The version of every schema below; a change that is not additive needs a new one. */
export const IGLU_VERSION = '1-0-0';

const json = z.record(z.string(), z.unknown());
const id = z.string().min(1).max(256);
const shared = {
  event: z.string().min(1).max(MAX_EVENT_NAME_LENGTH).optional(),
  name: z.string().max(MAX_EVENT_NAME_LENGTH).optional(),
  properties: json.optional(),
  traits: json.optional(),
  identities: z.array(identityLinkSchema).max(50).optional(),
  previousId: id.optional(),
  groupId: id.optional(),
};

/** The data of each self-describing event and entity, with what each one requires. */
const DATA = {
  track: { description: 'A Touchpoint track event (any event Snowplow has no schema of its own for).', data: z.object({ ...shared, event: shared.event.unwrap() }).strict() },
  screen: { description: 'A Touchpoint screen view.', data: z.object(shared).strict() },
  identify: { description: 'A Touchpoint identify event: traits and the device\'s identity links (e-mail and phone as SHA-256).', data: z.object(shared).strict() },
  alias: { description: 'A Touchpoint alias event: the previous id the new user id replaces.', data: z.object({ ...shared, previousId: id }).strict() },
  group: { description: 'A Touchpoint group event.', data: z.object({ ...shared, groupId: id }).strict() },
  context: {
    description: 'Touchpoint context entity: channel of arrival, campaign, consent snapshot, and events the outbox caps dropped.',
    data: z
      .object({
        channel: contextSchema.shape.channel,
        campaign: campaignSchema.optional(),
        consent: contextSchema.shape.consent,
        dropped: z.number().int().nonnegative().optional(),
      })
      .strict(),
  },
} as const;

/** The names of the schemas, as they appear in `iglu:<vendor>/<name>/jsonschema/1-0-0`. */
export type IgluName = keyof typeof DATA;
export const IGLU_NAMES = Object.keys(DATA) as IgluName[];

/** One self-describing JSON Schema and the path a static Iglu registry serves it at. */
export interface IgluSchema {
  /** `iglu:<vendor>/<name>/jsonschema/1-0-0`, as the events reference it. */
  uri: string;
  /** `schemas/<vendor>/<name>/jsonschema/1-0-0`, relative to a static registry's root. */
  path: string;
  schema: Record<string, unknown>;
}

/**
 * The Iglu schemas of the Snowplow format under `vendor`.
 * @example for (const s of igluSchemas('com.shop')) writeFileSync(join(root, s.path), JSON.stringify(s.schema, null, 2));
 */
export function igluSchemas(vendor: string = DEFAULT_IGLU_VENDOR): IgluSchema[] {
  if (!/^[a-zA-Z0-9-_.]+$/.test(vendor)) throw new Error(`"${vendor}" is not an Iglu vendor (letters, digits, - _ . only)`);
  return IGLU_NAMES.map((name) => {
    const { $schema: _, ...body } = z.toJSONSchema(DATA[name].data, { target: 'draft-4', unrepresentable: 'any' }) as Record<string, unknown>;
    return {
      uri: `iglu:${vendor}/${name}/jsonschema/${IGLU_VERSION}`,
      path: `schemas/${vendor}/${name}/jsonschema/${IGLU_VERSION}`,
      schema: {
        $schema: 'http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#',
        description: DATA[name].description,
        self: { vendor, name, format: 'jsonschema', version: IGLU_VERSION },
        ...body,
      },
    };
  });
}
