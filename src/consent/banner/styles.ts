/**
 * The banner's stylesheet, adopted into its open shadow root (or a nonce'd `<style>`): neutral, light, one accent colour
 * shared by every consent button so none is favoured (R6). Plain string, imports nothing. Never applied as inline `style`.
 */

/** Accent #1e40af on white is 8.7:1; body text #111827 17:1; muted #374151 10:1 (WCAG 1.4.3/1.4.11). */
export const BANNER_CSS = `
:host{all:initial;display:block}
*{box-sizing:border-box}
[hidden]{display:none!important}
.tp{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;overflow-wrap:anywhere}
.card{position:fixed;z-index:2147483000;left:0;right:0;bottom:0;margin:0 auto;width:100%;max-width:60rem;max-height:85vh;overflow:auto;background:#fff;border:1px solid #d1d5db;border-bottom:0;border-radius:14px 14px 0 0;box-shadow:0 -8px 32px rgba(17,24,39,.18);padding:1.25rem 1.5rem}
@media (min-width:40rem){.card{bottom:1rem;border-bottom:1px solid #d1d5db;border-radius:14px;width:calc(100% - 2rem)}}
h2{font-size:1.15rem;line-height:1.3;margin:0 0 .5rem;font-weight:700}
p{margin:0 0 .6rem}
.muted{color:#374151;font-size:.9rem}
.acts{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.6rem;margin:1rem 0 .75rem}
.btn{font:inherit;font-weight:600;min-height:44px;padding:.6rem 1rem;border:2px solid #1e40af;border-radius:8px;background:#1e40af;color:#fff;cursor:pointer}
.btn:hover{background:#1e3a8a;border-color:#1e3a8a}
button:focus-visible,a:focus-visible,h2:focus-visible{outline:3px solid #1e40af;outline-offset:2px}
.btn:focus-visible{outline-color:#111827}
a{color:#1e40af;text-decoration:underline;text-underline-offset:2px}
.links{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:0;font-size:.9rem}
.links a{display:inline-block;min-height:24px;padding:2px 0}
dialog{width:min(40rem,calc(100vw - 1rem));max-height:calc(100vh - 1rem);padding:0;border:0;border-radius:14px;color:#111827;background:#fff;box-shadow:0 16px 48px rgba(17,24,39,.3)}
dialog::backdrop{background:rgba(17,24,39,.55)}
.dlg{padding:1.25rem 1.5rem}
.head{display:flex;gap:1rem;align-items:flex-start;justify-content:space-between}
.head h2{outline-offset:4px}
.x{font:inherit;font-size:.9rem;min-height:32px;min-width:32px;padding:.25rem .6rem;border:1px solid #6b7280;border-radius:8px;background:#fff;color:#111827;cursor:pointer}
ul{list-style:none;margin:1rem 0;padding:0;border-top:1px solid #e5e7eb}
li{padding:.75rem 0;border-bottom:1px solid #e5e7eb}
.row{display:flex;align-items:center;justify-content:space-between;gap:1rem;font-weight:600}
.sw{position:relative;flex:none;width:48px;height:28px;border-radius:14px;border:2px solid #4b5563;background:#fff;padding:0;cursor:pointer}
.sw::after{content:"";position:absolute;top:3px;left:3px;width:18px;height:18px;border-radius:50%;background:#4b5563;transition:transform .15s}
.sw[aria-checked=true]{background:#1e40af;border-color:#1e40af}
.sw[aria-checked=true]::after{transform:translateX(20px);background:#fff}
.sw:disabled{cursor:default}
.on{font-size:.85rem;font-weight:400;color:#374151;margin-left:auto}
.info{margin:0 0 .5rem;padding:.75rem 1rem;background:#f3f4f6;border-radius:8px;font-size:.9rem;color:#1f2937}
.info p:last-child{margin:0}
.status:not(:empty){position:fixed;z-index:2147483001;left:50%;bottom:1.5rem;transform:translateX(-50%);background:#111827;color:#fff;padding:.6rem 1rem;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.25)}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
`;
