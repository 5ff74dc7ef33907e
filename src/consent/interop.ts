/**
 * The interop chunk, loaded lazily and only when a page needs it: consent-aware embeds (when the page has a
 * `data-consent` placeholder), the IAB TCF v2.2 and GPP 1.1 readers (when configured). Re-exports only.
 */
export { startEmbeds } from './embed';
export { startTcfReader } from './bridges/tcf';
export { startGppReader } from './bridges/gpp';
