/**
 * Reads the browser's opt-out signals: Global Privacy Control and the legacy Do Not Track variants (R16).
 * Imports nothing. Reads navigator/window properties only; no storage, no request.
 */

/** Which opt-out signals the browser sends. */
export interface PrivacySignals {
  gpc: boolean;
  dnt: boolean;
}

/**
 * Reads GPC (`navigator.globalPrivacyControl === true || '1'`) and DNT (`navigator.doNotTrack`, `window.doNotTrack`,
 * `navigator.msDoNotTrack` equal to `'1'`; old Firefox sent `'yes'`).
 * @example
 * readSignals(navigator, window) // → { gpc: true, dnt: false }
 */
export function readSignals(nav?: unknown, win?: unknown): PrivacySignals {
  const n = (nav || {}) as Record<string, unknown>;
  const on = (v: unknown) => v === '1' || v === 'yes';
  return {
    gpc: n.globalPrivacyControl === true || n.globalPrivacyControl === '1',
    dnt: on(n.doNotTrack) || on(n.msDoNotTrack) || on(((win || {}) as Record<string, unknown>).doNotTrack),
  };
}
