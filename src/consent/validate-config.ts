/**
 * The browser's lean check of the consent configuration: the same rules and defaults as the zod schema in
 * src/schema/consent-config.ts, hand-written because zod/mini would cost kilobytes. Imports: schema types, the GCM keys.
 * Never throws; the first problem is returned as a `path: message` string so the caller can fail closed.
 */
import type { ConsentConfig } from '../schema/consent-config';
import { GCM_KEYS } from './bridges/gcm';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** Checks one value at a path and returns it with defaults applied; throws the problem (caught in validateConfig). */
type Check = (v: any, at: string, key?: string) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

const ID = /^[a-z][a-z0-9_]{0,63}$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const TEXT_KEYS =
  'title description purposes controller storageDuration thirdParties transferOutsideEea withdrawal acceptAll rejectAll settings preferencesTitle preferencesDescription save close alwaysOn saved signalNotice privacyPolicy imprint'.split(
    ' ',
  );
// the schema's DEFAULT_GCM_MAPPING (CONSENT-RULES); `functional` need not be a configured category
const GCM_DEFAULT: Obj = { necessary: [GCM_KEYS[6]], analytics: [GCM_KEYS[3]], marketing: GCM_KEYS.slice(0, 3), personalization: [GCM_KEYS[5]], functional: [GCM_KEYS[4]] };

const is = (v: unknown, re: RegExp) => typeof v == 'string' && re.test(v);

/** Same rule as the schema's `isSafeUrl`: 1 to 2048 characters without whitespace or backslash, https or relative. */
export const safeUrl = (u: unknown): u is string => is(u, /^(?=[^\s\\\x00-\x1f]{1,2048}$)(https:\/\/[^/]|(?!\/\/|[a-z][a-z0-9+.-]*:))/i);

const no = (at: string, message: string): never => {
  throw (at || '(root)') + ': ' + message;
};
const join = (at: string, k: string) => (at ? at + '.' + k : k);
const isObj = (v: unknown, at: string) => (v && typeof v == 'object' && !Array.isArray(v)) || no(at, 'must be an object');
/** A strict object: every key of `shape` checked in order, no other key; undefined results are left out. */
const object =
  (shape: Record<string, Check>): Check =>
  (v, at) => {
    const keys = Object.keys(shape);
    const out: Obj = {};
    isObj(v, at);
    for (const k in v) keys.includes(k) || no(join(at, k), 'unknown key');
    for (const k of keys) {
      const x = shape[k](v[k], join(at, k));
      if (x !== undefined) out[k] = x;
    }
    return out;
  };
/** A record whose keys match `key`; `each` sees every value with its key; the values are kept as given. */
const record =
  (key: RegExp, each: Check): Check =>
  (v, at) => {
    isObj(v, at);
    for (const k in v) key.test(k) ? each(v[k], join(at, k), k) : no(join(at, k), 'invalid key');
    return v;
  };
const optional =
  (check: Check): Check =>
  (v, at) =>
    v === undefined ? v : check(v, at);
const str =
  (max = 4000): Check =>
  (v, at) =>
    typeof v == 'string' && v.trim() && v.length <= max ? v : no(at, `must be non-blank text, at most ${max} characters`);
const int =
  (min: number, max: number, dflt?: number): Check =>
  (v, at) =>
    v === undefined ? dflt : Number.isInteger(v) && v >= min && v <= max ? v : no(at, `must be an integer from ${min} to ${max}`);
const oneOf =
  (values: string): Check =>
  (v, at) => {
    const a = values.split(' ');
    return v === undefined ? a[0] : a.includes(v) ? v : no(at, 'must be one of: ' + values);
  };
const list =
  (ok: (x: unknown) => unknown, message: string, max: number, min = 0): Check =>
  (v, at) =>
    Array.isArray(v) && v.length >= min && v.length <= max && v.every(ok) ? v : no(at, `${message}, ${min || 0} to ${max} of them`);

/**
 * Checks and normalises a consent configuration in the browser.
 * @param input - the parsed JSON configuration
 * @returns the configuration with defaults applied, or the first problem as `"path: message"`
 * @example
 * const c = validateConfig(json); if (typeof c == 'string') log.error('consent config rejected: ' + c);
 */
export function validateConfig(input: unknown): ConsentConfig | string {
  // texts come first: the categories and the locales are checked against them
  let locales: string[] = [];
  const ids: string[] = [];
  const known =
    (extra: Obj = {}): Check =>
    (_, at, k) =>
      ids.includes(k!) || k! in extra || no(at, 'unknown category');
  const perLocale: Check = (v, at) => {
    const r = record(LOCALE, str())(v, at) as Obj;
    locales.forEach((l) => r[l] || no(join(at, l), 'missing text'));
    return r;
  };
  const locale =
    (dflt: string): Check =>
    (v, at) => {
      const l = v === undefined ? dflt : v;
      return locales.includes(l) ? l : no(at, `no texts for locale "${l}"`);
    };
  const both = (a: Check, b: Check): Check => (v, at, k) => (a(v, at, k), b(v, at, k), v);
  // the TCF and GPP readers share one shape: purposes per category, optional vendor id, timeout
  const cmp = optional(
    object({
      purposes: record(ID, both(list((n) => Number.isInteger(n) && (n as number) > 0 && (n as number) < 12, 'must list TCF purposes 1-11', 11, 1), known())),
      vendorId: int(1, 65535),
      timeoutMs: int(100, 6e4, 5e3),
    }),
  );
  const url: Check = (v, at) => (safeUrl(v) ? v : no(at, 'must be https:// or relative'));
  const signal = oneOf('deny ignore');
  try {
    const c = object({
      texts: (v, at) => {
        const r = record(LOCALE, object(Object.fromEntries(TEXT_KEYS.map((k) => [k, str()]))))(v, at) as Obj;
        (locales = Object.keys(r)).length || no(at, 'needs at least one locale');
        return r;
      },
      categories: (v, at) => {
        (Array.isArray(v) && v.length > 1 && v.length < 21) || no(at, 'must list 2-20 categories');
        const category = object({
          id: (id, at) => {
            is(id, ID) || no(at, 'must be snake_case');
            ids.includes(id) && no(at, 'duplicate category');
            ids.push(id);
            return id;
          },
          label: perLocale,
          description: perLocale,
          // R5: only `necessary` may be on by default
          default: (on, at) => ([undefined, false, ids[ids.length - 1] == 'necessary'].includes(on) || no(at, 'must be false (R5)'), !!on),
        });
        const out = (v as unknown[]).map((x, i) => category(x, at + '.' + i));
        ids.includes('necessary') || no(at, 'must include "necessary"');
        return out;
      },
      policyVersion: str(64),
      materialVersion: optional(str(64)),
      defaultLocale: locale('de'),
      fallbackLocale: locale('en'),
      privacyPolicyUrl: url,
      imprintUrl: url,
      lifetimeDays: int(1, 365, 182),
      beforeConsent: oneOf('drop hold'),
      signals: (v, at) => object({ gpc: signal, dnt: signal })(v === undefined ? {} : v, at),
      googleConsentMode: optional(
        object({
          mode: oneOf('basic advanced'),
          mapping: (v, at) => (v === undefined ? GCM_DEFAULT : record(ID, both(list((k) => GCM_KEYS.includes(k as string), 'must list Consent Mode keys', 7), known(GCM_DEFAULT)))(v, at)),
          waitForUpdateMs: int(0, 1e4),
          region: optional(list((r) => is(r, /^(?!EU$)[A-Z]{2}(-[A-Z0-9]{1,3})?$/), 'must list ISO 3166 codes (not "EU")', 300)),
        }),
      ),
      tcf: cmp,
      gpp: cmp,
    })(input, '') as ConsentConfig;
    if (c.tcf && c.gpp) no('gpp', 'use tcf or gpp, not both');
    return c;
  } catch (e) {
    return '' + e;
  }
}
