/**
 * The built-in consent policy without its texts: what the core needs to decide (categories, version, lifetime, strict
 * defaults). The texts load lazily (default-texts.ts). Imports: types. Pure.
 */
import type { ConsentConfig, ConsentTexts } from '../schema/consent-config';

/**
 * The default policy in validated form; labels, descriptions and texts are empty until `DEFAULT_TEXTS` is applied.
 * @example
 * const config = defaultPolicy(); config.categories.map((c) => c.id) // → ['necessary', 'analytics', 'marketing', 'personalization']
 */
export function defaultPolicy(): ConsentConfig {
  return {
    policyVersion: '1',
    defaultLocale: 'de',
    fallbackLocale: 'en',
    categories: ['necessary', 'analytics', 'marketing', 'personalization'].map((id) => ({ id, label: {}, description: {}, default: id == 'necessary' })),
    texts: { de: {} as ConsentTexts, en: {} as ConsentTexts },
    privacyPolicyUrl: '/datenschutz',
    imprintUrl: '/impressum',
    lifetimeDays: 182,
    beforeConsent: 'drop',
    signals: { gpc: 'deny', dnt: 'deny' },
  };
}
