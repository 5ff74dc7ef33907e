/**
 * Wires the real services into core's seams; shared by the npm entry and the script-tag boot, which differ only in
 * how they load the lazy chunks. Imports: core, services. Never runs by itself.
 */
import type { TrackerDeps } from './tracker';
import type { TouchpointConfig } from './config';
import { createConsentManager } from '../consent/manager';
import { openOutbox } from '../outbox/open-outbox';
import { createFlusher } from '../outbox/flusher';
import { createTabLock } from '../outbox/tab-lock';
import { postConsentRecord } from '../transport/http';
import { resolveDestinations } from './destinations';
import type { FormatModule, FormatName } from '../transport/formats/types';
import { VERSION } from './tracker';

/** How each entry loads the lazy chunks. */
export interface Loaders {
  loadVitals(): Promise<{ startVitals(report: (event: string, properties: Record<string, unknown>) => void): void }>;
  loadBanner(): Promise<unknown>;
  /** The shipped DE/EN consent texts (the script-tag build keeps them in the banner chunk). */
  loadTexts(): Promise<import('../consent/default-texts').DefaultTexts>;
  /** Consent-aware embeds and the TCF/GPP readers, loaded only when the page has embeds or the config a CMP. */
  loadInterop(): Promise<import('../consent/manager').InteropModule>;
  loadHashing(): Promise<typeof import('../identity/hash')>;
  /** Loads a wire-format chunk; called only for formats a destination names. */
  loadFormat(format: FormatName): Promise<FormatModule>;
  loadLinker(): ReturnType<NonNullable<TrackerDeps['loadLinker']>>;
  loadProfiles(): ReturnType<NonNullable<TrackerDeps['loadProfiles']>>;
}

/** Builds the production dependencies for `createTracker`. */
export function wire(config: TouchpointConfig, loaders: Loaders): TrackerDeps {
  const caps = config.outbox ?? {};
  return {
    createConsent: (log, post) =>
      createConsentManager({
        config: config.consent,
        log,
        sdkVersion: VERSION,
        locale: config.locale,
        nonce: config.nonce,
        postRecord: post,
        // without a loader no banner shows: another CMP decides through consent.set
        loadBanner: config.banner === false ? undefined : (loaders.loadBanner as never),
        loadTexts: loaders.loadTexts,
        loadInterop: loaders.loadInterop,
      }),
    openOutbox: async (log) => {
      const { outbox, fallbackReason } = await openOutbox({
        caps: {
          ...(caps.maxAgeDays && { maxAgeMs: caps.maxAgeDays * 86_400_000 }),
          ...(caps.maxCount && { maxCount: caps.maxCount }),
          ...(caps.maxBytes && { maxBytes: caps.maxBytes }),
        },
        journal: { onSkip: (reason) => log.warn(`write-ahead journal skipped (${reason}): events are safe once IndexedDB commits`) },
      });
      if (fallbackReason) log.warn(`IndexedDB unavailable (${fallbackReason}): events are kept in memory for this page only`);
      return outbox;
    },
    createDelivery: (outbox, destinations, emit) =>
      createFlusher({ outbox, destinations, lock: createTabLock('touchpoint-flush', { store: outbox }), emit, batchSize: config.batchSize, flushIntervalMs: config.flushIntervalMs }),
    createDestinations: (c) => resolveDestinations(c, loaders.loadFormat, VERSION),
    postConsent: (c, record) => void postConsentRecord(c.collectorUrl, c.writeKey, record),
    loadAddon: () => loaders.loadVitals(),
    loadHashing: () => loaders.loadHashing(),
    loadLinker: loaders.loadLinker,
    loadProfiles: loaders.loadProfiles,
  };
}
