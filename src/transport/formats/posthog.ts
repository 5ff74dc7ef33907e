/**
 * PostHog capture format: `POST <url>/batch` with `{ api_key, batch: [{ event, distinct_id, properties, timestamp }] }`;
 * page views as `$pageview`, identify as `$identify` with `$set`, alias as `$create_alias`. Lazy chunk.
 * Imports: format types. Never sends. Spec: https://posthog.com/docs/api/capture#batch-events
 */
import type { TouchpointEvent } from '../../schema/event';
import { endpoint } from './touchpoint';
import type { DestinationConfig, FormatAdapter, FormatRequest } from './types';

/** One Touchpoint event as a PostHog event; `uuid` is the messageId, so PostHog dedups retries. */
export function toPosthogEvent(e: TouchpointEvent): Record<string, unknown> {
  const c = e.context || {};
  const page = c.page || {};
  const distinct = e.userId || e.anonymousId;
  const properties: Record<string, unknown> = {
    ...e.properties,
    $lib: 'touchpoint',
    $lib_version: c.library?.version,
    $current_url: page.url,
    $pathname: page.path,
    $referrer: page.referrer || undefined,
    $title: page.title,
    $session_id: c.session?.id,
    $screen_width: c.screen?.width,
    $screen_height: c.screen?.height,
    $browser_language: c.locale,
    utm_source: c.campaign?.source,
    utm_medium: c.campaign?.medium,
    utm_campaign: c.campaign?.name,
    utm_term: c.campaign?.term,
    utm_content: c.campaign?.content,
    channel: c.channel,
  };
  let event = e.event || e.type;
  if (e.type == 'page') event = '$pageview';
  else if (e.type == 'identify') {
    event = '$identify';
    properties.$set = { ...e.traits };
    if (e.anonymousId && e.userId) properties.$anon_distinct_id = e.anonymousId;
    if (e.identities?.length) properties.$set = { ...e.traits, ...Object.fromEntries(e.identities.map((i) => [(i.hashed ? 'sha256_' : '') + i.type, i.value])) };
  } else if (e.type == 'alias') {
    event = '$create_alias';
    properties.alias = e.previousId;
  } else if (e.type == 'group') {
    event = '$groupidentify';
    properties.$group_type = 'company';
    properties.$group_key = e.groupId;
    properties.$group_set = { ...e.traits };
  }
  for (const k in properties) if (properties[k] === undefined) delete properties[k];
  return { event, distinct_id: distinct, properties, timestamp: e.timestamp, uuid: e.messageId };
}

/**
 * Creates the PostHog format (`url` e.g. `https://eu.i.posthog.com`, `apiKey` the project key `phc_…`).
 * @example createFormat({ format: 'posthog', url: 'https://eu.i.posthog.com', apiKey: 'phc_abc' })
 */
export function createFormat(d: DestinationConfig): FormatAdapter {
  // checked here rather than in core: the check loads only with the format
  if (!d.url || !d.apiKey) throw new Error('a posthog destination needs url and apiKey');
  const url = endpoint(d.url || '', '/batch');
  return {
    gzip: !!d.gzip,
    unload: true,
    encode: (events, { sentAt, unload }): FormatRequest => ({
      url,
      // the key rides in the body, so a text/plain page-hide request needs no preflight
      headers: { 'Content-Type': unload ? 'text/plain' : 'application/json' },
      body: { api_key: d.apiKey || '', sent_at: sentAt, batch: events.map(toPosthogEvent) },
    }),
  };
}
