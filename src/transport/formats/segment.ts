/**
 * Segment HTTP API format, which Segment, RudderStack and Jitsu accept: `POST <url>/v1/batch` with `{ batch, sentAt }`
 * and the write key as HTTP Basic user name (in the body on page hide, as analytics.js does). Identity links become
 * `context.externalIds`. Lazy chunk. Imports: format types, the native format's helpers. Never sends.
 * Spec: https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#batch
 */
import type { TouchpointEvent } from '../../schema/event';
import { basicAuth, endpoint, rejectedIds } from './touchpoint';
import type { DestinationConfig, FormatAdapter, FormatRequest } from './types';

/** One event in Segment's spec: the common fields, and per type `event`, `name`, `properties`, `traits`, `previousId`, `groupId`. */
export function toSegmentEvent(e: TouchpointEvent, sentAt: string): Record<string, unknown> {
  const { identities, ...rest } = e;
  const out: Record<string, unknown> = { ...rest, sentAt };
  if (out.userId == null) delete out.userId;
  if (out.anonymousId == null) delete out.anonymousId;
  // Segment's place for typed ids; hashed values say so
  if (identities?.length) {
    out.context = {
      ...e.context,
      externalIds: identities.map((i) => ({ id: i.value, type: i.type, collection: 'users', encoding: i.hashed ? 'sha256' : 'none' })),
    };
  }
  return out;
}

/**
 * Creates the Segment format for a destination.
 * @example createFormat({ format: 'segment', url: 'https://api.segment.io', writeKey: 'abc' })
 */
export function createFormat(d: DestinationConfig): FormatAdapter {
  // checked here rather than in core: the check loads only with the format
  if (!d.url || !d.writeKey) throw new Error('a segment destination needs url and writeKey');
  const url = endpoint(d.url || '', '/v1/batch');
  const key = d.writeKey || '';
  return {
    gzip: !!d.gzip,
    unload: true,
    rejected: rejectedIds,
    encode(events, { sentAt, dropped, unload }): FormatRequest {
      const batch = events.map((e) => toSegmentEvent(e, sentAt));
      if (dropped && batch[0]) batch[0].context = { ...(batch[0].context as object), outbox: { dropped } };
      return unload
        ? { url, headers: { 'Content-Type': 'text/plain' }, body: { batch, sentAt, writeKey: key } }
        : { url, headers: { 'Content-Type': 'application/json', Authorization: basicAuth(key) }, body: { batch, sentAt } };
    },
  };
}
