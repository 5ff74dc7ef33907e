/**
 * The contract of a wire-format adapter: how a batch of Touchpoint events becomes one HTTP request for a collector
 * (ours, Segment, Snowplow, PostHog or a developer's own). Types only. Imports: schema types.
 */
import type { TouchpointEvent } from '../../schema/event';

/** Formats shipped with Touchpoint; `touchpoint` is in the core bundle, the others are lazy chunks. */
export type FormatName = 'touchpoint' | 'segment' | 'snowplow' | 'posthog' | 'custom';

/** One HTTP request an adapter builds; the transport adds gzip and keepalive; cookies go only to a same-origin destination (fetch default). */
export interface FormatRequest {
  url: string;
  headers: Record<string, string>;
  /** The body; objects are sent as JSON. */
  body: string | Record<string, unknown> | unknown[];
}

/** A destination as configured in `destinations: [...]`. */
export interface DestinationConfig {
  /** Stable name that records in the outbox are tracked by; defaults to the format (`segment`, then `segment#2`…). */
  name?: string;
  /** Wire format. @defaultValue 'touchpoint' */
  format?: FormatName;
  /** Base URL of the collector (e.g. `https://api.segment.io`); the adapter appends its path. */
  url?: string;
  /** Segment, RudderStack, Jitsu and our collector: the write key (HTTP Basic user name). */
  writeKey?: string;
  /** PostHog: the project API key. */
  apiKey?: string;
  /** Snowplow: the application id (`aid`). @defaultValue 'touchpoint' */
  appId?: string;
  /** Snowplow: Iglu vendor of Touchpoint's own self-describing events and context entity. @defaultValue 'dev.touchpoint' */
  vendor?: string;
  /** Snowplow: send `ue_px`/`cx` (base64url) instead of `ue_pr`/`co` (JSON). @defaultValue false */
  base64?: boolean;
  /** Only events of these consent categories go here (consent still applies first). @defaultValue every category */
  categories?: string[];
  /** `custom` only: builds the request for a batch. */
  transform?: (events: TouchpointEvent[]) => FormatRequest;
  /** Compress bodies with gzip (`Content-Encoding: gzip`). @defaultValue true for `touchpoint`, false otherwise */
  gzip?: boolean;
}

/** What every adapter receives besides the events. */
export interface EncodeContext {
  /** When the batch is sent, ISO-8601. */
  sentAt: string;
  /** Events the outbox caps dropped, for formats that can carry the count. */
  dropped?: number;
  /** The page is hiding: a simple request (text/plain, key in the body) so no preflight can be lost. */
  unload?: boolean;
}

/** A wire format bound to one destination. */
export interface FormatAdapter {
  /** Builds the request for a batch. May throw on a developer's broken `transform`; the transport catches it. */
  encode(events: TouchpointEvent[], context: EncodeContext): FormatRequest;
  /** Whether the collector accepts `Content-Encoding: gzip` (the destination's `gzip` decides). */
  gzip: boolean;
  /** Whether page-hide delivery may use this format (a keepalive body the collector accepts without preflight). */
  unload: boolean;
  /** messageIds the collector rejected in a 2xx answer, when the format reports them. */
  rejected?(body: unknown): string[] | undefined;
}

/** What a format chunk exports. */
export interface FormatModule {
  createFormat(destination: DestinationConfig, version: string): FormatAdapter;
}
