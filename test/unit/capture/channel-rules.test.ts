import { describe, expect, it } from 'vitest';
import {
  CHANNEL_RULES,
  CHANNEL_RULES_VERSION,
  classifyChannel,
  deriveSourceMedium,
  SOURCE_CATEGORIES,
  sourceCategory,
  type ChannelInput,
} from '../../../src/capture/channel-rules';

const utm = (source: string, medium: string, campaign?: string): ChannelInput => ({ source, medium, campaign });

describe('rule set', () => {
  it('is versioned', () => {
    expect(CHANNEL_RULES_VERSION).toBe('ga4-2024.1');
  });

  it('evaluates the channels in GA4 order', () => {
    expect(CHANNEL_RULES.map(([group]) => group)).toEqual([
      'Direct', 'Cross-network', 'Paid Shopping', 'Paid Search', 'Paid Social', 'Paid Video', 'Display', 'Paid Other',
      'Organic Shopping', 'Organic Social', 'Organic Video', 'Organic Search', 'Referral', 'Email', 'Affiliates', 'Audio',
      'SMS', 'Push',
    ]);
  });
});

describe('one test per rule (GA4 manual traffic)', () => {
  it('Direct: source (direct) with medium (none) or (not set), i.e. no referrer and no tags', () => {
    expect(classifyChannel({})).toBe('Direct');
    expect(classifyChannel({ referrer: '' })).toBe('Direct');
    expect(classifyChannel(utm('(direct)', '(none)'))).toBe('Direct');
    expect(classifyChannel(utm('(direct)', '(not set)'))).toBe('Direct');
  });

  it('Cross-network: campaign name contains "cross-network", before any paid rule', () => {
    expect(classifyChannel(utm('google', 'cpc', 'spring-cross-network'))).toBe('Cross-network');
    expect(classifyChannel({ campaign: 'Cross-Network PMax', referrer: 'https://www.google.com/' })).toBe('Cross-network');
  });

  it('Paid Shopping: shopping site or shop campaign, with a paid medium', () => {
    expect(classifyChannel(utm('amazon', 'cpc'))).toBe('Paid Shopping');
    expect(classifyChannel(utm('google shopping', 'ppc'))).toBe('Paid Shopping');
    expect(classifyChannel(utm('google', 'cpc', 'shopping_q4'))).toBe('Paid Shopping');
    expect(classifyChannel(utm('newsletter', 'paid', 'summer_shop'))).toBe('Paid Shopping');
    // ([^a-df-z]|^)shop: "eshop" qualifies ("e" is outside a-d/f-z), "workshop" does not
    expect(classifyChannel(utm('google', 'cpc', 'eshop'))).toBe('Paid Shopping');
    expect(classifyChannel(utm('google', 'cpc', 'workshop'))).toBe('Paid Search');
  });

  it('Paid Search: search site with a paid medium (.*cp.*, ppc, retargeting, paid.*)', () => {
    expect(classifyChannel(utm('google', 'cpc'))).toBe('Paid Search');
    expect(classifyChannel(utm('bing', 'ppc'))).toBe('Paid Search');
    expect(classifyChannel(utm('duckduckgo', 'retargeting'))).toBe('Paid Search');
    expect(classifyChannel(utm('Yahoo', 'Paid-Search'))).toBe('Paid Search');
    // cpm matches .*cp.* and the paid rules come before Display
    expect(classifyChannel(utm('google', 'cpm'))).toBe('Paid Search');
  });

  it('Paid Social: social site with a paid medium', () => {
    expect(classifyChannel(utm('facebook', 'paid_social'))).toBe('Paid Social');
    expect(classifyChannel(utm('ig', 'cpc'))).toBe('Paid Social');
    expect(classifyChannel(utm('linkedin', 'paid'))).toBe('Paid Social');
    expect(classifyChannel(utm('t.co', 'cpc'))).toBe('Paid Social');
  });

  it('Paid Video: video site with a paid medium', () => {
    expect(classifyChannel(utm('youtube', 'cpv'))).toBe('Paid Video');
    expect(classifyChannel(utm('vimeo', 'paid'))).toBe('Paid Video');
  });

  it('Display: medium display, banner, expandable, interstitial or cpm', () => {
    for (const medium of ['display', 'banner', 'expandable', 'interstitial', 'cpm']) expect(classifyChannel(utm('adnetwork', medium))).toBe('Display');
  });

  it('Paid Other: a paid medium from a source in no list', () => {
    expect(classifyChannel(utm('adnetwork', 'cpc'))).toBe('Paid Other');
    expect(classifyChannel(utm('partner', 'paid'))).toBe('Paid Other');
  });

  it('Organic Shopping: shopping site or shop campaign without a paid medium', () => {
    expect(classifyChannel({ referrer: 'https://www.amazon.de/dp/B0' })).toBe('Organic Shopping');
    expect(classifyChannel({ referrer: 'https://www.idealo.de/preisvergleich' })).toBe('Organic Shopping');
    expect(classifyChannel({ referrer: 'https://shopping.google.com/' })).toBe('Organic Shopping');
    expect(classifyChannel(utm('ebay', 'referral'))).toBe('Organic Shopping');
    expect(classifyChannel(utm('partner', 'referral', 'shopping-week'))).toBe('Organic Shopping');
  });

  it('Organic Social: social site, or medium social, social-network, social-media, sm, social network, social media', () => {
    expect(classifyChannel({ referrer: 'https://l.facebook.com/l.php?u=x' })).toBe('Organic Social');
    expect(classifyChannel({ referrer: 'https://t.co/abc' })).toBe('Organic Social');
    expect(classifyChannel({ referrer: 'https://www.linkedin.com/feed/' })).toBe('Organic Social');
    expect(classifyChannel({ referrer: 'https://lnkd.in/xyz' })).toBe('Organic Social');
    expect(classifyChannel({ referrer: 'https://x.com/someone' })).toBe('Organic Social');
    for (const medium of ['social', 'social-network', 'social-media', 'sm', 'social network', 'social media']) expect(classifyChannel(utm('blog', medium))).toBe('Organic Social');
  });

  it('Organic Video: video site, or a medium containing "video"', () => {
    expect(classifyChannel({ referrer: 'https://m.youtube.com/watch?v=1' })).toBe('Organic Video');
    expect(classifyChannel({ referrer: 'https://youtu.be/1' })).toBe('Organic Video');
    expect(classifyChannel(utm('partner', 'video_review'))).toBe('Organic Video');
  });

  it('Organic Search: search site, or medium organic', () => {
    expect(classifyChannel({ referrer: 'https://www.google.com/' })).toBe('Organic Search');
    expect(classifyChannel({ referrer: 'https://www.google.co.uk/' })).toBe('Organic Search');
    expect(classifyChannel({ referrer: 'https://duckduckgo.com/' })).toBe('Organic Search');
    expect(classifyChannel(utm('ecosia', 'referral'))).toBe('Organic Search');
    expect(classifyChannel(utm('someengine', 'organic'))).toBe('Organic Search');
  });

  it('Referral: medium referral, app or link (any site in no list)', () => {
    expect(classifyChannel({ referrer: 'https://blog.example.org/post', landingHost: 'shop.example.com' })).toBe('Referral');
    expect(classifyChannel(utm('partner', 'app'))).toBe('Referral');
    expect(classifyChannel(utm('partner', 'link'))).toBe('Referral');
  });

  it('Email: source or medium email, e-mail, e_mail or e mail', () => {
    for (const v of ['email', 'e-mail', 'e_mail', 'e mail', 'E-Mail']) {
      expect(classifyChannel(utm('newsletter', v))).toBe('Email');
      expect(classifyChannel(utm(v, 'newsletter'))).toBe('Email');
    }
    expect(classifyChannel(utm('newsletter', 'emails'))).toBe('Unassigned');
  });

  it('Affiliates: medium affiliate', () => {
    expect(classifyChannel(utm('awin', 'affiliate'))).toBe('Affiliates');
  });

  it('Audio: medium audio', () => {
    expect(classifyChannel(utm('spotify', 'audio'))).toBe('Audio');
  });

  it('SMS: source or medium sms', () => {
    expect(classifyChannel(utm('twilio', 'sms'))).toBe('SMS');
    expect(classifyChannel(utm('sms', 'text'))).toBe('SMS');
  });

  it('Push (Mobile Push Notifications): medium ends with push, contains mobile or notification, or source firebase', () => {
    expect(classifyChannel(utm('app', 'web-push'))).toBe('Push');
    expect(classifyChannel(utm('app', 'mobile_message'))).toBe('Push');
    expect(classifyChannel(utm('app', 'notification'))).toBe('Push');
    expect(classifyChannel(utm('firebase', 'fcm'))).toBe('Push');
  });

  it('Unassigned: nothing matches, e.g. a utm_source without utm_medium', () => {
    expect(classifyChannel({ source: 'newsletter' })).toBe('Unassigned');
    expect(classifyChannel(utm('partner', 'print'))).toBe('Unassigned');
  });
});

describe('click ids', () => {
  it('gclid, gbraid, wbraid and dclid mean google / cpc', () => {
    for (const id of ['gclid', 'gbraid', 'wbraid', 'dclid'] as const) {
      expect(deriveSourceMedium({ clickIds: { [id]: 'x1' } })).toEqual({ source: 'google', medium: 'cpc' });
      expect(classifyChannel({ clickIds: { [id]: 'x1' }, referrer: 'https://www.google.com/' })).toBe('Paid Search');
    }
  });

  it('msclkid means bing / cpc', () => {
    expect(classifyChannel({ clickIds: { msclkid: 'm1' } })).toBe('Paid Search');
    expect(deriveSourceMedium({ clickIds: { msclkid: 'm1' } }).source).toBe('bing');
  });

  it('ttclid and li_fat_id are paid social', () => {
    expect(classifyChannel({ clickIds: { ttclid: 't1' } })).toBe('Paid Social');
    expect(classifyChannel({ clickIds: { li_fat_id: 'l1' } })).toBe('Paid Social');
  });

  it('fbclid alone is organic social, not paid', () => {
    expect(classifyChannel({ clickIds: { fbclid: 'f1' } })).toBe('Organic Social');
    expect(classifyChannel({ clickIds: { fbclid: 'f1' }, referrer: 'https://l.instagram.com/' })).toBe('Organic Social');
    expect(classifyChannel({ clickIds: { fbclid: 'f1' }, source: 'facebook', medium: 'paid' })).toBe('Paid Social');
  });

  it('a campaign name still applies with a click id', () => {
    expect(classifyChannel({ clickIds: { gclid: 'g' }, campaign: 'PMax cross-network' })).toBe('Cross-network');
    expect(classifyChannel({ clickIds: { gclid: 'g' }, campaign: 'shopping' })).toBe('Paid Shopping');
  });

  it('explicit utm tags win, and a click id fills a missing medium', () => {
    expect(classifyChannel({ clickIds: { gclid: 'g' }, source: 'google', medium: 'display' })).toBe('Display');
    expect(deriveSourceMedium({ clickIds: { gclid: 'g' }, source: 'adwords' })).toEqual({ source: 'adwords', medium: 'cpc' });
  });

  it('an empty click id is ignored', () => {
    expect(classifyChannel({ clickIds: { gclid: ' ' } })).toBe('Direct');
  });
});

describe('referrer-only arrivals', () => {
  it('derive <engine> / organic for search engines', () => {
    expect(deriveSourceMedium({ referrer: 'https://www.google.de/search?q=x' })).toEqual({ source: 'google', medium: 'organic' });
    expect(deriveSourceMedium({ referrer: 'https://search.yahoo.co.jp/' })).toEqual({ source: 'yahoo', medium: 'organic' });
    expect(deriveSourceMedium({ referrer: 'https://www.bing.com/' })).toEqual({ source: 'bing', medium: 'organic' });
    expect(deriveSourceMedium({ referrer: 'https://search.brave.com/search?q=x' })).toEqual({ source: 'brave', medium: 'organic' });
    for (const r of ['https://www.qwant.com/', 'https://yandex.ru/', 'https://www.baidu.com/', 'https://www.ecosia.org/']) expect(classifyChannel({ referrer: r })).toBe('Organic Search');
  });

  it('derive <host> / referral for social and other sites', () => {
    expect(deriveSourceMedium({ referrer: 'https://l.facebook.com/l.php' })).toEqual({ source: 'l.facebook.com', medium: 'referral' });
    expect(deriveSourceMedium({ referrer: 'https://news.example.org:8443/a' })).toEqual({ source: 'news.example.org', medium: 'referral' });
    for (const r of ['https://www.instagram.com/', 'https://www.pinterest.de/', 'https://www.reddit.com/r/x', 'https://www.tiktok.com/', 'https://www.snapchat.com/', 'https://www.xing.com/']) {
      expect(classifyChannel({ referrer: r })).toBe('Organic Social');
    }
    expect(classifyChannel({ referrer: 'https://www.twitch.tv/x' })).toBe('Organic Video');
    expect(classifyChannel({ referrer: 'https://www.ebay.co.uk/' })).toBe('Organic Shopping');
  });

  it('treat a webmail referrer as e-mail, not as its company search engine', () => {
    expect(deriveSourceMedium({ referrer: 'https://mail.google.com/mail/u/0/' })).toEqual({ source: 'mail.google.com', medium: 'email' });
    expect(classifyChannel({ referrer: 'https://mail.google.com/' })).toBe('Email');
    expect(classifyChannel({ referrer: 'https://outlook.live.com/' })).toBe('Email');
  });

  it('treat a same-site referrer as none', () => {
    expect(classifyChannel({ referrer: 'https://shop.example.com/cart', landingHost: 'shop.example.com' })).toBe('Direct');
    expect(classifyChannel({ referrer: 'https://www.example.com/', landingHost: 'shop.example.com' })).toBe('Direct');
    expect(classifyChannel({ referrer: 'https://shop.example.co.uk/', landingHost: 'example.co.uk' })).toBe('Direct');
    expect(classifyChannel({ referrer: 'https://other.co.uk/', landingHost: 'example.co.uk' })).toBe('Referral');
  });

  it('ignore referrers that are not absolute URLs', () => {
    expect(classifyChannel({ referrer: 'not a url' })).toBe('Direct');
    expect(classifyChannel({ referrer: '/relative' })).toBe('Direct');
  });

  it('let utm tags win over the referrer', () => {
    expect(classifyChannel({ referrer: 'https://www.google.com/', source: 'newsletter', medium: 'email' })).toBe('Email');
  });
});

describe('source categories', () => {
  it('match bare names, hosts and subdomains', () => {
    expect(sourceCategory('google')).toBe('search');
    expect(sourceCategory('www.google.com.au')).toBe('search');
    expect(sourceCategory('shopping.google.com')).toBe('shopping');
    expect(sourceCategory('l.facebook.com')).toBe('social');
    expect(sourceCategory('lnkd.in')).toBe('social');
    expect(sourceCategory('youtu.be')).toBe('video');
    expect(sourceCategory('google.example.com')).toBeUndefined();
    expect(sourceCategory('newsletter')).toBeUndefined();
  });

  it('put every host entry and its subdomains in that entry\'s own category, whatever bare names other lists hold', () => {
    for (const [category, list] of Object.entries(SOURCE_CATEGORIES)) {
      for (const entry of list.filter((e) => e.includes('.'))) {
        expect(sourceCategory(entry), entry).toBe(category);
        expect(sourceCategory('www.a.' + entry), entry).toBe(category);
      }
    }
  });
});

describe('robustness', () => {
  it('never throws on odd input', () => {
    expect(classifyChannel(undefined as unknown as ChannelInput)).toBe('Direct');
    expect(classifyChannel({ source: 42 as unknown as string, referrer: null as unknown as string, clickIds: null as unknown as ChannelInput['clickIds'] })).toBe('Direct');
  });

  it('is case-insensitive and trims', () => {
    expect(classifyChannel(utm(' Google ', ' CPC '))).toBe('Paid Search');
    expect(classifyChannel({ referrer: 'HTTPS://WWW.GOOGLE.COM/' })).toBe('Organic Search');
  });
});
