/**
 * SPA navigation: calls back once per real URL change made through pushState, replaceState, popstate or hashchange,
 * never twice for the same URL, and once per return to the page from the back/forward cache. Imports nothing. Never
 * captures by itself; core decides what a change means.
 */

/**
 * Starts watching; returns a function that stops watching and restores the history methods it wrapped.
 * @param onChange - called with the new URL and the one before it; `restored` when the page came back from the
 *   back/forward cache (Firefox and Safari restore pages on Back instead of loading them: a visit without a load)
 * @example const stop = watchNavigation((url, previous, restored) => pageView());
 */
export function watchNavigation(onChange: (url: string, previousUrl: string, restored?: boolean) => void, win: Window = window): () => void {
  let last = win.location.href;
  let timer: ReturnType<typeof setTimeout> | 0 = 0;
  const check = () => {
    const previous = last;
    timer = 0;
    if ((last = win.location.href) != previous) onChange(last, previous);
  };
  // wait a tick: routers often set document.title just after pushState
  const schedule = () => {
    timer ||= setTimeout(check);
  };
  const h = win.history;
  const wrap = (name: 'pushState' | 'replaceState') => {
    const original = h[name];
    h[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      const r = original.apply(this, args);
      schedule();
      return r;
    };
    return () => {
      h[name] = original;
    };
  };
  const unwrapPush = wrap('pushState');
  const unwrapReplace = wrap('replaceState');
  // a restore is a visit without a load (https://web.dev/articles/bfcache), as Plausible and GA4 count it
  const restore = (e: Event) => (e as PageTransitionEvent).persisted && onChange((last = win.location.href), last, true);
  win.addEventListener('popstate', schedule);
  win.addEventListener('hashchange', schedule);
  win.addEventListener('pageshow', restore);
  return () => {
    unwrapPush();
    unwrapReplace();
    win.removeEventListener('popstate', schedule);
    win.removeEventListener('hashchange', schedule);
    win.removeEventListener('pageshow', restore);
    clearTimeout(timer);
  };
}
