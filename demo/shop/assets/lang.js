/**
 * Sets <html lang> from the visitor's stored language choice (DE default) before anything else runs, so the consent
 * banner, which follows <html lang>, opens in the shop's language. Imports nothing. Never writes storage.
 */
(function () {
  try {
    if (JSON.parse(localStorage.getItem('bb-lang') || 'null') === 'en') document.documentElement.lang = 'en';
  } catch (e) {
    /* storage blocked: German */
  }
})();
