/**
 * Picks the locale of the consent texts: the page's language, then the browser's, matched exactly or by primary
 * subtag; no match → the fallback locale (EN); nothing known → the default locale (DE). Imports: types. Pure.
 */
import type { ConsentConfig } from './types';

/**
 * Resolves which configured locale to show.
 * @param config - validated configuration
 * @param wanted - preferred language tags, most preferred first (e.g. `<html lang>`, then `navigator.languages`)
 * @example
 * resolveLocale(config, ['de-AT', 'en']) // → 'de'
 */
export function resolveLocale(config: ConsentConfig, wanted: (string | null | undefined)[]): string {
  const have = Object.keys(config.texts);
  const find = (l: string) => have.find((h) => h.toLowerCase() == l);
  const tags = wanted.filter((t): t is string => !!t);
  for (const t of tags) {
    const l = t.toLowerCase();
    const hit = find(l) || find(l.split('-')[0]);
    if (hit) return hit;
  }
  return tags.length ? config.fallbackLocale : config.defaultLocale;
}
