/**
 * SPA navigation: calls back once per real URL change made through pushState, replaceState, popstate or hashchange,
 * never twice for the same URL. Imports nothing. Never captures by itself; core decides what a change means.
 */

/** Starts watching; returns a function that stops watching and restores the history methods it wrapped. */
export function watchNavigation(onChange: (url: string, previousUrl: string) => void, win: Window = window): () => void {
  let last = win.location.href;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    timer = undefined;
    const url = win.location.href;
    if (url === last) return;
    const previous = last;
    last = url;
    onChange(url, previous);
  };
  // wait a tick: routers often set document.title just after pushState
  const schedule = () => {
    if (timer === undefined) timer = setTimeout(check, 0);
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
  win.addEventListener('popstate', schedule);
  win.addEventListener('hashchange', schedule);
  return () => {
    unwrapPush();
    unwrapReplace();
    win.removeEventListener('popstate', schedule);
    win.removeEventListener('hashchange', schedule);
    if (timer !== undefined) clearTimeout(timer);
  };
}
