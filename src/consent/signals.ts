/**
 * Reads the browser's opt-out signals: Global Privacy Control and the legacy Do Not Track variants (R16).
 * Imports nothing. Reads navigator/window properties only; no storage, no request.
 */

/** An opt-out signal the browser sends. */
export type PrivacySignal = 'gpc' | 'dnt';

/**
 * The signals the browser sends, GPC first: GPC is `navigator.globalPrivacyControl === true || '1'`, DNT is
 * `navigator.doNotTrack`, `window.doNotTrack` or `navigator.msDoNotTrack` equal to `'1'` (old Firefox sent `'yes'`).
 * @example
 * readSignals(navigator, window) // → ['gpc'] when only GPC is on
 */
export function readSignals(nav?: unknown, win?: unknown): PrivacySignal[] {
  const n = nav as Record<string, unknown> | undefined;
  const gpc = n?.globalPrivacyControl;
  const dnt = [n?.doNotTrack, n?.msDoNotTrack, (win as Record<string, unknown> | undefined)?.doNotTrack].some((v) => v === '1' || v === 'yes');
  return [gpc === true || gpc === '1' ? 'gpc' : '', dnt ? 'dnt' : ''].filter(Boolean) as PrivacySignal[];
}
