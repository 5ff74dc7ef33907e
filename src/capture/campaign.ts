/**
 * Campaign of arrival: reads utm_* parameters and ad click ids from a query string into Segment's campaign fields.
 * Imports: schema types only (never zod at runtime). Never reads `location`, stores, sends or throws.
 */
import type { Campaign } from '../schema/event';

/** Longest campaign value kept, in characters (the schema's limit). */
export const MAX_CAMPAIGN_VALUE_LENGTH = 2048;

// utm_* parameters kept under their Segment name: the part after "utm_", except utm_campaign, which is `name`
const UTM = /^utm_(source|medium|campaign|term|content|id|source_platform)$/;

/**
 * Click ids kept under their own names, in the order {@link campaignKey} prefers them; the same list as the schema's
 * `CLICK_ID_KEYS`, restated because importing the schema module would pull zod into the bundle.
 *
 * @example
 * CAMPAIGN_CLICK_IDS.includes('gclid'); // true
 */
export const CAMPAIGN_CLICK_IDS = ['gclid', 'dclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id'] as const;

/**
 * The campaign carried by a URL's query string: utm_* values under Segment names plus click ids, keys matched
 * case-insensitively, values trimmed and cut to {@link MAX_CAMPAIGN_VALUE_LENGTH}; the first non-empty value of a
 * repeated key wins.
 *
 * @param search - `location.search` ("?utm_source=…"), a bare query ("utm_source=…") or a whole URL.
 * @returns The campaign, or `undefined` when none of its parameters is present.
 * @example
 * parseCampaign('?utm_source=newsletter&utm_medium=email&utm_campaign=spring');
 * // { source: 'newsletter', medium: 'email', name: 'spring' }
 */
export function parseCampaign(search: string): Campaign | undefined {
  let out: Record<string, string> | undefined;
  if (typeof search != 'string') return out;
  const q = search.split('#')[0];
  new URLSearchParams(q.slice(q.indexOf('?') + 1)).forEach((value, key) => {
    key = key.toLowerCase();
    const field = key == 'utm_campaign' ? 'name' : UTM.test(key) ? key.slice(4) : (CAMPAIGN_CLICK_IDS as readonly string[]).includes(key) ? key : '';
    const v = value.trim().slice(0, MAX_CAMPAIGN_VALUE_LENGTH);
    if (field && v && !(out && field in out)) (out ||= {})[field] = v;
  });
  return out;
}

/**
 * A stable key for "arrival from a new campaign": lower-cased source, medium and name, then the first click id as
 * `key=value` (a new ad click is a new arrival), joined by "|".
 *
 * @param c - A campaign from {@link parseCampaign}, or `undefined`.
 * @returns The key, or '' when there is no campaign.
 * @example
 * campaignKey({ source: 'Google', medium: 'cpc', name: 'spring', gclid: 'abc' }); // 'google|cpc|spring|gclid=abc'
 */
export function campaignKey(c: Campaign | undefined): string {
  if (!c || typeof c != 'object') return '';
  const id = CAMPAIGN_CLICK_IDS.find((k) => c[k]);
  const key = [c.source, c.medium, c.name].map((v) => (typeof v == 'string' ? v.toLowerCase() : '')).join('|') + '|' + (id ? id + '=' + c[id] : '');
  return key == '|||' ? '' : key;
}
