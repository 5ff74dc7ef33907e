/**
 * The one Trusted Types policy of Touchpoint, named `touchpoint`: the script-tag loader passes its SRI-pinned chunk URLs
 * through it, the consent-aware embeds their script URLs and inline text. Imports nothing. Never throws.
 */

/** What the policy makes: trusted script URLs (http(s) only) and trusted inline script text. */
export interface TtPolicy {
  createScriptURL(u: string): unknown;
  createScript(s: string): unknown;
}

const KEY = Symbol.for('touchpoint.tt');

/**
 * The window's `touchpoint` policy, created on first use and kept on the window (createPolicy may be called once per
 * name, and the loader and the embeds live in different bundles); null without Trusted Types or when the page's CSP
 * `trusted-types` directive does not allow the name.
 * @example const url = touchpointPolicy(window)?.createScriptURL(src) ?? src;
 */
export function touchpointPolicy(win: Window): TtPolicy | null {
  const w = win as unknown as Record<symbol, TtPolicy | null | undefined> & { trustedTypes?: { createPolicy(n: string, r: object): TtPolicy } };
  const tt = w.trustedTypes;
  if (!tt) return null;
  if (w[KEY] === undefined) {
    try {
      w[KEY] = tt.createPolicy('touchpoint', {
        // only http(s) URLs: our chunks and script URLs the page itself put in its markup; never javascript: or data:
        createScriptURL: (u: string) => (/^https?:$/.test(new URL(u, win.location.href).protocol) ? u : ''),
        // inline text the page put in a text/plain placeholder; the page's CSP nonce/hash still decides if it runs
        createScript: (s: string) => s,
      });
    } catch {
      w[KEY] = null; // the CSP's trusted-types directive does not allow "touchpoint"
    }
  }
  return w[KEY]!;
}
