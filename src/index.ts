/**
 * npm entry: `createTouchpoint(config)` and the public types. Re-exports only; lazy chunks load through the host
 * bundler's dynamic import.
 */
import { createTracker, type Touchpoint } from './core/tracker';
import type { TouchpointConfig } from './core/config';
import { wire } from './core/wire';

/**
 * Creates a tracker with the same API as the script tag's `window.touchpoint`.
 * @param config - writeKey, collectorUrl and options (see the README).
 * @example
 * const tp = createTouchpoint({ writeKey: 'wk_live', collectorUrl: 'https://collect.example.com' });
 * tp.track('product_added', { product_id: 'p1' });
 */
export function createTouchpoint(config: TouchpointConfig): Touchpoint {
  return createTracker(
    config,
    wire(config, {
      loadVitals: () => import('./capture/vitals'),
      loadBanner: () => import('./consent/banner/index'),
      loadTexts: () => import('./consent/default-texts').then((m) => m.DEFAULT_TEXTS),
      loadInterop: () => import('./consent/interop'),
      loadHashing: () => import('./identity/hash'),
      // one import() per format, so bundlers split each into its own chunk
      loadFormat: (format) =>
        format == 'segment' ? import('./transport/formats/segment')
        : format == 'snowplow' ? import('./transport/formats/snowplow')
        : format == 'posthog' ? import('./transport/formats/posthog')
        : import('./transport/formats/custom'),
      loadLinker: () => import('./identity/linker'),
      loadProfiles: () => import('./identity/profile-client'),
    }),
  );
}

export { VERSION } from './core/tracker';
export type { Touchpoint, CallOptions, TouchpointEventName } from './core/tracker';
export type { TouchpointConfig, OutboxOptions } from './core/config';
export type { DestinationConfig, FormatName, FormatRequest } from './transport/formats/types';
export type { ProfileSummary, ProfileProduct } from './identity/profile-client';
export type { IdentityInput } from './identity/hash';
export type { ConsentState, Category } from './consent/types';
export type { TouchpointEvent, EventContext, Campaign, IdentityLink } from './schema/event';
export type { ConsentRecord, ConsentMethod } from './schema/consent-record';
export { COMMERCE_EVENTS } from './capture/commerce';
export type { Commerce } from './capture/commerce';
