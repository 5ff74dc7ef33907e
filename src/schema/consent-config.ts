/**
 * The privacy officer's consent configuration: categories, texts per locale, policy version, lifetime, signals,
 * Google Consent Mode and TCF mappings. Full zod, for the config checker, the collector and the JSON Schema export.
 * Imports: zod. Never runs in the browser bundle (the browser uses the lean check in src/consent/validate-config.ts).
 */
import { z } from 'zod';

/** The seven Google Consent Mode v2 keys. */
export const GCM_KEYS = [
  'ad_storage',
  'ad_user_data',
  'ad_personalization',
  'analytics_storage',
  'functionality_storage',
  'personalization_storage',
  'security_storage',
] as const;

/** Text keys every locale must provide; R8 needs controller, purposes, duration, third parties, transfers, withdrawal. */
export const CONSENT_TEXT_KEYS = [
  'title',
  'description',
  'purposes',
  'controller',
  'storageDuration',
  'thirdParties',
  'transferOutsideEea',
  'withdrawal',
  'acceptAll',
  'rejectAll',
  'settings',
  'preferencesTitle',
  'preferencesDescription',
  'save',
  'close',
  'alwaysOn',
  'saved',
  'signalNotice',
  'privacyPolicy',
  'imprint',
] as const;

/** Default validity of a decision in days (about six months, R13). */
export const DEFAULT_LIFETIME_DAYS = 182;
/** Longest allowed validity of a decision in days (twelve months, R13). */
export const MAX_LIFETIME_DAYS = 365;
/** How long the TCF reader waits for a final CMP answer before it stays denied (R18). */
export const DEFAULT_TCF_TIMEOUT_MS = 5000;

/** Category → Consent Mode keys, as CONSENT-RULES suggests; `necessary` covers only security_storage. */
export const DEFAULT_GCM_MAPPING: Record<string, (typeof GCM_KEYS)[number][]> = {
  necessary: ['security_storage'],
  analytics: ['analytics_storage'],
  marketing: ['ad_storage', 'ad_user_data', 'ad_personalization'],
  personalization: ['personalization_storage'],
  functional: ['functionality_storage'],
};

const ID = /^[a-z][a-z0-9_]{0,63}$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/** True for `https:` URLs and same-site relative URLs (not `//host`, not `javascript:` or any other scheme). */
export function isSafeUrl(u: string): boolean {
  // backslashes and whitespace are normalised away by URL parsers ("/\\evil", "java\tscript:"), so refuse them outright
  return !/[\s\\\x00-\x1f]/.test(u) && (/^https:\/\/[^/]/i.test(u) || !/^(\/\/|[a-z][a-z0-9+.-]*:)/i.test(u));
}

const safeUrl = z.string().min(1).max(2048).refine(isSafeUrl, { message: 'must be an https:// URL or a relative path' });
const text = z.string().max(4000).refine((s) => s.trim().length > 0, { message: 'must not be empty' });
const perLocale = z.record(z.string().regex(LOCALE, 'must be a language tag such as "de" or "en-GB"'), text);
const localeTexts = z.strictObject(Object.fromEntries(CONSENT_TEXT_KEYS.map((k) => [k, text])) as Record<(typeof CONSENT_TEXT_KEYS)[number], typeof text>);

const categorySchema = z.strictObject({
  /** Identifier in events and records, e.g. `analytics`. */
  id: z.string().regex(ID, 'must be snake_case, e.g. "analytics"'),
  label: perLocale,
  description: perLocale,
  /** Pre-ticked boxes are not consent (R5): only `necessary` may be on. */
  default: z.boolean().default(false),
});

export const consentConfigSchema = z
  .strictObject({
    /** Version of the consent policy, recorded in every proof record. */
    policyVersion: z.string().max(64).refine((s) => s.trim().length > 0, { message: 'must not be empty' }),
    /** Policy version of the last *material* change; defaults to `policyVersion`. Keep it unchanged for copy-only edits (R12). */
    materialVersion: z.string().max(64).refine((s) => s.trim().length > 0, { message: 'must not be empty' }).optional(),
    defaultLocale: z.string().regex(LOCALE).default('de'),
    fallbackLocale: z.string().regex(LOCALE).default('en'),
    categories: z.array(categorySchema).min(2).max(20),
    texts: z.record(z.string().regex(LOCALE, 'must be a language tag such as "de" or "en-GB"'), localeTexts),
    privacyPolicyUrl: safeUrl,
    imprintUrl: safeUrl,
    lifetimeDays: z.number().int().min(1).max(MAX_LIFETIME_DAYS).default(DEFAULT_LIFETIME_DAYS),
    beforeConsent: z.enum(['drop', 'hold']).default('drop'),
    signals: z
      .strictObject({ gpc: z.enum(['deny', 'ignore']).default('deny'), dnt: z.enum(['deny', 'ignore']).default('deny') })
      .default({ gpc: 'deny', dnt: 'deny' }),
    googleConsentMode: z
      .strictObject({
        mode: z.enum(['basic', 'advanced']).default('basic'),
        mapping: z.record(z.string().regex(ID), z.array(z.enum(GCM_KEYS)).max(7)).default(DEFAULT_GCM_MAPPING),
        waitForUpdateMs: z.number().int().min(0).max(10000).optional(),
        region: z
          .array(z.string().regex(/^(?!EU$)[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'must be an ISO 3166 code such as "DE" ("EU" is not valid)'))
          .max(300)
          .optional(),
      })
      .optional(),
    tcf: z
      .strictObject({
        /** TCF purposes (1–11) each category needs; purpose 1 is always required too. Unmapped categories stay denied. */
        purposes: z.record(z.string().regex(ID), z.array(z.number().int().min(1).max(11)).min(1).max(11)),
        /** The vendor's IAB Global Vendor List id (TC strings encode them in 16 bits). */
        vendorId: z.number().int().positive().max(65535).optional(),
        timeoutMs: z.number().int().min(100).max(60000).default(DEFAULT_TCF_TIMEOUT_MS),
      })
      .optional(),
    /** Read consent from an IAB GPP 1.1 CMP (`__gpp`): its `tcfeuv2` section, mapped like `tcf`. Either `tcf` or `gpp`. */
    gpp: z
      .strictObject({
        purposes: z.record(z.string().regex(ID), z.array(z.number().int().min(1).max(11)).min(1).max(11)),
        /** The vendor's IAB Global Vendor List id (TC strings encode them in 16 bits). */
        vendorId: z.number().int().positive().max(65535).optional(),
        timeoutMs: z.number().int().min(100).max(60000).default(DEFAULT_TCF_TIMEOUT_MS),
      })
      .optional(),
  })
  // runs even when other fields failed (`when`), so a privacy officer sees every problem at once; `c` may be malformed
  .superRefine(
    (c, ctx) => {
      const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
      const cats = (Array.isArray(c.categories) ? c.categories : []) as Partial<ConsentConfig['categories'][number]>[];
      const ids = cats.map((x) => x?.id);
      const texts = c.texts && typeof c.texts == 'object' ? c.texts : {};
      const locales = Object.keys(texts);
      if (!ids.includes('necessary')) add(['categories'], 'must include "necessary"');
      cats.forEach((cat, i) => {
        if (!cat || typeof cat != 'object') return;
        if (ids.indexOf(cat.id) !== i) add(['categories', i, 'id'], `duplicate category "${cat.id}"`);
        if (cat.default === true && cat.id !== 'necessary') add(['categories', i, 'default'], 'a non-essential category must be off by default (R5)');
        for (const l of locales)
          for (const k of ['label', 'description'] as const)
            if (cat[k] && typeof cat[k] == 'object' && !cat[k][l]) add(['categories', i, k, l], `missing text for locale "${l}"`);
      });
      if (!locales.length) add(['texts'], 'needs at least one locale');
      for (const k of ['defaultLocale', 'fallbackLocale'] as const)
        if (locales.length && typeof c[k] == 'string' && !(c[k] in texts)) add([k], `no texts for locale "${c[k]}"`);
      const maps = [
        ['googleConsentMode', 'mapping', c.googleConsentMode?.mapping],
        ['tcf', 'purposes', c.tcf?.purposes],
        ['gpp', 'purposes', c.gpp?.purposes],
      ] as const;
      if (c.tcf && c.gpp) add(['gpp'], 'configure either tcf or gpp, not both');
      for (const [where, key, m] of maps)
        for (const id of Object.keys(m && typeof m == 'object' ? m : {}))
          // the default mapping names `functional`, which a config need not define
          if (!ids.includes(id) && !(where == 'googleConsentMode' && id in DEFAULT_GCM_MAPPING)) add([where, key, id], `unknown category "${id}"`);
    },
    { when: () => true },
  );

/** A validated consent configuration with defaults applied. */
export type ConsentConfig = z.output<typeof consentConfigSchema>;
/** A consent configuration as a privacy officer writes it (defaults may be left out). */
export type ConsentConfigInput = z.input<typeof consentConfigSchema>;
/** The texts of one locale. */
export type ConsentTexts = ConsentConfig['texts'][string];
/** One Google Consent Mode key. */
export type GcmKey = (typeof GCM_KEYS)[number];

/**
 * The JSON Schema (draft 2020-12) of the consent configuration, for editors and other collectors; the build writes it
 * to a file. Cross-field rules (default off, known categories, locale coverage) are checked by `checkConfig` only.
 * @example
 * writeFileSync('dist/consent-config.schema.json', JSON.stringify(consentConfigJsonSchema(), null, 2));
 */
export function consentConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(consentConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
