/**
 * Size budgets of the shipped browser files, measured on the built dist/ (npm test builds first).
 * The whole consent + outbox + identity core must fit the script-tag budget.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const KB = 1024;
/**
 * The core's goal is 12 KB gzip (issue 2). With consent, outbox and identity wired in it measured 20.0 KB; the lazy
 * interop chunk and the default texts in the banner chunk brought it to 18.2 KB; several destinations with their own
 * delivery state (issue 7, +1.6 KB), the identity hooks (issue 6, +0.2 KB) and two review fixes (a withdrawal while
 * the outbox opens, identify calls kept in order) and the journey's fixes (the landing campaign when the visitor
 * decides one click later, a user identified before the decision kept) took it to 20,524 B. The ratchet was raised
 * once, by 0.1 KB, for those correctness fixes; lower it with every cut, never raise it for features.
 * Then a size pass over every core module (consent −0.6 KB, capture and transport −0.35 KB, outbox −0.2 KB,
 * idb's unused traps tree-shaken −0.5 KB) paid for SRI-pinned chunk loading (+0.45 KB), and the flush lock's dead localStorage lease went: 19,283 B.
 * Raised a second time, by 1.2 KB, for two broken delivery promises (issue 13), not a feature: the localStorage
 * write-ahead journal that keeps a closing, reloading or crashing tab's uncommitted events (+0.8 KB), poison records
 * set aside so they never hold back the queue (+0.25 KB) and well-formed, depth-checked events at capture: 20,534 B.
 * Issue 14 moves the whole pipeline out of this file (gate ≤ 6 KB).
 */
const CORE_BUDGET_KB = 20.1;
const gz = (f: string) => gzipSync(readFileSync(f), { level: 9 }).length;

describe('size budgets', () => {
  it(`dist/touchpoint.js (script-tag core) is at most ${CORE_BUDGET_KB} KB gzip (goal: 12 KB)`, () => {
    expect(gz('dist/touchpoint.js')).toBeLessThanOrEqual(CORE_BUDGET_KB * KB);
  });
  it('dist/snippet.min.js is at most 1 KB minified', () => {
    expect(readFileSync('dist/snippet.min.js').length).toBeLessThanOrEqual(1 * KB);
  });
  it('the web-vitals chunk is at most 4 KB gzip', () => {
    expect(gz('dist/touchpoint-vitals.mjs')).toBeLessThanOrEqual(4 * KB);
  });
  it('the identity-link hashing chunk is at most 1.5 KB gzip', () => {
    expect(gz('dist/touchpoint-identity.mjs')).toBeLessThanOrEqual(1.5 * KB);
  });
  it('the cross-domain linker chunk (with the subdomain cookie mirror) is at most 2 KB gzip', () => {
    expect(gz('dist/touchpoint-linker.mjs')).toBeLessThanOrEqual(2 * KB);
  });
  it('the profile hand-off chunk is at most 1.5 KB gzip', () => {
    expect(gz('dist/touchpoint-profile.mjs')).toBeLessThanOrEqual(1.5 * KB);
  });
  it('the interop chunk (embeds, TCF and GPP readers) is at most 2 KB gzip', () => {
    expect(gz('dist/touchpoint-interop.mjs')).toBeLessThanOrEqual(2 * KB);
  });
  it('the snippet has no "use strict" prologue (it runs inline in every page)', () => {
    expect(readFileSync('dist/snippet.min.js', 'utf8')).not.toMatch(/use strict/);
  });
  it('the banner chunk with its CSS and the default DE/EN texts is at most 8 KB gzip', () => {
    expect(existsSync('dist/touchpoint-banner.mjs')).toBe(true);
    expect(gz('dist/touchpoint-banner.mjs')).toBeLessThanOrEqual(8 * KB);
  });
  it('each wire-format chunk (segment, snowplow, posthog, custom) is at most 2 KB gzip', () => {
    for (const f of ['segment', 'snowplow', 'posthog', 'custom']) expect(gz(`dist/touchpoint-${f}.mjs`), f).toBeLessThanOrEqual(2 * KB);
  });
  it('dist/sri.json carries a sha384 hash for every shipped script', () => {
    const sri = JSON.parse(readFileSync('dist/sri.json', 'utf8')) as Record<string, string>;
    for (const f of ['touchpoint.js', 'snippet.min.js', 'touchpoint.mjs', 'touchpoint-vitals.mjs', 'touchpoint-banner.mjs', 'touchpoint-sri.mjs']) expect(sri[f]).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
  });
});
