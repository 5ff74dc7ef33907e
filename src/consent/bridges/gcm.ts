/**
 * Google Consent Mode v2 bridge: `gtag('consent', 'default' | 'update', …)` pushed as `arguments` onto
 * `window.dataLayer`, from the configured category → key mapping. Imports: types. Never loads a Google script.
 */
import type { ConsentConfig, ConsentState } from '../types';

type GcmConfig = NonNullable<ConsentConfig['googleConsentMode']>;
type GcmValue = 'granted' | 'denied';

export const GCM_KEYS = 'ad_storage ad_user_data ad_personalization analytics_storage functionality_storage personalization_storage security_storage'.split(' ');

/** The Consent Mode bridge; `update` is called with every stored decision at load and on each change. */
export interface GcmBridge {
  update(state: ConsentState): void;
}

/**
 * Consent Mode values for `granted` categories: a key is granted only when every category mapped to it is granted
 * (fail closed), unmapped keys stay denied.
 * @example
 * gcmValues(DEFAULT_GCM_MAPPING, ['necessary', 'analytics']) // → { analytics_storage: 'granted', ad_storage: 'denied', … }
 */
export function gcmValues(mapping: GcmConfig['mapping'], granted: readonly string[]): Record<string, GcmValue> {
  const out: Record<string, GcmValue> = {};
  const ok: Record<string, boolean> = {};
  for (const cat in mapping) for (const k of mapping[cat]) ok[k] = ok[k] !== false && granted.includes(cat);
  for (const k of GCM_KEYS) out[k] = ok[k] ? 'granted' : 'denied';
  return out;
}

/**
 * Pushes the Consent Mode default at once — everything denied except what `necessary` maps to (security_storage by
 * default) — and returns the bridge for updates. Put the SDK before GTM/gtag.js so the default comes first.
 * @param deps.config - the `googleConsentMode` section (mode, mapping, waitForUpdateMs, region)
 * @param deps.window - the page window that owns `dataLayer`
 * @example
 * const gcm = createGcmBridge({ config: config.googleConsentMode, window }); manager.onChange((s) => gcm.update(s));
 */
export function createGcmBridge(deps: { config: GcmConfig; window: Window }): GcmBridge {
  const w = deps.window as Window & { dataLayer?: unknown[] };
  const { mapping, waitForUpdateMs, region } = deps.config;
  // gtag.js only reads real `arguments` objects from the dataLayer, not arrays
  function gtag(..._args: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    (w.dataLayer ||= []).push(arguments);
  }
  const dflt: Record<string, unknown> = gcmValues(mapping, ['necessary']);
  if (waitForUpdateMs !== undefined) dflt.wait_for_update = waitForUpdateMs;
  if (region) dflt.region = region;
  gtag('consent', 'default', dflt);
  let last = '';
  return {
    update(state) {
      if (state.status != 'decided') return;
      const v = gcmValues(mapping, state.granted);
      const key = JSON.stringify(v);
      // the same decision seen twice (load + event) is pushed once
      if (key != last) gtag('consent', 'update', v);
      last = key;
    },
  };
}
