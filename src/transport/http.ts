/**
 * Sends a batch of events to the collector over HTTP and classifies the answer as sent | retry | drop.
 * Normal sends use fetch with JSON and the write key as HTTP Basic auth; page-hide sends use keepalive fetch (or
 * sendBeacon) with a text/plain body so no CORS preflight can be lost. Imports: schema types, util. Never stores.
 */
import type { TouchpointEvent } from '../schema/event';
import type { Send, SendResult } from './types';

/** Keepalive requests of one page share this budget (Fetch spec), so page-hide sends are split to fit. */
export const KEEPALIVE_BUDGET_BYTES = 64 * 1024;

export interface HttpSendOptions {
  /** Base URL of the collector, e.g. `https://collect.example.com`; batches go to `${collectorUrl}/v1/batch`. */
  collectorUrl: string;
  writeKey: string;
  now?: () => number;
  fetch?: typeof fetch;
  sendBeacon?: (url: string, body: BodyInit) => boolean;
}

/** `${collectorUrl}${path}`, whether or not the configured URL ends in a slash. */
const endpoint = (collectorUrl: string, path: string) => collectorUrl.replace(/\/+$/, '') + path;

/** Parses Retry-After (seconds or an HTTP date) into ms. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * Classifies a collector answer: 2xx sent (with per-event rejections), 408/429/5xx retry, 400/413/422 drop
 * (the batch is bad: only what the collector lists, or the flusher bisects), anything else retry (config errors such
 * as a wrong key or URL are fixable; the outbox's caps bound how long events wait).
 */
export function classifyResponse(status: number, body: unknown, retryAfterMs?: number): SendResult {
  const rejected = Array.isArray((body as { rejected?: unknown })?.rejected)
    ? ((body as { rejected: { messageId?: unknown }[] }).rejected.map((r) => r && r.messageId).filter((id) => typeof id === 'string') as string[])
    : undefined;
  if (status >= 200 && status < 300) return { outcome: 'sent', status, rejected };
  const error = `HTTP ${status}`;
  if (status === 408 || status === 429 || status >= 500) return { outcome: 'retry', status, retryAfterMs, error };
  if (status === 400 || status === 413 || status === 422) return { outcome: 'drop', status, rejected, error };
  return { outcome: 'retry', status, retryAfterMs, error };
}

/**
 * Creates the native transport. Requests keep fetch's default `credentials: 'same-origin'`: cookies (the HttpOnly
 * device cookie) only ever go to a collector on the page's own origin; a cross-origin collector gets none.
 */
export function createHttpSend(options: HttpSendOptions): Send {
  const now = options.now ?? Date.now;
  const url = endpoint(options.collectorUrl, '/v1/batch');
  const auth = 'Basic ' + btoa(options.writeKey + ':');
  return async (events: TouchpointEvent[], opts = {}) => {
    const sentAt = new Date(now()).toISOString();
    const batch = events.map((e) => ({ ...e, sentAt }));
    if (opts.dropped && batch[0]) batch[0] = { ...batch[0], context: { ...batch[0].context, outbox: { dropped: opts.dropped } } };
    const doFetch = options.fetch ?? globalThis.fetch;
    if (opts.unload) {
      // text/plain with the key in the body is a simple request: no preflight that a closing page could lose
      const body = JSON.stringify({ batch, sentAt, writeKey: options.writeKey });
      try {
        const res = await doFetch(url, { method: 'POST', body, keepalive: true, headers: { 'Content-Type': 'text/plain' } });
        return classifyResponse(res.status, await readJson(res));
      } catch {
        const beacon = options.sendBeacon ?? (typeof navigator !== 'undefined' && navigator.sendBeacon ? navigator.sendBeacon.bind(navigator) : undefined);
        const queued = beacon ? beacon(url, body) : false;
        // a beacon gives no answer: keep the records, the next page load resends and the collector dedups
        return { outcome: 'retry', status: 0, error: queued ? 'beacon queued' : 'unload send failed' };
      }
    }
    try {
      const res = await doFetch(url, {
        method: 'POST',
        body: JSON.stringify({ batch, sentAt }),
        headers: { 'Content-Type': 'application/json', Authorization: auth },
      });
      return classifyResponse(res.status, await readJson(res), parseRetryAfter(res.headers.get('Retry-After'), now()));
    } catch (e) {
      return { outcome: 'retry', status: 0, error: 'network error: ' + String((e as Error)?.message ?? e) };
    }
  };
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}

/**
 * Posts a consent proof record to `${collectorUrl}/v1/consent`: no tracking id, survives a page change. Cookies go
 * only to a same-origin collector, so that one can clear its device cookie when analytics is refused or withdrawn.
 */
export function postConsentRecord(collectorUrl: string, writeKey: string, record: unknown, doFetch: typeof fetch = globalThis.fetch): Promise<boolean> {
  const url = endpoint(collectorUrl, '/v1/consent');
  return doFetch(url, {
    method: 'POST',
    keepalive: true,
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({ records: [record], writeKey }),
  }).then((r) => r.ok, () => false);
}
