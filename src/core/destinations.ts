/**
 * Turns the `destinations` config (or, without one, `collectorUrl` + `writeKey`) into the destinations the flusher
 * delivers to: the native format is in core, the others load as lazy chunks when configured. Imports: transport.
 * Never loads a chunk for a destination that is not configured.
 */
import { createDestination, type Destination } from '../transport/destination';
import { createTouchpointFormat } from '../transport/formats/touchpoint';
import type { DestinationConfig, FormatModule, FormatName } from '../transport/formats/types';

/** The formats a destination may name (`touchpoint` when it names none). */
export const KNOWN_FORMAT = /^(touchpoint|segment|snowplow|posthog|custom)$/;

/**
 * Why a destination entry cannot run, or undefined when it can. Only what core must know; each format chunk checks
 * its own keys (url, writeKey, apiKey, transform) when it loads and reports a problem as the destination's `lastError`.
 */
export const destinationProblem = (d: unknown): string | undefined =>
  KNOWN_FORMAT.test((d as DestinationConfig)?.format ?? 'touchpoint') ? undefined : `has an unknown format "${(d as DestinationConfig)?.format}"`;

/**
 * Builds the destinations of a config; entries with a problem are left out (checkConfig reports them).
 * Names default to the format, with `#2`, `#3`… for repeats: they are stored with queued events, so keep them stable.
 * @example resolveDestinations({ collectorUrl: '/c', writeKey: 'wk', destinations: [{ format: 'segment', url, writeKey }] }, load, '1.0.0')
 */
export function resolveDestinations(
  config: { collectorUrl: string; writeKey: string; destinations?: DestinationConfig[] },
  load: (format: FormatName) => Promise<FormatModule>,
  version: string,
): Destination[] {
  const list = config.destinations;
  const seen: Record<string, number> = {};
  return (Array.isArray(list) && list.length ? list : [{} as DestinationConfig])
    .filter((d) => !destinationProblem(d))
    .map((d) => {
      const format = d.format || 'touchpoint';
      const native = format == 'touchpoint';
      const c: DestinationConfig = { ...d, url: d.url || (native ? config.collectorUrl : ''), writeKey: d.writeKey || (native ? config.writeKey : undefined) };
      const name = d.name || format;
      const n = (seen[name] = (seen[name] || 0) + 1);
      return createDestination({
        name: n > 1 ? name + '#' + n : name,
        categories: d.categories,
        format: native ? createTouchpointFormat(c) : () => load(format).then((m) => m.createFormat(c, version)),
      });
    });
}
