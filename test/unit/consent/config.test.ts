import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, runCheckConfig } from '../../../src/consent/check-config';
import { validateConfig } from '../../../src/consent/validate-config';
import { DEFAULT_CONSENT_CONFIG } from '../../../src/consent/default-config';
import { consentConfigJsonSchema, isSafeUrl } from '../../../src/schema/consent-config';
import { config } from './helpers';

const problems = (json: unknown) => {
  const r = checkConfig(json);
  return r.ok ? [] : r.problems;
};
const withCategory = (i: number, patch: Record<string, unknown>) => {
  const c = config();
  (c.categories as Record<string, unknown>[])[i] = { ...(c.categories as Record<string, unknown>[])[i], ...patch };
  return c;
};

describe('consent config schema', () => {
  it('accepts the shipped default config and applies defaults', () => {
    const r = checkConfig({ ...DEFAULT_CONSENT_CONFIG, lifetimeDays: undefined, beforeConsent: undefined, signals: undefined });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.lifetimeDays).toBe(182);
    expect(r.config.beforeConsent).toBe('drop');
    expect(r.config.signals).toEqual({ gpc: 'deny', dnt: 'deny' });
    expect(r.config.categories.map((c) => c.id)).toEqual(['necessary', 'analytics', 'marketing', 'personalization']);
  });

  it('R5: rejects a non-essential category that is on by default, with its path', () => {
    expect(problems(withCategory(2, { default: true }))).toEqual([{ path: 'categories.2.default', message: expect.stringContaining('off by default') }]);
    expect(problems(withCategory(0, { default: true }))).toEqual([]);
  });

  it('accepts custom categories and requires their texts in every locale', () => {
    const c = config();
    (c.categories as unknown[]).push({ id: 'functional', label: { de: 'Funktional', en: 'Functional' }, description: { de: 'x' } });
    expect(problems(c)).toEqual([{ path: 'categories.4.description.en', message: expect.any(String) }]);
  });

  it.each(['javascript:alert(1)', 'http://example.com/privacy', '//evil.example', 'data:text/html,x', ' javascript:x', '/\\evil', 'JAVASCRIPT:x'])(
    'rejects the URL %j for privacyPolicyUrl and imprintUrl',
    (url) => {
      expect(problems(config({ privacyPolicyUrl: url, imprintUrl: url })).map((p) => p.path)).toEqual(['privacyPolicyUrl', 'imprintUrl']);
      expect(validateConfig(config({ privacyPolicyUrl: url }))).toMatch(/^privacyPolicyUrl:/);
    },
  );

  it('accepts https and relative URLs only', () => {
    for (const u of ['https://shop.example/datenschutz', '/datenschutz', 'impressum.html', '../legal#imprint', '?page=privacy']) expect(isSafeUrl(u)).toBe(true);
  });

  it('rejects unknown keys at every level, each with its own path', () => {
    const c = withCategory(1, { color: 'red' });
    c.tracking = true;
    (c.signals as Record<string, unknown>).sec = 'x';
    ((c.texts as Record<string, Record<string, unknown>>).de).extra = 'y';
    expect(problems(c).map((p) => p.path).sort()).toEqual(['categories.1.color', 'signals.sec', 'texts.de.extra', 'tracking']);
    expect(validateConfig(c)).toMatch(/unknown key/);
  });

  it('reports every problem at once, each with its path', () => {
    const c = withCategory(3, { default: true });
    c.lifetimeDays = 400;
    c.beforeConsent = 'keep';
    c.imprintUrl = 'javascript:void 0';
    c.categories = (c.categories as Record<string, unknown>[]).filter((x) => x.id != 'necessary');
    delete ((c.texts as Record<string, Record<string, unknown>>).en).withdrawal;
    c.googleConsentMode = { mapping: { analytic: ['analytics_storage'] } };
    c.tcf = { purposes: { marketing: [1, 12] } };
    expect(problems(c).map((p) => p.path).sort()).toEqual(
      [
        'beforeConsent',
        'categories',
        'categories.2.default',
        'googleConsentMode.mapping.analytic',
        'imprintUrl',
        'lifetimeDays',
        'tcf.purposes.marketing.1',
        'texts.en.withdrawal',
      ].sort(),
    );
  });

  it('R8: every locale must carry controller, purposes, duration, third parties, transfers and withdrawal', () => {
    for (const k of ['controller', 'purposes', 'storageDuration', 'thirdParties', 'transferOutsideEea', 'withdrawal']) {
      const c = config();
      ((c.texts as Record<string, Record<string, unknown>>).de)[k] = '  ';
      expect(problems(c)).toEqual([{ path: `texts.de.${k}`, message: 'must not be empty' }]);
    }
  });

  it('needs texts for the default (DE) and fallback (EN) locales and caps the lifetime at 365 days', () => {
    const c = config();
    delete (c.texts as Record<string, unknown>).en;
    expect(problems(c).map((p) => p.path)).toContain('fallbackLocale');
    expect(problems(config({ lifetimeDays: 366 })).map((p) => p.path)).toEqual(['lifetimeDays']);
    expect(problems(config({ lifetimeDays: 365 }))).toEqual([]);
  });

  it('defaults Google Consent Mode to basic with the CONSENT-RULES mapping, and TCF to a 5 s timeout', () => {
    const r = checkConfig(config({ googleConsentMode: {}, tcf: { purposes: { analytics: [1, 8] } } }));
    expect(r.ok && r.config.googleConsentMode).toEqual({
      mode: 'basic',
      mapping: {
        necessary: ['security_storage'],
        analytics: ['analytics_storage'],
        marketing: ['ad_storage', 'ad_user_data', 'ad_personalization'],
        personalization: ['personalization_storage'],
        functional: ['functionality_storage'],
      },
    });
    expect(r.ok && r.config.tcf).toEqual({ purposes: { analytics: [1, 8] }, timeoutMs: 5000 });
    expect(problems(config({ googleConsentMode: { region: ['EU'] } })).map((p) => p.path)).toEqual(['googleConsentMode.region.0']);
  });

  it('exports a JSON Schema that rejects unknown keys', () => {
    const s = consentConfigJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown; required: string[] };
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['policyVersion', 'categories', 'texts', 'lifetimeDays', 'googleConsentMode', 'tcf']));
    expect(s.additionalProperties).toBe(false);
    expect(s.required).toEqual(expect.arrayContaining(['policyVersion', 'categories', 'texts', 'privacyPolicyUrl', 'imprintUrl']));
  });
});

describe('browser validator (lean twin of the schema)', () => {
  const variants: Record<string, unknown>[] = [
    config(),
    config({ lifetimeDays: undefined, beforeConsent: 'hold', signals: { gpc: 'ignore' } }),
    config({ googleConsentMode: { mode: 'advanced', waitForUpdateMs: 500, region: ['DE', 'AT'] }, tcf: { purposes: { analytics: [1, 8, 9] }, vendorId: 42 } }),
    config({ materialVersion: '0', policyVersion: '1.1' }),
    config({ gpp: { purposes: { analytics: [1, 8, 9], marketing: [2] }, vendorId: 7, timeoutMs: 3000 } }),
  ];
  it.each(variants.map((v, i) => [i, v]))('normalises variant %i exactly like the zod schema', (_, v) => {
    const r = checkConfig(v);
    expect(r.ok).toBe(true);
    expect(JSON.parse(JSON.stringify(validateConfig(v)))).toEqual(r.ok && r.config);
  });

  const bad: [string, Record<string, unknown>][] = [
    ['default on', withCategory(1, { default: true })],
    ['unknown key', config({ foo: 1 })],
    ['bad url', config({ imprintUrl: 'javascript:alert(1)' })],
    ['no necessary', config({ categories: (config().categories as Record<string, unknown>[]).slice(1) })],
    ['lifetime', config({ lifetimeDays: 0 })],
    ['signals', config({ signals: { gpc: 'allow' } })],
    ['gcm key', config({ googleConsentMode: { mapping: { analytics: ['cookies'] } } })],
    ['tcf purpose', config({ tcf: { purposes: { analytics: [0] } } })],
    ['not an object', 'config' as unknown as Record<string, unknown>],
    ['gpp purpose', config({ gpp: { purposes: { analytics: [12] } } })],
    ['gpp unknown category', config({ gpp: { purposes: { sales: [1] } } })],
    ['tcf and gpp', config({ tcf: { purposes: { analytics: [1] } }, gpp: { purposes: { analytics: [1] } } })],
    ['twelve tcf purposes', config({ tcf: { purposes: { analytics: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1] } } })],
    ['eight Consent Mode keys', config({ googleConsentMode: { mapping: { analytics: ['analytics_storage', 'ad_storage', 'ad_user_data', 'ad_personalization', 'functionality_storage', 'personalization_storage', 'security_storage', 'ad_storage'] } } })],
    ['301 regions', config({ googleConsentMode: { region: Array(301).fill('DE') } })],
    ['a vendor id over 16 bits', config({ gpp: { purposes: { analytics: [1] }, vendorId: 65536 } })],
    ['a blank materialVersion', config({ materialVersion: '  ' })],
  ];
  it('accepts the limits themselves like the schema does', () => {
    const v = config({ googleConsentMode: { region: Array(300).fill('DE') }, tcf: { purposes: { analytics: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, vendorId: 65535 } });
    expect(checkConfig(v).ok).toBe(true);
    expect(typeof validateConfig(v)).toBe('object');
  });
  it.each(bad)('rejects %s like the schema does', (_, v) => {
    expect(checkConfig(v).ok).toBe(false);
    expect(typeof validateConfig(v)).toBe('string');
  });
});

describe('runCheckConfig', () => {
  const file = (content: string) => {
    const p = join(mkdtempSync(join(tmpdir(), 'tp-cfg-')), 'consent.json');
    writeFileSync(p, content);
    return p;
  };
  it('returns 0 for a valid file and 1 with every problem printed with its path', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(runCheckConfig(file(JSON.stringify(DEFAULT_CONSENT_CONFIG)))).toBe(0);
    expect(runCheckConfig(file(JSON.stringify(withCategory(1, { default: true, x: 1 }))))).toBe(1);
    const printed = err.mock.calls.map((c) => String(c[0])).join('\n');
    expect(printed).toMatch(/categories\.1\.default: a non-essential category must be off by default/);
    expect(printed).toMatch(/categories\.1\.x: unknown key/);
    expect(runCheckConfig(file('{ not json'))).toBe(2);
    err.mockRestore();
    out.mockRestore();
  });
});
