/**
 * Dashboard client: loads counts, recent events, the consent log and the profile summary from /dashboard/api/*, and
 * keeps the live table and counts current from the server-sent event stream. Vanilla JS, imports nothing. Never puts
 * data into the page as HTML without escaping it, and never writes anything back.
 */
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const nf = new Intl.NumberFormat('en');
const MAX_LIVE_ROWS = 100;

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message ?? `${url}: HTTP ${res.status}`);
  return body;
}

const time = (iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString('en-GB', { hour12: false });
};
const utc = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');
const short = (id, n = 8) => (id ? `<code title="${esc(id)}">${esc(String(id).slice(0, n))}…</code>` : '<span class="dim">–</span>');
const chips = (list, cls = '') => (list?.length ? list.map((c) => `<span class="chip ${cls}">${esc(c)}</span>`).join(' ') : '<span class="dim">none</span>');

// ---------- counts ----------

function bars(el, rows, { empty = 'Nothing yet' } = {}) {
  if (!rows.length) return void (el.innerHTML = `<li class="dim">${esc(empty)}</li>`);
  const max = Math.max(...rows.map((r) => r.n));
  el.innerHTML = rows
    .map((r) => `<li><span class="bar-label" title="${esc(r.key)}">${esc(r.key)}</span><span class="bar-track"><span class="bar" style="width:${Math.max(2, (r.n / max) * 100).toFixed(1)}%"></span></span><span class="bar-n">${nf.format(r.n)}</span></li>`)
    .join('');
}

async function loadSummary() {
  const s = await getJson('/dashboard/api/summary');
  $('#kpi-events').textContent = nf.format(s.totals.events);
  $('#kpi-devices').textContent = nf.format(s.totals.devices);
  $('#kpi-users').textContent = nf.format(s.totals.users);
  $('#kpi-orders').textContent = nf.format(s.totals.orders);
  $('#kpi-consent').textContent = nf.format(s.totals.consentRecords);
  bars($('#by-channel'), s.byChannel);
  bars($('#by-event'), s.byEvent);
  bars($('#by-consent'), s.byConsent);
}
let summaryTimer;
const refreshSummarySoon = () => {
  clearTimeout(summaryTimer);
  summaryTimer = setTimeout(() => loadSummary().catch(showError), 400);
};

// ---------- live stream ----------

function eventLabel(e) {
  if (e.type === 'track') return `<span class="type type-track">track</span> <strong>${esc(e.event)}</strong>`;
  return `<span class="type type-${esc(e.type)}">${esc(e.type)}</span>${e.event ? ` <strong>${esc(e.event)}</strong>` : ''}`;
}
function details(e) {
  const parts = Object.entries(e.properties ?? {}).map(([k, v]) => `<span class="kv"><span>${esc(k)}</span>${esc(v)}</span>`);
  if (e.path) parts.unshift(`<span class="kv"><span>path</span>${esc(e.path)}</span>`);
  return parts.join(' ');
}
function liveRow(e, fresh) {
  const tr = document.createElement('tr');
  if (fresh) tr.className = 'fresh';
  tr.dataset.messageId = e.messageId;
  tr.innerHTML = `<td class="nowrap">${esc(time(e.receivedAt))}</td><td>${eventLabel(e)}</td><td>${e.channel ? esc(e.channel) : '<span class="dim">–</span>'}</td>
    <td>${chips(e.consent, 'chip-ok')}</td><td>${e.userId ? `<span class="user">${esc(e.userId)}</span>` : short(e.anonymousId)}</td><td class="details">${details(e)}</td>`;
  return tr;
}
function addLive(e, fresh = true) {
  const body = $('#live-body');
  body.querySelector('.empty-row')?.remove();
  if (body.querySelector(`tr[data-message-id="${CSS.escape(e.messageId)}"]`)) return;
  body.prepend(liveRow(e, fresh));
  while (body.rows.length > MAX_LIVE_ROWS) body.deleteRow(body.rows.length - 1);
}

function connect() {
  const status = $('#stream-status');
  const set = (state, text) => {
    status.dataset.state = state;
    status.lastElementChild.textContent = text;
  };
  const source = new EventSource('/dashboard/api/stream');
  source.addEventListener('hello', () => set('live', 'live'));
  source.addEventListener('touchpoint', (m) => {
    addLive(JSON.parse(m.data));
    refreshSummarySoon();
  });
  source.addEventListener('consent', () => {
    refreshSummarySoon();
    loadConsent().catch(showError);
  });
  source.onerror = () => set('down', 'reconnecting…');
}

// ---------- consent log ----------

function consentQuery() {
  const form = $('#consent-filters');
  const q = new URLSearchParams();
  for (const name of ['from', 'to', 'method', 'policyVersion']) {
    const v = form.elements.namedItem(name).value;
    if (v) q.set(name, v);
  }
  return q;
}
function fillSelect(select, values) {
  const current = select.value;
  const options = ['<option value="">All</option>', ...values.map((v) => `<option>${esc(v)}</option>`)];
  select.innerHTML = options.join('');
  if (values.includes(current)) select.value = current;
}
async function loadConsent() {
  const q = consentQuery();
  const qs = q.toString() ? `?${q}` : '';
  $('#csv-link').href = `/dashboard/api/consent.csv${qs}`;
  const data = await getJson(`/dashboard/api/consent${qs ? qs + '&' : '?'}limit=200`);
  const form = $('#consent-filters');
  fillSelect(form.elements.namedItem('method'), data.facets.methods);
  fillSelect(form.elements.namedItem('policyVersion'), data.facets.policyVersions);
  $('#consent-meta').textContent = `${nf.format(data.total)} record${data.total === 1 ? '' : 's'}${data.total > data.records.length ? ` · showing the newest ${data.records.length}; the CSV has them all` : ''}`;
  $('#consent-body').innerHTML = data.records.length
    ? data.records
        .map((r) => `<tr><td class="nowrap">${esc(utc(r.timestamp))}</td><td><span class="method method-${esc(r.method)}">${esc(r.method.replace('_', ' '))}</span>${r.layer ? ` <span class="dim small">${esc(r.layer)}</span>` : ''}</td>
          <td>${esc(r.policyVersion)}</td><td>${esc(r.locale)}</td><td>${chips(r.granted.filter((c) => c !== 'necessary'), 'chip-ok')}</td><td>${chips(r.denied, 'chip-no')}</td>
          <td>${short(r.consentId)}</td><td>${short(r.textHash, 10)}</td></tr>`)
        .join('')
    : `<tr class="empty-row"><td colspan="8">No consent decisions match these filters.</td></tr>`;
}

// ---------- profiles ----------

async function loadProfiles() {
  const p = await getJson('/dashboard/api/profiles');
  const el = $('#profiles-body');
  if (!p.available) {
    el.innerHTML = `<div class="empty-icon" aria-hidden="true">◎</div><p><strong>Not available yet.</strong> ${esc(p.message)}</p>
      <p class="dim small">When the identity graph lands, this section lists each customer with their devices, channels and linked identities (e-mail only as a SHA-256 hash).</p>`;
    return;
  }
  el.innerHTML = p.total
    ? `<p><strong>${nf.format(p.total)}</strong> unified profile${p.total === 1 ? '' : 's'}.</p>`
    : `<div class="empty-icon" aria-hidden="true">◎</div><p>No profiles yet. Sign in in the shop to link this device to a customer.</p>`;
}

// ---------- boot ----------

function showError(e) {
  console.error(e);
  const s = $('#stream-status');
  s.dataset.state = 'down';
  s.lastElementChild.textContent = e.message ?? 'error';
}

async function boot() {
  const form = $('#consent-filters');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    loadConsent().catch(showError);
  });
  form.addEventListener('reset', () => setTimeout(() => loadConsent().catch(showError), 0));
  connect();
  await Promise.all([
    loadSummary(),
    getJson('/dashboard/api/events?limit=50').then((r) => r.events.reverse().forEach((e) => addLive(e, false))),
    loadConsent(),
    loadProfiles(),
  ]).catch(showError);
}
boot();
