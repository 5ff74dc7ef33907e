/**
 * The browser's lean check of the consent configuration: the same rules and defaults as the zod schema in
 * src/schema/consent-config.ts, hand-written because zod/mini would cost kilobytes. Imports: schema types, the GCM keys.
 * Never throws; the first problem is returned as a `path: message` string so the caller can fail closed.
 */
import type { ConsentConfig } from '../schema/consent-config';
import { GCM_KEYS } from './bridges/gcm';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ID = /^[a-z][a-z0-9_]{0,63}$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const TEXT_KEYS =
  'title description purposes controller storageDuration thirdParties transferOutsideEea withdrawal acceptAll rejectAll settings preferencesTitle preferencesDescription save close alwaysOn saved signalNotice privacyPolicy imprint'.split(
    ' ',
  );
const TEXT_KEY = RegExp(`^(${TEXT_KEYS.join('|')})$`);
// the schema's DEFAULT_GCM_MAPPING (CONSENT-RULES); `functional` need not be a configured category
const GCM_DEFAULT: Obj = { necessary: [GCM_KEYS[6]], analytics: [GCM_KEYS[3]], marketing: GCM_KEYS.slice(0, 3), personalization: [GCM_KEYS[5]], functional: [GCM_KEYS[4]] };

const is = (v: unknown, re: RegExp) => typeof v == 'string' && re.test(v);

/** Same rule as the schema's `isSafeUrl`: 1 to 2048 characters without whitespace or backslash, https or relative. */
export const safeUrl = (u: unknown): u is string => is(u, /^(?=[^\s\\\x00-\x1f]{1,2048}$)(https:\/\/[^/]|(?!\/\/|[a-z][a-z0-9+.-]*:))/i);

/**
 * Checks and normalises a consent configuration in the browser.
 * @param input - the parsed JSON configuration
 * @returns the configuration with defaults applied, or the first problem as `"path: message"`
 * @example
 * const c = validateConfig(json); if (typeof c == 'string') log.error('consent config rejected: ' + c);
 */
export function validateConfig(input: unknown): ConsentConfig | string {
  // the first problem unwinds the whole check and comes back as the return value
  const no = (path: string, message: string): never => {
    throw (path || '(root)') + ': ' + message;
  };
  // a plain object whose keys all match `keys`; `each` checks every value
  const obj = (v: unknown, path: string, keys: RegExp, each?: (x: unknown, at: string, k: string) => unknown): Obj => {
    if (!v || typeof v != 'object' || Array.isArray(v)) no(path, 'must be an object');
    for (const k in v as Obj) {
      const at = path ? path + '.' + k : k;
      keys.test(k) ? each?.((v as Obj)[k], at, k) : no(at, 'invalid or unknown key');
    }
    return v as Obj;
  };
  const str = (v: unknown, path: string, max = 4000) => (typeof v == 'string' && v.trim() && v.length <= max ? v : no(path, `must be non-blank text of at most ${max} characters`));
  const int = (v: unknown, path: string, min: number, max: number, dflt?: number) =>
    v === undefined ? dflt : Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : no(path, `must be an integer from ${min} to ${max}`);
  const oneOf = (v: unknown, path: string, values: string) => {
    const a = values.split(' ');
    return v === undefined ? a[0] : a.includes(v as string) ? v : no(path, 'must be one of: ' + values);
  };
  const ids: string[] = [];
  const known = (k: string, at: string, extra: Obj = {}) => ids.includes(k) || k in extra || no(at, 'unknown category');

  try {
    const c = obj(input, '', /^(policyVersion|materialVersion|defaultLocale|fallbackLocale|categories|texts|privacyPolicyUrl|imprintUrl|lifetimeDays|beforeConsent|signals|googleConsentMode|tcf|gpp)$/);
    const texts = obj(c.texts, 'texts', LOCALE, (t, at) => TEXT_KEYS.forEach((k) => str(obj(t, at, TEXT_KEY)[k], at + '.' + k)));
    const locales = Object.keys(texts);
    locales.length || no('texts', 'needs at least one locale');
    const cats = c.categories;
    (Array.isArray(cats) && cats.length > 1 && cats.length < 21) || no('categories', 'must list 2 to 20 categories');
    const categories = (cats as unknown[]).map((x, i) => {
      const at = 'categories.' + i;
      const o = obj(x, at, /^(id|label|description|default)$/);
      const { id, default: on } = o;
      is(id, ID) || no(at + '.id', 'must be snake_case');
      ids.includes(id) && no(at + '.id', 'duplicate category');
      ids.push(id);
      // R5: only `necessary` may be on by default
      [undefined, false, id == 'necessary'].includes(on) || no(at + '.default', 'must be false (R5)');
      for (const k of ['label', 'description']) {
        const per = obj(o[k], at + '.' + k, LOCALE, (s, q) => str(s, q));
        locales.forEach((l) => per[l] || no(`${at}.${k}.${l}`, 'missing text'));
      }
      return { ...o, default: !!on };
    });
    ids.includes('necessary') || no('categories', 'must include "necessary"');
    const locale = (k: string, dflt: string) => {
      const l = c[k] === undefined ? dflt : c[k];
      return locales.includes(l) ? l : no(k, `no texts for locale "${l}"`);
    };

    const g = c.googleConsentMode;
    const gcm = 'googleConsentMode';
    if (g !== undefined) {
      obj(g, gcm, /^(mode|mapping|waitForUpdateMs|region)$/);
      int(g.waitForUpdateMs, gcm + '.waitForUpdateMs', 0, 1e4);
      g.region === undefined ||
        (Array.isArray(g.region) && g.region.every((r: unknown) => is(r, /^(?!EU$)[A-Z]{2}(-[A-Z0-9]{1,3})?$/))) ||
        no(gcm + '.region', 'must list ISO 3166 codes (not "EU")');
      if (g.mapping !== undefined)
        obj(g.mapping, gcm + '.mapping', ID, (v, at, k) => {
          (Array.isArray(v) && v.every((x) => GCM_KEYS.includes(x))) || no(at, 'must list Consent Mode keys');
          known(k, at, GCM_DEFAULT);
        });
    }
    // the TCF and GPP readers share one shape: purposes per category, optional vendor id, timeout
    const cmp = (k: 'tcf' | 'gpp') => {
      const t = c[k];
      if (t === undefined) return;
      obj(t, k, /^(purposes|vendorId|timeoutMs)$/);
      obj(t.purposes, k + '.purposes', ID, (v, at, id) => {
        (Array.isArray(v) && v.length && v.every((n) => int(n, at, 1, 11))) || no(at, 'must list TCF purposes 1 to 11');
        known(id, at);
      });
      int(t.vendorId, k + '.vendorId', 1, 1e9);
      return { ...t, timeoutMs: int(t.timeoutMs, k + '.timeoutMs', 100, 6e4, 5e3) };
    };
    const tcf = cmp('tcf');
    const gpp = cmp('gpp');
    tcf && gpp && no('gpp', 'use tcf or gpp, not both');
    str(c.policyVersion, 'policyVersion', 64);
    c.materialVersion === undefined || str(c.materialVersion, 'materialVersion', 64);
    for (const k of ['privacyPolicyUrl', 'imprintUrl']) safeUrl(c[k]) || no(k, 'must be an https:// URL or a relative path');
    const s = c.signals === undefined ? {} : obj(c.signals, 'signals', /^(gpc|dnt)$/);
    return {
      ...c,
      defaultLocale: locale('defaultLocale', 'de'),
      fallbackLocale: locale('fallbackLocale', 'en'),
      categories,
      lifetimeDays: int(c.lifetimeDays, 'lifetimeDays', 1, 365, 182),
      beforeConsent: oneOf(c.beforeConsent, 'beforeConsent', 'drop hold'),
      signals: { gpc: oneOf(s.gpc, 'signals.gpc', 'deny ignore'), dnt: oneOf(s.dnt, 'signals.dnt', 'deny ignore') },
      googleConsentMode: g && { ...g, mode: oneOf(g.mode, gcm + '.mode', 'basic advanced'), mapping: g.mapping || GCM_DEFAULT },
      tcf,
      gpp,
    } as ConsentConfig;
  } catch (e) {
    return '' + e;
  }
}
