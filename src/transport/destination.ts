/**
 * One delivery destination: a wire-format adapter (loaded lazily unless native) plus the HTTP sending that every
 * format shares — gzip where the collector accepts it, keepalive/beacon on page hide, and classifying the answer.
 * Imports: schema types, transport types, http helpers. Never stores; never throws into the flusher.
 */
import type { TouchpointEvent } from '../schema/event';
import type { FormatAdapter } from './formats/types';
import type { Destination, SendResult } from './types';

export type { Destination };
import { classifyResponse, parseRetryAfter } from './http';
import { byteLength } from '../util/json';

/** Bodies smaller than this are sent plain: gzip would not pay for its header and the CPU. */
export const GZIP_MIN_BYTES = 1024;

export interface DestinationOptions {
  name: string;
  categories?: string[];
  /** The adapter, or a loader for a lazy one (started at once, so it is usually there by page hide). */
  format: FormatAdapter | (() => Promise<FormatAdapter>);
  now?: () => number;
  fetch?: typeof fetch;
  sendBeacon?: (url: string, body: BodyInit) => boolean;
}

/**
 * Creates a destination; its `send` never rejects.
 * @example const d = createDestination({ name: 'touchpoint', format: createTouchpointFormat({ url, writeKey }) });
 */
export function createDestination(o: DestinationOptions): Destination {
  const now = o.now || Date.now;
  let adapter: FormatAdapter | undefined = typeof o.format == 'function' ? undefined : o.format;
  let loading: Promise<FormatAdapter | void> | undefined;
  let error = 'not loaded';
  const load = () =>
    (loading ||= (o.format as () => Promise<FormatAdapter>)().then(
      (a) => (adapter = a),
      (e) => void ((loading = undefined), (error = String(e))),
    ));
  if (!adapter) void load();
  const retry = (status: number, e: string): SendResult => ({ outcome: 'retry', status, error: e });

  /** Builds the request synchronously (page hide cannot wait); undefined when the format cannot. */
  const request = (a: FormatAdapter, events: TouchpointEvent[], unload?: boolean, dropped?: number) => {
    try {
      const r = a.encode(events, { sentAt: new Date(now()).toISOString(), unload, dropped });
      return { ...r, text: typeof r.body == 'string' ? r.body : JSON.stringify(r.body) };
    } catch (e) {
      // a developer's transform threw: keep the events (the caps bound the wait) and say why
      error = String(e);
    }
  };

  return {
    name: o.name,
    categories: o.categories,
    async send(events, { unload, dropped } = {}) {
      const a = adapter || (unload ? undefined : await load());
      const r = a && (!unload || a.unload) ? request(a, events, unload, dropped) : undefined;
      if (!r) return retry(-1, error);
      const headers = { ...r.headers };
      let body: BodyInit = r.text;
      // page-hide bodies stay plain: compressing is async and the page is going
      if (!unload && a!.gzip && body.length >= GZIP_MIN_BYTES) {
        try {
          body = new Uint8Array(await new Response(new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
          headers['Content-Encoding'] = 'gzip';
        } catch {
          // no CompressionStream (or it failed): send it plain
        }
      }
      try {
        const res = await (o.fetch || fetch)(r.url, { method: 'POST', body, keepalive: unload, headers });
        const result = classifyResponse(res.status, parseRetryAfter(res.headers.get('Retry-After'), now()));
        // the format reads per-event rejections from a 2xx or 4xx body
        if (result.outcome != 'retry' && a!.rejected) {
          try {
            result.rejected = a!.rejected(await res.json());
          } catch {
            // no JSON body: nothing rejected individually
          }
        }
        return result;
      } catch (e) {
        if (!unload) return retry(0, 'network error: ' + String((e as Error)?.message ?? e));
        let queued: unknown;
        try {
          // a beacon carries no headers: only a text/plain request (key in the body) survives that way
          queued = /^text\/plain/.test(r.headers['Content-Type']) && (o.sendBeacon || navigator.sendBeacon.bind(navigator))(r.url, r.text);
        } catch {
          // no beacon here
        }
        // a beacon gives no answer: keep the records, the next page load resends and the collector dedups
        return retry(0, queued ? 'beacon queued' : 'unload send failed');
      }
    },
    measure(events) {
      const r = adapter?.unload && request(adapter, events, true);
      return r ? byteLength(r.text) : Infinity;
    },
  };
}
