/**
 * The custom format: a developer's `transform(events) → { url, headers, body }` builds each request. Lazy chunk.
 * Imports: format types. Never sends; a throwing transform is caught by the transport and retried.
 */
import type { DestinationConfig, FormatAdapter } from './types';

/**
 * Creates a custom format around `transform`. Page-hide delivery uses the same request with keepalive.
 * @example createFormat({ format: 'custom', transform: (events) => ({ url: '/hook', headers: {}, body: { events } }) })
 */
export function createFormat(d: DestinationConfig): FormatAdapter {
  if (typeof d.transform != 'function') throw new Error('a custom destination needs transform(events) → { url, headers, body }');
  return {
    gzip: !!d.gzip,
    unload: true,
    encode: (events) => {
      const r = d.transform!(events.map((e) => ({ ...e })));
      if (!r || typeof r.url != 'string') throw new Error('transform() must return { url, headers, body }');
      return { url: r.url, headers: { 'Content-Type': 'application/json', ...r.headers }, body: r.body ?? '' };
    },
  };
}
