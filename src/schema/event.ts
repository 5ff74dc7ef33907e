/**
 * The event envelope: the single source of truth for what Touchpoint sends and what the collector accepts.
 * A superset of the Segment spec, so Segment, RudderStack and Jitsu accept it too. Imports: zod. Never runs in the browser bundle
 * (the browser imports only the types, see STYLE.md rule 4).
 */
import { z } from 'zod';

/** Longest event name, property key count and body size a single event may have. */
export const MAX_EVENT_NAME_LENGTH = 200;
/** Largest serialized size of one event in bytes (Segment's limit is 32 KB; we allow the same). */
export const MAX_EVENT_BYTES = 32 * 1024;
/**
 * Deepest nesting of objects and arrays in one event or consent record: the event itself is level 1, its `properties`
 * level 2, `context.campaign` level 3; a scalar adds no level. The collector refuses deeper items before anything
 * recurses into them.
 *
 * @defaultValue 32
 * @example
 * ```ts
 * const levels = { properties: { cart: { items: [{ sku: 'A-1' }] } } }; // 5 levels
 * ```
 */
export const MAX_EVENT_DEPTH = 32;

export const EVENT_TYPES = ['page', 'screen', 'track', 'identify', 'alias', 'group'] as const;

/** Click ids that advertising networks append to landing URLs. */
export const CLICK_ID_KEYS = ['gclid', 'dclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id'] as const;

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 date-time' });
const shortString = z.string().max(2048);

export const pageContextSchema = z.looseObject({
  url: shortString.optional(),
  path: shortString.optional(),
  referrer: shortString.optional(),
  title: shortString.optional(),
  search: shortString.optional(),
});

/** Campaign attribution: the utm_* values (Segment names: source, medium, name, term, content) plus click ids. */
export const campaignSchema = z.looseObject({
  source: shortString.optional(),
  medium: shortString.optional(),
  name: shortString.optional(),
  term: shortString.optional(),
  content: shortString.optional(),
  id: shortString.optional(),
  source_platform: shortString.optional(),
  ...Object.fromEntries(CLICK_ID_KEYS.map((k) => [k, shortString.optional()])),
});

/** One typed identity link; `hashed` says whether `value` is a SHA-256 hex digest of the normalised value. */
export const identityLinkSchema = z.object({
  type: z.string().min(1).max(64).regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case, e.g. email, phone, customer_id, loyalty_id'),
  value: z.string().min(1).max(512),
  hashed: z.boolean(),
});

export const contextSchema = z.looseObject({
  page: pageContextSchema.optional(),
  campaign: campaignSchema.optional(),
  /**
   * The channel of the touchpoint: for browser events the channel of arrival (GA4-style default channel group, e.g.
   * "Paid Search"); for server-side touchpoints the omnichannel source, e.g. "store", "call_center", "email".
   */
  channel: z.string().max(64).optional(),
  channelRules: z.string().max(32).optional(),
  locale: z.string().max(35).optional(),
  timezone: z.string().max(64).optional(),
  userAgent: z.string().max(1024).optional(),
  screen: z.looseObject({ width: z.number(), height: z.number(), density: z.number().optional() }).optional(),
  library: z.looseObject({ name: z.string().max(64), version: z.string().max(32) }).optional(),
  session: z.looseObject({ id: z.string().max(128), start: z.boolean().optional() }).optional(),
  consent: z.looseObject({
    policyVersion: z.string().max(64).optional(),
    categories: z.array(z.string().max(64)).optional(),
    method: z.string().max(32).optional(),
  }).optional(),
  outbox: z.looseObject({ dropped: z.number().int().nonnegative() }).optional(),
});

const jsonRecord = z.record(z.string(), z.unknown());

/** One event as sent on the wire. Unknown keys are kept (Segment's `integrations`, `_metadata`, …). */
export const eventSchema = z
  .looseObject({
    type: z.enum(EVENT_TYPES),
    event: z.string().min(1).max(MAX_EVENT_NAME_LENGTH).optional(),
    name: z.string().max(MAX_EVENT_NAME_LENGTH).optional(),
    properties: jsonRecord.optional(),
    traits: jsonRecord.optional(),
    messageId: z.string().min(1).max(128),
    anonymousId: z.string().min(1).max(128).nullish(),
    userId: z.string().min(1).max(256).nullish(),
    previousId: z.string().min(1).max(256).optional(),
    groupId: z.string().min(1).max(256).optional(),
    timestamp: isoDate,
    sentAt: isoDate.optional(),
    context: contextSchema.optional(),
    identities: z.array(identityLinkSchema).max(50).optional(),
  })
  .superRefine((e, ctx) => {
    if (!e.userId && !e.anonymousId) ctx.addIssue({ code: 'custom', path: ['userId'], message: 'either userId or anonymousId is required' });
    if (e.type === 'track' && !e.event) ctx.addIssue({ code: 'custom', path: ['event'], message: 'a track event needs an event name' });
    if (e.type === 'alias' && !e.previousId) ctx.addIssue({ code: 'custom', path: ['previousId'], message: 'an alias event needs previousId' });
    if (e.type === 'group' && !e.groupId) ctx.addIssue({ code: 'custom', path: ['groupId'], message: 'a group event needs groupId' });
  });

/** The native batch body: `{ batch: [...], sentAt }`; Segment's batch body has the same shape. */
export const batchSchema = z.looseObject({
  batch: z.array(z.unknown()).min(1).max(1000),
  sentAt: isoDate.optional(),
  writeKey: z.string().optional(),
});

export type TouchpointEvent = z.infer<typeof eventSchema>;
export type EventContext = z.infer<typeof contextSchema>;
export type PageContext = z.infer<typeof pageContextSchema>;
export type Campaign = z.infer<typeof campaignSchema>;
export type IdentityLink = z.infer<typeof identityLinkSchema>;
export type EventType = (typeof EVENT_TYPES)[number];
export type BatchBody = z.infer<typeof batchSchema>;

/** One rejected event in a collector response. */
export interface Rejection {
  /** Its position in the batch. */
  index: number;
  /** Its messageId as sent, when it had a string one. */
  messageId?: string;
  problems: { path: string; message: string }[];
}

/**
 * One event the collector stored after repairing it: each lone UTF-16 surrogate in a string or key became U+FFFD (the
 * messageId too, so a retry of the same event still deduplicates).
 *
 * @example
 * ```ts
 * const repair: Repair = { index: 0, messageId: 'm-1', problems: [{ path: 'context.page.title', message: 'had a lone UTF-16 surrogate, replaced by U+FFFD' }] };
 * ```
 */
export interface Repair {
  /** Its position in the batch. */
  index: number;
  /** Its messageId as sent. */
  messageId?: string;
  /** Where each repair was made. */
  problems: { path: string; message: string }[];
}

/**
 * What `POST /v1/batch` (and the single-event routes) answer: 200 when anything was accepted or was a duplicate, else
 * 400, always with this body.
 *
 * @example
 * ```ts
 * const body: BatchResponse = { accepted: 1, duplicates: 0, rejected: [], repaired: [] };
 * ```
 */
export interface BatchResponse {
  /** Events stored now. */
  accepted: number;
  /** Events stored before (same messageId), answered as success. */
  duplicates: number;
  /** Events not stored, each with all its problems. */
  rejected: Rejection[];
  /** Accepted or duplicate events that were stored repaired, each with where. */
  repaired: Repair[];
}
