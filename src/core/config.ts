/**
 * The developer-facing configuration of `init`/`createTouchpoint`: its type, defaults and a lean check that reports
 * unknown keys and bad values without zod (this runs in every page). Imports: the destination check. Never touches storage.
 */
import type { DestinationConfig } from '../transport/formats/types';
import { destinationProblem } from './destinations';

/** Outbox limits; what they drop is counted and reported on the wire. */
export interface OutboxOptions {
  /** Oldest an unsent event may get, in days. @defaultValue 7 */
  maxAgeDays?: number;
  /** Most events kept. @defaultValue 10000 */
  maxCount?: number;
  /** Most bytes kept. @defaultValue 5242880 (5 MiB) */
  maxBytes?: number;
}

/** Configuration for `init` / `createTouchpoint`. */
export interface TouchpointConfig {
  /** The write key the collector knows this site by. */
  writeKey: string;
  /** Base URL of the collector; batches go to `/v1/batch`, consent proof to `/v1/consent`. */
  collectorUrl: string;
  /** Log every rejected call and delivery problem to the console. @defaultValue false */
  debug?: boolean;
  /** Capture the landing page view and SPA navigations automatically. @defaultValue true */
  autoPageViews?: boolean;
  /** Report LCP, INP, CLS, FCP and TTFB as `web_vitals_measured` events (lazy chunk). @defaultValue true */
  webVitals?: boolean;
  /** Extra query parameter names to redact from every URL, added to the built-in list (token, password, email, …). */
  redactParams?: string[];
  /** Most events per batch. @defaultValue 50 */
  batchSize?: number;
  /** How long to wait for more events before sending a batch, in ms. @defaultValue 1000 */
  flushIntervalMs?: number;
  /** Outbox caps. */
  outbox?: OutboxOptions;
  /** The privacy officer's consent configuration (see the README); the shipped DE/EN default when omitted. */
  consent?: unknown;
  /** Show the consent banner when no decision is stored. Set false when another CMP calls `consent.set`. @defaultValue true */
  banner?: boolean;
  /** Banner language; the page's `<html lang>` when omitted. */
  locale?: string;
  /** CSP nonce for the banner's styles and activated scripts. */
  nonce?: string;
  /** Domain for the first-party cookie mirror of the device id, e.g. `.example.com`, so subdomains share it. */
  cookieDomain?: string;
  /** Where the lazy chunks (banner, web vitals, formats) are served from; next to the script by default. */
  assetBaseUrl?: string;
  /**
   * Where events go, each with its own format and delivery state; one native destination at `collectorUrl` when
   * omitted. Consent proof records always go to `collectorUrl`.
   * @example [{ format: 'touchpoint' }, { format: 'segment', url: 'https://api.segment.io', writeKey: 'abc' }]
   */
  destinations?: DestinationConfig[];
  /**
   * Other domains of the shop to carry the device id to, e.g. `['shop.at', 'shop.ch']` (subdomains match): with analytics
   * consent, links and forms to them get a 2-minute `_tp` token when clicked or submitted (lazy linker chunk).
   */
  linkDomains?: string[];
  /** Mixed into the `_tp` checksum; the same on every linked domain. Not a secret in any strong sense (it ships in the script). */
  linkerSecret?: string;
}

const KNOWN_KEYS = [
  'writeKey', 'collectorUrl', 'debug', 'autoPageViews', 'webVitals', 'redactParams', 'batchSize', 'flushIntervalMs',
  'outbox', 'consent', 'banner', 'locale', 'nonce', 'cookieDomain', 'assetBaseUrl', 'destinations', 'linkDomains', 'linkerSecret',
] as const;

/** Checks a config; returns the problems (unknown keys are problems but not fatal) and whether it can run at all. */
export function checkConfig(config: unknown): { fatal: boolean; problems: string[] } {
  const problems: string[] = [];
  if (!config || typeof config !== 'object') return { fatal: true, problems: ['init() needs a config object'] };
  const c = config as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!(KNOWN_KEYS as readonly string[]).includes(k)) problems.push(`unknown config key "${k}" ignored`);
  let fatal = false;
  if (typeof c.writeKey !== 'string' || !c.writeKey) (fatal = true), problems.push('config.writeKey must be a non-empty string');
  if (typeof c.collectorUrl !== 'string' || !/^(https?:\/\/|\/)/.test(c.collectorUrl)) {
    fatal = true;
    problems.push('config.collectorUrl must be an http(s) URL or a path starting with /');
  }
  for (const k of ['batchSize', 'flushIntervalMs'] as const) {
    if (c[k] !== undefined && !(typeof c[k] === 'number' && (c[k] as number) > 0)) problems.push(`config.${k} must be a positive number; default used`);
  }
  for (const k of ['redactParams', 'linkDomains'] as const) {
    if (c[k] !== undefined && !(Array.isArray(c[k]) && (c[k] as unknown[]).every((p) => typeof p === 'string'))) problems.push(`config.${k} must be an array of strings; ignored`);
  }
  // a non-array reads as no entries: the default destination is used
  ([] as unknown[]).concat(c.destinations ?? []).forEach((d, i) => {
    const p = destinationProblem(d);
    if (p) problems.push(`config.destinations[${i}] ${p}; left out`);
  });
  return { fatal, problems };
}
