/**
 * The inline loader snippet (≤ 1 KB minified): defines `window.touchpoint` as a stub that queues every call with the
 * time it was made, and loads the bundle async. Imports nothing; runs before anything else of ours exists.
 */
/* eslint-disable */
void (function (w: any, d: Document, src: string, integrity?: string) {
  var t = (w.touchpoint = w.touchpoint || {});
  if (t._q) return; // the snippet ran twice, or the bundle is already here
  var q: unknown[] = (t._q = []);
  var stub = function (target: any, name: string, path: string) {
    // a promise of the real call's result, so `touchpoint.profile().then(…)` works before the bundle is here
    target[name] = function () {
      var a = Array.prototype.slice.call(arguments);
      return new Promise(function (r) {
        q.push([path, a, Date.now(), r]);
      });
    };
  };
  'init page track identify alias reset flush ready on debug profile'.split(' ').forEach(function (m) {
    stub(t, m, m);
  });
  t.consent = t.consent || {};
  stub(t.consent, 'set', 'consent.set');
  stub(t.consent, 'open', 'consent.open');
  var s = d.createElement('script');
  s.async = true;
  s.src = src;
  if (integrity) {
    s.integrity = integrity;
    s.crossOrigin = 'anonymous';
  }
  (d.head || d.documentElement).appendChild(s);
  // the bundle URL and its SRI hash are the arguments: edit them when pasting (see README)
})(window, document, '/touchpoint.js');
