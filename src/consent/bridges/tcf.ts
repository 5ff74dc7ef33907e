/**
 * IAB TCF v2.2 reader: listens through the page's existing `__tcfapi` and maps purpose consents to categories.
 * Imports: types. Never defines `__tcfapi` or `__gpp`, never reads legitimate-interest signals, fails closed (R18).
 */
import type { ConsentConfig } from '../types';

type TcfConfig = NonNullable<ConsentConfig['tcf']>;

/** The part of TCData the reader uses. */
export interface TcData {
  tcString?: string;
  eventStatus?: string;
  listenerId?: number;
  gdprApplies?: boolean;
  purposeOneTreatment?: boolean;
  purpose?: { consents?: Record<string, boolean> };
  vendor?: { consents?: Record<string, boolean> };
}

/** The CMP API function a CMP defines on `window`. */
export type TcfApi = (command: string, version: number, callback: (data: TcData | boolean, success: boolean) => void, parameter?: unknown) => void;

/** A running TCF reader. */
export interface TcfReader {
  /** Removes the CMP listener and the timeout. */
  stop(): void;
}

/**
 * Categories granted by one TCData: a mapped category is granted when purpose 1 (store/access on a device) and all its
 * configured purposes have consent — and the vendor, when `vendorId` is set. `purposeOneTreatment` means no storage
 * consent, so nothing is granted; unmapped categories are never granted.
 * @example
 * tcfGranted({ purposes: { analytics: [8, 9] }, timeoutMs: 5000 }, data) // → ['analytics']
 */
export function tcfGranted(config: TcfConfig, data: TcData): string[] {
  const p = data.purpose?.consents || {};
  if (data.purposeOneTreatment === true || p[1] !== true) return [];
  if (config.vendorId !== undefined && data.vendor?.consents?.[config.vendorId] !== true) return [];
  return Object.keys(config.purposes).filter((cat) => config.purposes[cat].every((n) => p[n] === true));
}

/**
 * Starts listening to an existing TCF CMP. Acts only on `tcloaded` and `useractioncomplete` (never on `cmpuishown`,
 * whose placeholders are not a choice); without a final answer within `timeoutMs`, or without a CMP, calls `onFail`
 * and the visitor stays denied.
 * @param deps.onDecision - receives the granted categories and the TC string of each final answer
 * @param deps.onFail - receives why nothing was granted ('no-cmp' | 'timeout' | 'error')
 * @example
 * startTcfReader({ config: config.tcf, window, onDecision: (g, tc) => decide(g, 'tcf', tc), onFail: log.warn });
 */
export function startTcfReader(deps: {
  config: TcfConfig;
  window: Window;
  onDecision(granted: string[], tcString: string | undefined): void;
  onFail(reason: 'no-cmp' | 'timeout' | 'error'): void;
}): TcfReader {
  const api = (deps.window as unknown as { __tcfapi?: TcfApi }).__tcfapi;
  let listenerId: number | undefined;
  let answered = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (typeof api != 'function') {
    deps.onFail('no-cmp');
    return { stop() {} };
  }
  timer = setTimeout(() => answered || deps.onFail('timeout'), deps.config.timeoutMs);
  try {
    api('addEventListener', 2, (data, success) => {
      if (!data || typeof data != 'object') return;
      if (typeof data.listenerId == 'number') listenerId = data.listenerId;
      if (!success) return;
      if (data.eventStatus != 'tcloaded' && data.eventStatus != 'useractioncomplete') return;
      answered = true;
      clearTimeout(timer);
      // gdprApplies false leaves purposes undefined: tcfGranted then grants nothing (fail closed)
      deps.onDecision(tcfGranted(deps.config, data), typeof data.tcString == 'string' ? data.tcString : undefined);
    });
  } catch {
    clearTimeout(timer);
    deps.onFail('error');
  }
  return {
    stop() {
      clearTimeout(timer);
      if (listenerId !== undefined)
        try {
          api('removeEventListener', 2, () => {}, listenerId);
        } catch {
          // a broken CMP must not break the page
        }
    },
  };
}
