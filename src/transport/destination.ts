/**
 * One delivery destination: a wire-format adapter (loaded lazily unless native) plus the HTTP sending that every
 * format shares — gzip where the collector accepts it, keepalive/beacon on page hide, and classifying the answer.
 * Imports: schema types, transport types, http helpers. Never stores; never throws into the flusher.
 */
import type { TouchpointEvent } from '../schema/event';
import type { FormatAdapter, FormatRequest } from './formats/types';
import type { Destination, Send, SendResult } from './types';

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

/** Gzips a string with the browser's CompressionStream. */
export async function gzipText(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const bodyText = (r: FormatRequest) => (typeof r.body == 'string' ? r.body : JSON.stringify(r.body));

/**
 * Creates a destination; its `send` never rejects.
 * @example const d = createDestination({ name: 'touchpoint', format: createTouchpointFormat({ url, writeKey }) });
 */
export function createDestination(o: DestinationOptions): Destination {
  const now = o.now || Date.now;
  let adapter: FormatAdapter | undefined = typeof o.format == 'function' ? undefined : o.format;
  let loading: Promise<FormatAdapter | undefined> | undefined;
  let loadError = '';
  const load = () =>
    (loading ||= (o.format as () => Promise<FormatAdapter>)().then(
      (a) => (adapter = a),
      (e) => ((loading = undefined), (loadError = String(e)), undefined),
    ));
  if (!adapter) void load();

  /** The request for a page-hide send, built synchronously so the keepalive fetch goes out before the page is gone. */
  const unloadRequest = (events: TouchpointEvent[]) => {
    if (!adapter?.unload) return undefined;
    try {
      const r = adapter.encode(events, { sentAt: new Date(now()).toISOString(), unload: true });
      return { ...r, text: bodyText(r) };
    } catch {
      return undefined;
    }
  };

  const send: Send = async (events, opts = {}) => {
    const doFetch = o.fetch || globalThis.fetch;
    if (opts.unload) {
      const r = unloadRequest(events);
      if (!r) return { outcome: 'retry', status: 0, error: 'not loaded' };
      try {
        const res = await doFetch(r.url, { method: 'POST', body: r.text, keepalive: true, credentials: 'omit', headers: r.headers });
        return classify(adapter!, res, now());
      } catch {
        // a beacon carries no headers: only a text/plain request (key in the body) survives that way
        const beacon = o.sendBeacon || (typeof navigator != 'undefined' && navigator.sendBeacon ? navigator.sendBeacon.bind(navigator) : undefined);
        const queued = !!beacon && /^text\/plain/.test(r.headers['Content-Type'] || '') && beacon(r.url, r.text);
        // a beacon gives no answer: keep the records, the next page load resends and the collector dedups
        return { outcome: 'retry', status: 0, error: queued ? 'beacon queued' : 'unload send failed' };
      }
    }
    const a = adapter || (await load());
    if (!a) return { outcome: 'retry', status: -1, error: loadError };
    let r: FormatRequest;
    try {
      r = a.encode(events, { sentAt: new Date(now()).toISOString(), dropped: opts.dropped });
    } catch (e) {
      // a developer's transform threw: keep the events (the caps bound the wait) and say why
      return { outcome: 'retry', status: -1, error: String(e) };
    }
    const headers = { ...r.headers };
    let body: BodyInit = bodyText(r);
    if (a.gzip && body.length >= GZIP_MIN_BYTES && typeof CompressionStream == 'function') {
      try {
        body = (await gzipText(body)) as BodyInit;
        headers['Content-Encoding'] = 'gzip';
      } catch {
        // send it plain
      }
    }
    try {
      const res = await doFetch(r.url, { method: 'POST', body, credentials: 'omit', headers });
      return await classify(a, res, now());
    } catch (e) {
      return { outcome: 'retry', status: 0, error: 'network error: ' + String((e as Error)?.message ?? e) };
    }
  };

  return {
    name: o.name,
    categories: o.categories,
    send,
    measure: (events) => {
      const r = unloadRequest(events);
      return r ? byteLength(r.text) : Infinity;
    },
  };
}

/** Classifies an answer; the format reads per-event rejections from a 2xx or 4xx body. */
async function classify(a: FormatAdapter, res: Response, now: number): Promise<SendResult> {
  const result = classifyResponse(res.status, parseRetryAfter(res.headers.get('Retry-After'), now));
  if (result.outcome != 'retry' && a.rejected) {
    try {
      result.rejected = a.rejected(await res.json());
    } catch {
      // no JSON body: nothing rejected individually
    }
  }
  return result;
}
