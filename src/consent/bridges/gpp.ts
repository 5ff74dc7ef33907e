/**
 * IAB GPP (CMP API 1.1) reader: listens through the page's existing `__gpp`, reads the `tcfeuv2` section once the CMP
 * signals `ready`, and maps its purpose consents to categories exactly like the TCF reader. Imports: types and the TCF
 * mapping. Never defines `__gpp` or `__tcfapi`, never reads legitimate-interest fields, fails closed (R18).
 */
import type { ConsentConfig } from '../types';
import { tcfGranted } from './tcf';

type GppConfig = NonNullable<ConsentConfig['gpp']>;

/** What a GPP listener receives (CMP API 1.1 `EventData`). */
export interface GppEvent {
  eventName?: string;
  listenerId?: number;
  data?: unknown;
  pingData?: { signalStatus?: string; applicableSections?: number[]; gppString?: string; sectionList?: string[] };
}

/** The decoded `tcfeuv2` section as `getSection` returns it: PurposeConsents is a bitfield (index 0 = purpose 1), VendorConsents a list of vendor ids. */
export interface GppTcfSection {
  PurposeConsents?: boolean[];
  VendorConsents?: number[];
  PurposeOneTreatment?: boolean;
}

/** The CMP API function a CMP defines on `window` (1.1: results come through callbacks only). */
export type GppApi = (command: string, callback: (data: unknown, success: boolean) => void, parameter?: unknown, version?: string) => void;

/** A running GPP reader. */
export interface GppReader {
  /** Removes the CMP listener and the timeout. */
  stop(): void;
}

/** GPP section id of the EU TCF v2 section. */
export const GPP_TCF_EU_V2 = 2;

/**
 * Categories granted by one `tcfeuv2` section, with the TCF rules: purpose 1 plus every configured purpose, the vendor
 * when `vendorId` is set; `PurposeOneTreatment` grants nothing.
 * @example
 * gppGranted({ purposes: { analytics: [8, 9] }, timeoutMs: 5000 }, section) // → ['analytics']
 */
export function gppGranted(config: GppConfig, section: GppTcfSection | null | undefined): string[] {
  if (!section || typeof section != 'object') return [];
  const bits = Array.isArray(section.PurposeConsents) ? section.PurposeConsents : [];
  const consents: Record<string, boolean> = {};
  bits.forEach((b, i) => (consents[i + 1] = b === true));
  const vendors = Array.isArray(section.VendorConsents) ? section.VendorConsents : [];
  return tcfGranted(config, {
    purposeOneTreatment: section.PurposeOneTreatment === true,
    purpose: { consents },
    vendor: { consents: config.vendorId !== undefined && vendors.includes(config.vendorId) ? { [config.vendorId]: true } : {} },
  });
}

/**
 * Starts listening to an existing GPP CMP. Reads the `tcfeuv2` section only after `signalStatus` is `ready` (the CMP
 * has finished its UI and the strings are final); when the EU section does not apply, nothing is granted. Without an
 * answer within `timeoutMs`, or without a CMP, calls `onFail` and the visitor stays denied.
 * @param deps.onDecision - receives the granted categories of each ready signal and the CMP's GPP string (for the proof record)
 * @param deps.onFail - receives why nothing was granted ('no-cmp' | 'timeout' | 'error')
 * @example
 * startGppReader({ config: config.gpp, window, onDecision: (g) => decide(g, 'tcf'), onFail: log.warn });
 */
export function startGppReader(deps: {
  config: GppConfig;
  window: Window;
  onDecision(granted: string[], gppString?: string): void;
  onFail(reason: 'no-cmp' | 'timeout' | 'error'): void;
}): GppReader {
  const api = (deps.window as unknown as { __gpp?: GppApi }).__gpp;
  let listenerId: number | undefined;
  let answered = false;
  let stopped = false;
  if (typeof api != 'function') {
    deps.onFail('no-cmp');
    return { stop() {} };
  }
  const timer = setTimeout(() => answered || deps.onFail('timeout'), deps.config.timeoutMs);
  const read = (ping: NonNullable<GppEvent['pingData']>) => {
    const applies = !Array.isArray(ping.applicableSections) || ping.applicableSections.includes(GPP_TCF_EU_V2);
    const done = (granted: string[]) => {
      if (stopped) return;
      answered = true;
      clearTimeout(timer);
      deps.onDecision(granted, typeof ping.gppString == 'string' ? ping.gppString : undefined);
    };
    // a CMP that says the EU section does not apply gives no consent for it: nothing is granted (fail closed)
    if (!applies) return done([]);
    // a failed read is no answer (like TCF's success=false): the state stays as it is and the timeout still applies
    api('getSection', (section, ok) => ok && done(gppGranted(deps.config, section as GppTcfSection)), 'tcfeuv2');
  };
  try {
    api('addEventListener', (evt, success) => {
      const e = evt as GppEvent | null;
      if (!e || typeof e != 'object') return;
      if (typeof e.listenerId == 'number') listenerId = e.listenerId;
      if (!success || !e.pingData) return;
      // read only once the signal is ready: at registration when it already is, on the ready signal, and on a later
      // sectionChange (a new choice); cmpStatus/cmpDisplayStatus events carry no decision
      const n = e.eventName;
      if (n == 'signalStatus' ? e.data == 'ready' : (n == 'listenerRegistered' || n == 'sectionChange') && e.pingData.signalStatus == 'ready') read(e.pingData);
    });
  } catch {
    clearTimeout(timer);
    deps.onFail('error');
  }
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (listenerId !== undefined)
        try {
          api('removeEventListener', () => {}, listenerId);
        } catch {
          // a broken CMP must not break the page
        }
    },
  };
}
