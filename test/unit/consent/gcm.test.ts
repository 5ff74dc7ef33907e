import { afterEach, describe, expect, it } from 'vitest';
import { createGcmBridge, gcmValues } from '../../../src/consent/bridges/gcm';
import { DEFAULT_GCM_MAPPING } from '../../../src/schema/consent-config';
import type { ConsentState } from '../../../src/consent/types';

type W = Window & { dataLayer?: unknown[] };
const w = window as W;
const entries = () => (w.dataLayer || []).map((a) => Array.from(a as ArrayLike<unknown>));
const state = (granted: string[]): ConsentState => ({ status: 'decided', granted: ['necessary', ...granted], denied: [], policyVersion: '1' });
const base = { mode: 'basic' as const, mapping: DEFAULT_GCM_MAPPING };

afterEach(() => delete w.dataLayer);

describe('Google Consent Mode v2 bridge', () => {
  it('pushes a default with everything denied but security_storage, as real `arguments` objects', () => {
    w.dataLayer = [{ event: 'existing' }];
    createGcmBridge({ config: base, window });
    expect(Object.prototype.toString.call(w.dataLayer[1])).toBe('[object Arguments]');
    expect(entries()[1]).toEqual([
      'consent',
      'default',
      {
        ad_storage: 'denied',
        ad_user_data: 'denied',
        ad_personalization: 'denied',
        analytics_storage: 'denied',
        functionality_storage: 'denied',
        personalization_storage: 'denied',
        security_storage: 'granted',
      },
    ]);
  });

  it('adds wait_for_update and region when configured', () => {
    createGcmBridge({ config: { ...base, waitForUpdateMs: 500, region: ['DE', 'AT'] }, window });
    expect(entries()[0][2]).toMatchObject({ wait_for_update: 500, region: ['DE', 'AT'] });
  });

  it('updates per the mapping on each decision and pushes denied on withdrawal', () => {
    const b = createGcmBridge({ config: base, window });
    b.update({ ...state([]), status: 'pending' });
    b.update(state(['analytics', 'marketing']));
    b.update(state(['analytics', 'marketing']));
    b.update(state([]));
    const e = entries();
    expect(e.map((x) => x[1])).toEqual(['default', 'update', 'update']);
    expect(e[1][2]).toMatchObject({ analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', personalization_storage: 'denied' });
    expect(e[2][2]).toMatchObject({ analytics_storage: 'denied', ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', security_storage: 'granted' });
  });

  it('a key shared by several categories is granted only when all of them are (fail closed)', () => {
    const mapping = { analytics: ['analytics_storage' as const], marketing: ['analytics_storage' as const, 'ad_storage' as const] };
    expect(gcmValues(mapping, ['analytics']).analytics_storage).toBe('denied');
    expect(gcmValues(mapping, ['analytics', 'marketing']).analytics_storage).toBe('granted');
    expect(gcmValues(mapping, ['necessary']).security_storage).toBe('denied');
  });
});
