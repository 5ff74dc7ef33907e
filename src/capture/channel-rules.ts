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

/** A rule's test, given the lower-cased medium, the source's site category, the source and the campaign. */
export type ChannelTest = (medium: string, category: SourceCategory | undefined, source: string, campaign: string) => boolean;

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
  shopping: 'google shopping,shopping.google.com,shopping.yahoo.com,amazon,ebay,idealo,etsy,walmart,aliexpress,alibaba,shopify,shop.app,zalando,otto,rakuten,mercadolibre,shopzilla,pricerunner,kelkoo,billiger,geizhals'.split(','),
  social: 'facebook,fb,instagram,ig,linkedin,lnkd.in,twitter,t.co,x,pinterest,reddit,tiktok,snapchat,xing,threads,bsky.app,mastodon.social,tumblr,quora,vk,weibo,whatsapp,discord,messenger'.split(','),
  video: 'youtube,youtu.be,vimeo,twitch,dailymotion,wistia'.split(','),
  search: 'google,bing,yahoo,duckduckgo,ecosia,baidu,yandex,ya.ru,qwant,search.brave.com,startpage,naver,seznam,ask,aol,so.com,sogou,daum'.split(','),
};

// second-level labels under a country code ("google.co.uk", "yahoo.co.jp"); a real public suffix list is too heavy
const SLD = /^(co|com|net|org|ac|gov|edu|ne|or|go)$/;
// webmail hosts: links clicked in a mail client are e-mail, not a search engine of the same company
const WEBMAIL = /^(web)?mail\.|^outlook\.(live|office)\.com$/;
const PAID = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const SHOP_CAMPAIGN = /^(.*(([^a-df-z]|^)shop|shopping).*)$/;
const EMAIL = /^e[-_ ]?mail$/;

const paid: ChannelTest = (m) => PAID.test(m);
const shop: ChannelTest = (m, k, s, c) => k == 'shopping' || SHOP_CAMPAIGN.test(c);

/**
 * The ordered rules for manual and referral traffic, in GA4's order: the first whose test passes names the channel,
 * and no match is `Unassigned`.
 *
 * @example
 * CHANNEL_RULES.find(([, test]) => test('cpc', 'search', 'google', ''))?.[0]; // 'Paid Search'
 */
export const CHANNEL_RULES: readonly (readonly [ChannelGroup, ChannelTest])[] = [
  ['Direct', (m, k, s) => s == '(direct)' && /^\((none|not set)\)$/.test(m)],
  ['Cross-network', (m, k, s, c) => c.includes('cross-network')],
  ['Paid Shopping', (m, k, s, c) => shop(m, k, s, c) && PAID.test(m)],
  ['Paid Search', (m, k) => k == 'search' && PAID.test(m)],
  ['Paid Social', (m, k) => k == 'social' && PAID.test(m)],
  ['Paid Video', (m, k) => k == 'video' && PAID.test(m)],
  ['Display', (m) => /^(display|banner|expandable|interstitial|cpm)$/.test(m)],
  ['Paid Other', paid],
  ['Organic Shopping', shop],
  ['Organic Social', (m, k) => k == 'social' || /^(social([- ](network|media))?|sm)$/.test(m)],
  ['Organic Video', (m, k) => k == 'video' || m.includes('video')],
  ['Organic Search', (m, k) => k == 'search' || m == 'organic'],
  ['Referral', (m) => /^(referral|app|link)$/.test(m)],
  ['Email', (m, k, s) => EMAIL.test(s) || EMAIL.test(m)],
  ['Affiliates', (m) => m == 'affiliate'],
  ['Audio', (m) => m == 'audio'],
  ['SMS', (m, k, s) => s == 'sms' || m == 'sms'],
  ['Push', (m, k, s) => /push$|mobile|notification/.test(m) || s == 'firebase'],
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

/** The site-name label of a host ("www.google.co.uk" → "google") and the registrable domain from it on ("google.co.uk"). */
function site(host: string, whole?: 1): string {
  const l = host.split('.');
  const n = l.length;
  const i = n < 2 ? 0 : n - (n > 2 && SLD.test(l[n - 2]) ? 3 : 2);
  return whole ? l.slice(i).join('.') : l[i];
}

/** Registrable domain of a host ("shop.example.co.uk" → "example.co.uk"). */
const siteOf = (host: string): string => site(host.replace(/:\d+$|^www\./g, ''), 1);

/**
 * The GA4 site category of a source (a utm_source value or a referrer host), or undefined (always for webmail hosts).
 *
 * @example
 * sourceCategory('l.facebook.com'); // 'social'
 */
export function sourceCategory(source: string): SourceCategory | undefined {
  const s = norm(source).replace(/^www\./, '');
  const name = site(s);
  // one pass in list order: no host that ends in a dotted entry has a bare name of an earlier list as its site name
  if (!WEBMAIL.test(s))
    for (const cat in SOURCE_CATEGORIES)
      for (const e of SOURCE_CATEGORIES[cat as SourceCategory]) if (e == s || e == name || (e.includes('.') && s.endsWith('.' + e))) return cat as SourceCategory;
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
  const m = /^[a-z][\w+.-]*:\/\/(?:[^/?#@]*@)?([^/?#:]+)/.exec(norm(i.referrer));
  // host without "www." or a trailing dot
  const host = m ? m[1].replace(/^www\.|\.$/g, '') : '';
  const to = (source: string, medium: string) => ({ source, medium });
  // explicit utm tags win over click ids: the site tagged them on purpose and we cannot see the ad network type
  return source || medium || paid
    ? to(source || (paid ? paid[1] : '(not set)'), medium || (paid ? paid[2] : '(not set)'))
    : host && siteOf(host) != siteOf(norm(i.landingHost))
      ? WEBMAIL.test(host)
        ? to(host, 'email')
        : sourceCategory(host) == 'search'
          ? to(site(host), 'organic')
          : to(host, 'referral')
      : norm(ids.fbclid)
        ? to('facebook', 'referral')
        : to('(direct)', '(none)');
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
  const category = sourceCategory(source);
  const campaign = norm(input && input.campaign);
  return (CHANNEL_RULES.find(([, test]) => test(medium, category, source, campaign)) || ['Unassigned'])[0];
}
