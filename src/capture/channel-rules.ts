/**
 * Channel of arrival: a versioned, ordered rule table modelled on GA4's default channel group (first match wins).
 * Imports: nothing. Never reads the page, stores, sends or throws; the same input always gives the same channel.
 * Rules: https://support.google.com/analytics/answer/9756891
 */

/** Version of the rule set below; sent as `context.channelRules` so a later change of rules never rewrites history. */
export const CHANNEL_RULES_VERSION = 'ga4-2024.1';

/** One channel group; GA4's names except "Mobile Push Notifications", which is `Push` here. */
export type ChannelGroup =
  | 'Direct'
  | 'Cross-network'
  | 'Paid Shopping'
  | 'Paid Search'
  | 'Paid Social'
  | 'Paid Video'
  | 'Display'
  | 'Paid Other'
  | 'Organic Shopping'
  | 'Organic Social'
  | 'Organic Video'
  | 'Organic Search'
  | 'Referral'
  | 'Email'
  | 'Affiliates'
  | 'Audio'
  | 'SMS'
  | 'Push'
  | 'Unassigned';

/** A site category of GA4's source list. */
export type SourceCategory = keyof typeof SOURCE_CATEGORIES;

/** What the classifier looks at; every field is optional and compared case-insensitively. */
export interface ChannelInput {
  /** utm_source */
  source?: string;
  /** utm_medium */
  medium?: string;
  /** utm_campaign */
  campaign?: string;
  /** `document.referrer`: a full URL, or '' when there is none. */
  referrer?: string;
  /** Host of the landing page; a referrer from the same site counts as no referrer. */
  landingHost?: string;
  /** Click ids found on the landing URL. */
  clickIds?: Partial<Record<'gclid' | 'dclid' | 'gbraid' | 'wbraid' | 'fbclid' | 'msclkid' | 'ttclid' | 'li_fat_id', string>>;
}

/** The normalised traffic a rule tests: lower-cased source, medium, campaign and the source's site category. */
export interface Traffic {
  source: string;
  medium: string;
  campaign: string;
  category: SourceCategory | undefined;
}

/**
 * A compact, representative excerpt of GA4's source categories list. An entry with a dot matches that host and its
 * subdomains ("l.facebook.com" matches "facebook.com" only via the bare name); a bare name matches that exact source or
 * any host whose site name it is ("google" matches "www.google.co.uk"). Full list:
 * https://support.google.com/analytics/answer/9756891 ("list of source categories").
 *
 * @example
 * SOURCE_CATEGORIES.social.includes('linkedin'); // true
 */
export const SOURCE_CATEGORIES = {
  // shopping first: "shopping.google.com" must not fall to the search name "google"
  shopping: ['google shopping', 'shopping.google.com', 'shopping.yahoo.com', 'amazon', 'ebay', 'idealo', 'etsy', 'walmart', 'aliexpress', 'alibaba', 'shopify', 'shop.app', 'zalando', 'otto', 'rakuten', 'mercadolibre', 'shopzilla', 'pricerunner', 'kelkoo', 'billiger', 'geizhals'],
  social: ['facebook', 'fb', 'instagram', 'ig', 'linkedin', 'lnkd.in', 'twitter', 't.co', 'x', 'pinterest', 'reddit', 'tiktok', 'snapchat', 'xing', 'threads', 'bsky.app', 'mastodon.social', 'tumblr', 'quora', 'vk', 'weibo', 'whatsapp', 'discord', 'messenger'],
  video: ['youtube', 'youtu.be', 'vimeo', 'twitch', 'dailymotion', 'wistia'],
  search: ['google', 'bing', 'yahoo', 'duckduckgo', 'ecosia', 'baidu', 'yandex', 'ya.ru', 'qwant', 'search.brave.com', 'startpage', 'naver', 'seznam', 'ask', 'aol', 'so.com', 'sogou', 'daum'],
} as const;

// second-level labels under a country code ("google.co.uk", "yahoo.co.jp"); a real public suffix list is too heavy
const SLD = /^(co|com|net|org|ac|gov|edu|ne|or|go)$/;
// webmail hosts: links clicked in a mail client are e-mail, not a search engine of the same company
const WEBMAIL = /^(web)?mail\.|^outlook\.(live|office)\.com$/;
const PAID = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const SHOP_CAMPAIGN = /^(.*(([^a-df-z]|^)shop|shopping).*)$/;
const EMAIL = /^e[-_ ]?mail$/;

/**
 * The ordered rules for manual and referral traffic, in GA4's order: the first whose test passes names the channel,
 * and no match is `Unassigned`.
 *
 * @example
 * CHANNEL_RULES.find(([, test]) => test({ source: 'google', medium: 'cpc', campaign: '', category: 'search' }))?.[0]; // 'Paid Search'
 */
export const CHANNEL_RULES: readonly (readonly [ChannelGroup, (t: Traffic) => boolean])[] = [
  ['Direct', (t) => t.source == '(direct)' && (t.medium == '(none)' || t.medium == '(not set)')],
  ['Cross-network', (t) => t.campaign.includes('cross-network')],
  ['Paid Shopping', (t) => (t.category == 'shopping' || SHOP_CAMPAIGN.test(t.campaign)) && PAID.test(t.medium)],
  ['Paid Search', (t) => t.category == 'search' && PAID.test(t.medium)],
  ['Paid Social', (t) => t.category == 'social' && PAID.test(t.medium)],
  ['Paid Video', (t) => t.category == 'video' && PAID.test(t.medium)],
  ['Display', (t) => /^(display|banner|expandable|interstitial|cpm)$/.test(t.medium)],
  ['Paid Other', (t) => PAID.test(t.medium)],
  ['Organic Shopping', (t) => t.category == 'shopping' || SHOP_CAMPAIGN.test(t.campaign)],
  ['Organic Social', (t) => t.category == 'social' || /^(social|social-network|social-media|sm|social network|social media)$/.test(t.medium)],
  ['Organic Video', (t) => t.category == 'video' || t.medium.includes('video')],
  ['Organic Search', (t) => t.category == 'search' || t.medium == 'organic'],
  ['Referral', (t) => /^(referral|app|link)$/.test(t.medium)],
  ['Email', (t) => EMAIL.test(t.source) || EMAIL.test(t.medium)],
  ['Affiliates', (t) => t.medium == 'affiliate'],
  ['Audio', (t) => t.medium == 'audio'],
  ['SMS', (t) => t.source == 'sms' || t.medium == 'sms'],
  ['Push', (t) => /push$|mobile|notification/.test(t.medium) || t.source == 'firebase'],
];

/** Click ids that prove a paid click, in precedence order, with the source and medium they stand for. fbclid is absent on purpose: Facebook appends it to organic shares too. */
const PAID_CLICK_IDS = [
  ['gclid', 'google', 'cpc'],
  ['gbraid', 'google', 'cpc'],
  ['wbraid', 'google', 'cpc'],
  ['dclid', 'google', 'cpc'],
  ['msclkid', 'bing', 'cpc'],
  ['ttclid', 'tiktok', 'paid_social'],
  ['li_fat_id', 'linkedin', 'paid_social'],
] as const;

const norm = (v: unknown): string => (typeof v == 'string' ? v.trim().toLowerCase() : '');

/** Index of the site-name label in a host split on dots ("www.google.co.uk" → 1). */
function siteIndex(labels: string[]): number {
  const n = labels.length;
  return n < 2 ? 0 : n - (n > 2 && SLD.test(labels[n - 2]) ? 3 : 2);
}

/** Host of an absolute URL, lower-cased, without port, credentials or "www."; '' when there is none. */
function hostOf(url: string): string {
  const m = /^[a-z][\w+.-]*:\/\/(?:[^/?#@]*@)?([^/?#:]+)/i.exec(url);
  return m ? m[1].toLowerCase().replace(/^www\./, '').replace(/\.$/, '') : '';
}

/** Registrable domain of a host ("shop.example.co.uk" → "example.co.uk"). */
function siteOf(host: string): string {
  const l = host.replace(/:\d+$/, '').replace(/^www\./, '').split('.');
  return l.slice(siteIndex(l)).join('.');
}

/**
 * The GA4 site category of a source (a utm_source value or a referrer host), or undefined (always for webmail hosts).
 *
 * @example
 * sourceCategory('l.facebook.com'); // 'social'
 */
export function sourceCategory(source: string): SourceCategory | undefined {
  const s = norm(source).replace(/^www\./, '');
  const l = s.split('.');
  const name = l[siteIndex(l)];
  const cats = Object.entries(SOURCE_CATEGORIES) as [SourceCategory, readonly string[]][];
  if (WEBMAIL.test(s)) return undefined;
  // exact entries and host suffixes first, then bare site names
  for (const [cat, list] of cats) for (const e of list) if (e == s || (e.includes('.') && s.endsWith('.' + e))) return cat;
  for (const [cat, list] of cats) if (list.includes(name)) return cat;
  return undefined;
}

/**
 * The source and medium of an arrival, as GA4 would record them: utm tags first (a missing one is "(not set)"), then a
 * paid click id, then the referrer (a search engine gives "<engine> / organic", a webmail host "<host> / email", any
 * other site "<host> / referral"), then fbclid alone ("facebook / referral"), else "(direct) / (none)".
 *
 * @param input - utm values, referrer, landing host and click ids of the landing page.
 * @example
 * deriveSourceMedium({ referrer: 'https://www.google.de/' }); // { source: 'google', medium: 'organic' }
 */
export function deriveSourceMedium(input: ChannelInput): { source: string; medium: string } {
  const i = input || {};
  const ids = i.clickIds || {};
  const source = norm(i.source);
  const medium = norm(i.medium);
  const paid = PAID_CLICK_IDS.find(([k]) => norm(ids[k]));
  // explicit utm tags win over click ids: the site tagged them on purpose and we cannot see the ad network type
  if (source || medium || paid) return { source: source || (paid ? paid[1] : '(not set)'), medium: medium || (paid ? paid[2] : '(not set)') };
  const host = hostOf(norm(i.referrer));
  if (host && siteOf(host) != siteOf(norm(i.landingHost))) {
    if (WEBMAIL.test(host)) return { source: host, medium: 'email' };
    if (sourceCategory(host) == 'search') {
      const l = host.split('.');
      return { source: l[siteIndex(l)], medium: 'organic' };
    }
    return { source: host, medium: 'referral' };
  }
  return norm(ids.fbclid) ? { source: 'facebook', medium: 'referral' } : { source: '(direct)', medium: '(none)' };
}

/**
 * The channel of arrival for a landing page, by the rules of {@link CHANNEL_RULES_VERSION}.
 *
 * @param input - utm values, referrer, landing host and click ids of the landing page.
 * @returns One {@link ChannelGroup}; `Unassigned` when no rule matches (e.g. a utm_source without a utm_medium).
 * @example
 * classifyChannel({ source: 'newsletter', medium: 'email' }); // 'Email'
 * classifyChannel({ referrer: 'https://l.facebook.com/', landingHost: 'shop.example' }); // 'Organic Social'
 */
export function classifyChannel(input: ChannelInput): ChannelGroup {
  const { source, medium } = deriveSourceMedium(input);
  const t: Traffic = { source, medium, campaign: norm(input && input.campaign), category: sourceCategory(source) };
  for (const [group, test] of CHANNEL_RULES) if (test(t)) return group;
  return 'Unassigned';
}
