/**
 * The shipped consent configuration: the built-in policy (four categories, strict defaults) with the German (default)
 * and English (fallback) texts. Plain data. Imports: the policy and the texts. Privacy officers replace controller and links.
 */
import type { ConsentConfigInput } from '../schema/consent-config';
import { defaultPolicy } from './default-policy';
import { DEFAULT_TEXTS } from './default-texts';

const policy = defaultPolicy();

/**
 * The default consent configuration, valid as is; a shop overrides `policyVersion`, the controller text and the links.
 * @example
 * createConsentManager({ config: { ...DEFAULT_CONSENT_CONFIG, imprintUrl: '/impressum' }, log, sdkVersion, postRecord });
 */
export const DEFAULT_CONSENT_CONFIG: ConsentConfigInput = {
  ...policy,
  categories: policy.categories.map(({ id, default: on }) => ({ id, ...(on && { default: true }), ...DEFAULT_TEXTS.categories[id] })),
  texts: DEFAULT_TEXTS.texts,
};
