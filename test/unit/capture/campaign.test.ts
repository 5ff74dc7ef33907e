import { describe, expect, it } from 'vitest';
import { CAMPAIGN_CLICK_IDS, campaignKey, MAX_CAMPAIGN_VALUE_LENGTH, parseCampaign } from '../../../src/capture/campaign';
import { campaignSchema, CLICK_ID_KEYS } from '../../../src/schema/event';

describe('parseCampaign', () => {
  it('maps utm parameters to Segment campaign names', () => {
    expect(
      parseCampaign('?utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale&utm_term=shoes&utm_content=hero&utm_id=c-42&utm_source_platform=dv360'),
    ).toEqual({ source: 'newsletter', medium: 'email', name: 'spring_sale', term: 'shoes', content: 'hero', id: 'c-42', source_platform: 'dv360' });
  });

  it('keeps every click id under its own name', () => {
    const search = CAMPAIGN_CLICK_IDS.map((k, i) => `${k}=v${i}`).join('&');
    expect(parseCampaign(search)).toEqual(Object.fromEntries(CAMPAIGN_CLICK_IDS.map((k, i) => [k, `v${i}`])));
  });

  it('uses the same click ids as the schema', () => {
    expect([...CAMPAIGN_CLICK_IDS]).toEqual([...CLICK_ID_KEYS]);
  });

  it('returns undefined when no campaign parameter is present', () => {
    expect(parseCampaign('')).toBeUndefined();
    expect(parseCampaign('?')).toBeUndefined();
    expect(parseCampaign('?page=2&q=shoes')).toBeUndefined();
    expect(parseCampaign('?utm_source=&utm_medium=%20')).toBeUndefined();
    expect(parseCampaign(undefined as unknown as string)).toBeUndefined();
  });

  it('matches keys case-insensitively and keeps the value case', () => {
    expect(parseCampaign('?UTM_Source=Google&Utm_Medium=CPC&GCLID=AbC')).toEqual({ source: 'Google', medium: 'CPC', gclid: 'AbC' });
  });

  it('decodes, trims and limits values', () => {
    expect(parseCampaign('?utm_campaign=%20summer+sale%20&utm_term=caf%C3%A9')).toEqual({ name: 'summer sale', term: 'café' });
    const long = 'a'.repeat(MAX_CAMPAIGN_VALUE_LENGTH + 100);
    expect(parseCampaign(`?utm_source=${long}`)?.source).toHaveLength(2048);
  });

  it('keeps the first non-empty value of a repeated key', () => {
    expect(parseCampaign('?utm_source=&utm_source=first&utm_source=second')).toEqual({ source: 'first' });
  });

  it('accepts a bare query, a whole URL, and ignores the fragment', () => {
    expect(parseCampaign('utm_source=x')).toEqual({ source: 'x' });
    expect(parseCampaign('https://shop.example/p?utm_medium=sms#utm_source=frag')).toEqual({ medium: 'sms' });
  });

  it('does not throw on malformed escapes', () => {
    expect(parseCampaign('?utm_source=%E0%A4%A&utm_medium=email')).toMatchObject({ medium: 'email' });
  });

  it('produces what the schema accepts', () => {
    const c = parseCampaign('?utm_source=a&utm_medium=b&utm_campaign=c&gclid=d');
    expect(campaignSchema.safeParse(c).success).toBe(true);
  });
});

describe('campaignKey', () => {
  it('joins lower-cased source, medium, name and the first click id', () => {
    expect(campaignKey({ source: 'Google', medium: 'CPC', name: 'Spring', gclid: 'AbC', msclkid: 'm' })).toBe('google|cpc|spring|gclid=AbC');
  });

  it('is stable for the same campaign and changes with a new click', () => {
    const a = parseCampaign('?utm_source=fb&utm_medium=paid&utm_campaign=x');
    const b = parseCampaign('?utm_campaign=x&utm_medium=paid&utm_source=fb&utm_content=other');
    expect(campaignKey(a)).toBe(campaignKey(b));
    expect(campaignKey(parseCampaign('?gclid=1'))).not.toBe(campaignKey(parseCampaign('?gclid=2')));
    expect(campaignKey(parseCampaign('?utm_source=a&utm_medium=b'))).not.toBe(campaignKey(parseCampaign('?utm_source=a&utm_medium=c')));
  });

  it('is empty without a campaign', () => {
    expect(campaignKey(undefined)).toBe('');
    expect(campaignKey({ term: 'only-a-term' })).toBe('');
    expect(campaignKey(parseCampaign('?fbclid=z'))).toBe('|||fbclid=z');
  });
});
