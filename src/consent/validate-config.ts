/**
 * The browser's lean check of the consent configuration: the same rules and defaults as the zod schema in
 * src/schema/consent-config.ts, hand-written because zod/mini would cost kilobytes. Imports: schema types only.
 * Never throws; the first problem is returned as a `path: message` string so the caller can fail closed.
 */
import type { ConsentConfig } from '../schema/consent-config';

const ID = /^[a-z][a-z0-9_]{0,63}$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const TEXT_KEYS =
  'title description purposes controller storageDuration thirdParties transferOutsideEea withdrawal acceptAll rejectAll settings preferencesTitle preferencesDescription save close alwaysOn saved signalNotice privacyPolicy imprint'.split(
    ' ',
  );
const GCM_KEYS = 'ad_storage ad_user_data ad_personalization analytics_storage functionality_storage personalization_storage security_storage'.split(' ');
const GCM_DEFAULT: Record<string, string[]> = {
  necessary: ['security_storage'],
  analytics: ['analytics_storage'],
  marketing: ['ad_storage', 'ad_user_data', 'ad_personalization'],
  personalization: ['personalization_storage'],
  functional: ['functionality_storage'],
};

type Obj = Record<string, unknown>;

/** Same rule as the schema's `isSafeUrl`: https or relative, no other scheme, no whitespace or backslash. */
export const safeUrl = (u: unknown): u is string =>
  typeof u == 'string' && !!u && u.length <= 2048 && !/[\s\\\x00-\x1f]/.test(u) && (/^https:\/\/[^/]/i.test(u) || !/^(\/\/|[a-z][a-z0-9+.-]*:)/i.test(u));

/**
 * Checks and normalises a consent configuration in the browser.
 * @param input - the parsed JSON configuration
 * @returns the configuration with defaults applied, or the first problem as `"path: message"`
 * @example
 * const c = validateConfig(json); if (typeof c == 'string') log.error('consent config rejected: ' + c);
 */
export function validateConfig(input: unknown): ConsentConfig | string {
  let problem = '';
  const fail = (path: string, message: string): undefined => void (problem ||= `${path || '(root)'}: ${message}`);
  const isObj = (v: unknown): v is Obj => !!v && typeof v == 'object' && !Array.isArray(v);
  const obj = (v: unknown, path: string, keys: string[]): Obj => {
    if (!isObj(v)) return fail(path, 'must be an object'), {};
    for (const k in v) if (!keys.includes(k)) fail(path ? path + '.' + k : k, 'unknown key');
    return v;
  };
  const str = (v: unknown, path: string, max = 4000, re?: RegExp) =>
    typeof v == 'string' && v.trim() && v.length <= max && (!re || re.test(v)) ? v : fail(path, 'must be a valid non-empty string');
  const int = (v: unknown, path: string, min: number, max: number, dflt?: number) =>
    v === undefined && dflt !== undefined ? dflt : Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : fail(path, `must be an integer from ${min} to ${max}`);
  const oneOf = <T extends string>(v: unknown, path: string, values: T[]) =>
    v === undefined ? values[0] : values.includes(v as T) ? (v as T) : fail(path, 'must be one of ' + values.join(', '));
  const rec = <T>(v: unknown, path: string, keyRe: RegExp, each: (x: unknown, p: string) => T | undefined) => {
    const out: Record<string, T> = {};
    if (!isObj(v)) return fail(path, 'must be an object'), out;
    for (const k in v) if (keyRe.test(k)) out[k] = each(v[k], path + '.' + k) as T;
    else fail(path + '.' + k, 'invalid key');
    return out;
  };

  const c = obj(input, '', [
    'policyVersion', 'materialVersion', 'defaultLocale', 'fallbackLocale', 'categories', 'texts', 'privacyPolicyUrl',
    'imprintUrl', 'lifetimeDays', 'beforeConsent', 'signals', 'googleConsentMode', 'tcf', 'gpp',
  ]);
  const texts = rec(c.texts, 'texts', LOCALE, (t, p) => {
    const o = obj(t, p, TEXT_KEYS);
    TEXT_KEYS.forEach((k) => str(o[k], p + '.' + k));
    return o as ConsentConfig['texts'][string];
  });
  const locales = Object.keys(texts);
  if (!locales.length) fail('texts', 'needs at least one locale');
  const ids: string[] = [];
  const cats = Array.isArray(c.categories) && c.categories.length >= 2 && c.categories.length <= 20 ? c.categories : (fail('categories', 'must list 2 to 20 categories'), []);
  const categories = cats.map((x, i) => {
    const p = 'categories.' + i;
    const o = obj(x, p, ['id', 'label', 'description', 'default']);
    const id = str(o.id, p + '.id', 64, ID) || '';
    if (ids.includes(id)) fail(p + '.id', 'duplicate category');
    ids.push(id);
    if (o.default !== undefined && typeof o.default != 'boolean') fail(p + '.default', 'must be a boolean');
    if (o.default && id != 'necessary') fail(p + '.default', 'a non-essential category must be off by default (R5)');
    const per = (k: 'label' | 'description') => {
      const r = rec(o[k], p + '.' + k, LOCALE, (s, q) => str(s, q));
      locales.forEach((l) => r[l] || fail(`${p}.${k}.${l}`, 'missing text'));
      return r;
    };
    return { id, label: per('label'), description: per('description'), default: !!o.default };
  });
  if (!ids.includes('necessary')) fail('categories', 'must include "necessary"');
  const locale = (k: 'defaultLocale' | 'fallbackLocale', d: string) => {
    const l = c[k] === undefined ? d : str(c[k], k, 35, LOCALE) || d;
    if (locales.length && !texts[l]) fail(k, `no texts for locale "${l}"`);
    return l;
  };
  const known = (m: Obj, path: string, extra: Obj = {}) => Object.keys(m).forEach((k) => ids.includes(k) || k in extra || fail(path + '.' + k, 'unknown category'));

  const s = c.signals === undefined ? {} : obj(c.signals, 'signals', ['gpc', 'dnt']);
  let googleConsentMode: ConsentConfig['googleConsentMode'];
  if (c.googleConsentMode !== undefined) {
    const g = obj(c.googleConsentMode, 'googleConsentMode', ['mode', 'mapping', 'waitForUpdateMs', 'region']);
    const mapping = g.mapping === undefined ? GCM_DEFAULT : rec(g.mapping, 'googleConsentMode.mapping', ID, (v, p) =>
      Array.isArray(v) && v.every((k) => GCM_KEYS.includes(k)) ? v : fail(p, 'must list Consent Mode keys'));
    known(mapping, 'googleConsentMode.mapping', GCM_DEFAULT);
    const region = g.region;
    if (region !== undefined && !(Array.isArray(region) && region.every((r) => typeof r == 'string' && /^(?!EU$)[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(r))))
      fail('googleConsentMode.region', 'must list ISO 3166 codes such as "DE" ("EU" is not valid)');
    googleConsentMode = {
      mode: oneOf(g.mode, 'googleConsentMode.mode', ['basic', 'advanced']) || 'basic',
      mapping: mapping as NonNullable<ConsentConfig['googleConsentMode']>['mapping'],
      waitForUpdateMs: g.waitForUpdateMs === undefined ? undefined : int(g.waitForUpdateMs, 'googleConsentMode.waitForUpdateMs', 0, 10000),
      region: region as string[] | undefined,
    };
  }
  // the TCF and GPP readers share one shape: purposes per category, optional vendor id, timeout
  const cmp = (k: 'tcf' | 'gpp'): ConsentConfig['tcf'] => {
    if (c[k] === undefined) return;
    const t = obj(c[k], k, ['purposes', 'vendorId', 'timeoutMs']);
    const purposes = rec(t.purposes, k + '.purposes', ID, (v, p) =>
      Array.isArray(v) && v.length && v.every((n) => Number.isInteger(n) && n >= 1 && n <= 11) ? (v as number[]) : fail(p, 'must list TCF purposes 1 to 11'));
    known(purposes, k + '.purposes');
    return {
      purposes,
      vendorId: t.vendorId === undefined ? undefined : int(t.vendorId, k + '.vendorId', 1, 1e9),
      timeoutMs: int(t.timeoutMs, k + '.timeoutMs', 100, 60000, 5000) || 5000,
    };
  };
  const tcf = cmp('tcf');
  const gpp = cmp('gpp');
  if (tcf && gpp) fail('gpp', 'configure either tcf or gpp, not both');
  const config: ConsentConfig = {
    policyVersion: str(c.policyVersion, 'policyVersion', 64) || '',
    materialVersion: c.materialVersion === undefined ? undefined : str(c.materialVersion, 'materialVersion', 64),
    defaultLocale: locale('defaultLocale', 'de'),
    fallbackLocale: locale('fallbackLocale', 'en'),
    categories,
    texts,
    privacyPolicyUrl: safeUrl(c.privacyPolicyUrl) ? c.privacyPolicyUrl : fail('privacyPolicyUrl', 'must be an https:// URL or a relative path') || '',
    imprintUrl: safeUrl(c.imprintUrl) ? c.imprintUrl : fail('imprintUrl', 'must be an https:// URL or a relative path') || '',
    lifetimeDays: int(c.lifetimeDays, 'lifetimeDays', 1, 365, 182) || 182,
    beforeConsent: oneOf(c.beforeConsent, 'beforeConsent', ['drop', 'hold']) || 'drop',
    signals: { gpc: oneOf(s.gpc, 'signals.gpc', ['deny', 'ignore']) || 'deny', dnt: oneOf(s.dnt, 'signals.dnt', ['deny', 'ignore']) || 'deny' },
    googleConsentMode,
    tcf,
    gpp,
  };
  if (!googleConsentMode) delete config.googleConsentMode;
  if (!tcf) delete config.tcf;
  if (!gpp) delete config.gpp;
  if (config.materialVersion === undefined) delete config.materialVersion;
  return problem || config;
}
