/**
 * The native wire format: `POST <url>/v1/batch` with `{ batch, sentAt }`, the write key as HTTP Basic user name (in the
 * body on page hide). Stays in the core bundle. Imports: schema types, the format types. Never sends.
 */
import type { DestinationConfig, FormatAdapter, FormatRequest } from './types';

/** `${base}${path}`, whether or not the configured URL ends in a slash. */
export const endpoint = (base: string, path: string): string => base.replace(/\/+$/, '') + path;

/** `Basic base64(user:)`, as Segment and our collector expect a write key. */
export const basicAuth = (user: string): string => 'Basic ' + btoa(user + ':');

/** Reads `{ rejected: [{ messageId }] }` from a 2xx answer of our collector (and Segment-style collectors). */
export function rejectedIds(body: unknown): string[] | undefined {
  const list = (body as { rejected?: unknown })?.rejected;
  return Array.isArray(list) ? (list.map((r) => (r as { messageId?: unknown })?.messageId).filter((id) => typeof id == 'string') as string[]) : undefined;
}

/**
 * Creates the native format for a destination (`url` is the collector's base URL).
 * @example createTouchpointFormat({ url: 'https://collect.example.com', writeKey: 'wk_live' })
 */
export function createTouchpointFormat(d: DestinationConfig): FormatAdapter {
  const url = endpoint(d.url || '', '/v1/batch');
  const key = d.writeKey || '';
  return {
    gzip: d.gzip !== false,
    unload: true,
    rejected: rejectedIds,
    encode(events, { sentAt, dropped, unload }): FormatRequest {
      // the outbox's drop count rides on the first event
      const batch = events.map((e, i) => (i || !dropped ? { ...e, sentAt } : { ...e, sentAt, context: { ...e.context, outbox: { dropped } } }));
      // text/plain with the key in the body is a simple request: no preflight that a closing page could lose
      return {
        url,
        headers: unload ? { 'Content-Type': 'text/plain' } : { 'Content-Type': 'application/json', Authorization: basicAuth(key) },
        body: unload ? { batch, sentAt, writeKey: key } : { batch, sentAt },
      };
    },
  };
}
