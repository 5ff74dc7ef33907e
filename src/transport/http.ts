/**
 * HTTP answers classified as sent | retry | drop (shared by every destination, see destination.ts), and the consent
 * proof post. Imports: transport types, the native format's URL helper. Never stores.
 */
import type { SendResult } from './types';
import { endpoint } from './formats/touchpoint';

/** Keepalive requests of one page share this budget (Fetch spec), so page-hide sends are split to fit. */
export const KEEPALIVE_BUDGET_BYTES = 64 * 1024;

/** Parses Retry-After (seconds or an HTTP date) into ms. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const ms = value ? Math.max(0, isFinite(+value) ? +value * 1000 : Date.parse(value) - now) : NaN;
  return ms == ms ? ms : undefined;
}

/**
 * Classifies a collector answer: 2xx sent, 408/429/5xx retry, 400/413/422 drop (the batch is bad: only what the
 * collector lists as rejected, or the flusher bisects), anything else retry (config errors such as a wrong key or URL
 * are fixable; the outbox's caps bound how long events wait). The format reads per-event rejections from the body.
 * @example classifyResponse(429, 30_000) // { outcome: 'retry', status: 429, retryAfterMs: 30000, error: 'HTTP 429' }
 */
export function classifyResponse(status: number, retryAfterMs?: number): SendResult {
  return status > 199 && status < 300
    ? { outcome: 'sent', status }
    : { outcome: status == 400 || status == 413 || status == 422 ? 'drop' : 'retry', status, retryAfterMs, error: 'HTTP ' + status };
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
