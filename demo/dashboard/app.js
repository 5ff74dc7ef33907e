/**
 * Dashboard client: loads counts, recent events, the consent log, the unified profiles (search, identity graph as
 * inline SVG, timeline, consent history) and the merge log from /dashboard/api/*, and keeps them current from the
 * server-sent event stream. Vanilla JS, imports nothing. Never puts
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
  source.addEventListener('profile', () => refreshProfilesSoon());
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

const TYPE_COLORS = { anonymous_id: '#64748b', user_id: '#9a5b00', email: '#17794a', phone: '#0e7490', customer_id: '#4f46e5', loyalty_id: '#b45309' };
const typeColor = (t) => TYPE_COLORS[t] ?? '#be185d';
let openProfileId = new URLSearchParams(location.search).get('profile');
let profilesTimer;

async function sha256Hex(text) {
  const buf = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
/** The SDK's e-mail normalisation, so a typed address finds the hash the browser sent. */
function normaliseEmail(v) {
  const s = v.trim().toLowerCase();
  let [local, domain] = s.split('@');
  if (domain === 'gmail.com' || domain === 'googlemail.com') (local = local.replace(/\+.*/, '').replace(/\./g, '')), (domain = 'gmail.com');
  return `${local}@${domain}`;
}
/** `email:someone@example.com` → `email:<sha-256>`, as the SDK sends it; other types as typed. */
async function identityQuery(raw) {
  const q = raw.trim();
  const at = q.indexOf(':');
  if (at < 1) return undefined;
  const type = q.slice(0, at).trim().toLowerCase();
  let value = q.slice(at + 1).trim();
  if (type === 'email' && value.includes('@')) value = await sha256Hex(normaliseEmail(value));
  return `${type}:${value}`;
}
const idLabel = (i) => `${i.type}: ${i.hashed ? i.value.slice(0, 10) + '… (sha-256)' : i.value}`;
const channelChip = (c) => `<span class="ch ch-${esc(c)}">${esc(c.replace('_', ' '))}</span>`;

async function loadProfiles() {
  const p = await getJson('/dashboard/api/profiles?limit=30');
  const el = $('#profiles-body');
  if (!p.total) {
    el.innerHTML = `<div class="empty-state"><div class="empty-icon" aria-hidden="true">◎</div><p>No profiles yet. Browse the shop with consent, sign in, or ring up a sale at the <a href="/staff/till">store till</a>.</p></div>`;
    return;
  }
  el.innerHTML = `<p class="meta"><strong>${nf.format(p.total)}</strong> unified profile${p.total === 1 ? '' : 's'}, most recently active first</p>
    <ul class="profile-list">${p.profiles
      .map((x) => {
        const strong = x.identities.filter((i) => i.type !== 'anonymous_id');
        const devices = x.identities.length - strong.length;
        return `<li><button type="button" data-profile="${esc(x.profileId)}" aria-current="${x.profileId === openProfileId}">
          <strong>${strong.length ? esc(idLabel(strong[0])) : 'anonymous'}</strong><br>
          <span class="dim small">${devices} device id${devices === 1 ? '' : 's'} · ${strong.length} other identit${strong.length === 1 ? 'y' : 'ies'} · ${esc(utc(x.updatedAt))}</span></button></li>`;
      })
      .join('')}</ul>`;
}

/** The identity graph as inline SVG: the profile in the middle, merged-in profiles around it, identities around those. */
function graphSvg(p) {
  const W = 640;
  const H = 380;
  const cx = W / 2;
  const cy = H / 2;
  const members = [p.profileId, ...p.mergedProfileIds];
  const pos = new Map([[p.profileId, { x: cx, y: cy }]]);
  const others = members.slice(1);
  others.forEach((m, i) => {
    const a = (2 * Math.PI * i) / Math.max(others.length, 1) - Math.PI / 2;
    pos.set(m, { x: cx + Math.cos(a) * 120, y: cy + Math.sin(a) * 95 });
  });
  const parts = [];
  const labels = [];
  for (const m of others) {
    const a = pos.get(m);
    parts.push(`<line class="edge edge-merged" x1="${cx}" y1="${cy}" x2="${a.x.toFixed(1)}" y2="${a.y.toFixed(1)}"><title>merged into this profile</title></line>`);
  }
  for (const m of members) {
    const own = p.identities.filter((i) => i.profileId === m);
    const c = pos.get(m);
    const root = m === p.profileId;
    const r = root ? 150 : 70;
    own.forEach((id, i) => {
      // the root's identities on a wide ring, a merged profile's fanned outwards from it
      const base = root ? -Math.PI / 2 : Math.atan2(c.y - cy, c.x - cx);
      const spread = root ? 2 * Math.PI : Math.PI * 0.9;
      const a = root ? base + (spread * i) / Math.max(own.length, 1) : base - spread / 2 + (spread * (i + 0.5)) / own.length;
      const x = Math.min(W - 12, Math.max(12, c.x + Math.cos(a) * r));
      const y = Math.min(H - 12, Math.max(12, c.y + Math.sin(a) * (root ? r * 0.78 : r)));
      parts.push(`<line class="edge" x1="${c.x.toFixed(1)}" y1="${c.y.toFixed(1)}" x2="${x.toFixed(1)}" y2="${y.toFixed(1)}"/>`);
      const anchor = x < cx - 20 ? 'end' : x > cx + 20 ? 'start' : 'middle';
      const dx = anchor === 'end' ? -10 : anchor === 'start' ? 10 : 0;
      labels.push(`<g class="id-node" data-type="${esc(id.type)}"><circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="7" fill="${typeColor(id.type)}"><title>${esc(id.type)}: ${esc(id.value)}${id.hashed ? ' (SHA-256 hashed)' : ''}</title></circle>
        <text x="${(x + dx).toFixed(1)}" y="${(y + (anchor === 'middle' ? (y < cy ? -12 : 18) : 4)).toFixed(1)}" text-anchor="${anchor}">${esc(idLabel(id).slice(0, 34))}</text></g>`);
    });
  }
  for (const m of members) {
    const c = pos.get(m);
    const root = m === p.profileId;
    labels.push(`<g class="profile-node"><circle cx="${c.x}" cy="${c.y}" r="${root ? 20 : 13}" fill="${root ? '#4f46e5' : '#a5b4fc'}"><title>profile ${esc(m)}${root ? '' : ' (merged in)'}</title></circle>
      <text x="${c.x}" y="${c.y + 4}" text-anchor="middle" style="fill:#fff;font-weight:700">${root ? 'P' : 'p'}</text></g>`);
  }
  return `<svg class="graph" id="identity-graph" viewBox="0 0 ${W} ${H}" role="img" aria-label="Identity graph: ${p.identities.length} identities in ${members.length} linked profile${members.length === 1 ? '' : 's'}">${parts.join('')}${labels.join('')}</svg>`;
}

async function showProfile(id, { quiet = false } = {}) {
  const detail = $('#profile-detail');
  let p;
  try {
    p = await getJson(`/dashboard/api/profile?id=${encodeURIComponent(id)}`);
  } catch (e) {
    if (!quiet) detail.innerHTML = `<p class="dim">${esc(e.message)}</p>`;
    return;
  }
  openProfileId = p.profileId;
  for (const b of document.querySelectorAll('[data-profile]')) b.setAttribute('aria-current', String(b.dataset.profile === openProfileId));
  const touch = (t) => (t ? `${channelChip(t.channel)} ${esc(t.arrivalChannel ?? '')}${t.campaign?.name ? ` · campaign <strong>${esc(t.campaign.name)}</strong>` : ''}${t.campaign?.source ? ` (${esc(t.campaign.source)}${t.campaign.medium ? ' / ' + esc(t.campaign.medium) : ''})` : ''} <span class="dim small">${esc(utc(t.timestamp))}</span>` : '<span class="dim">–</span>');
  const traits = Object.entries(p.traits);
  detail.innerHTML = `
    <h3>Profile <code id="profile-id">${esc(p.profileId)}</code></h3>
    <div class="facts">
      <span><b>Touchpoints</b><span id="profile-touchpoints">${nf.format(p.touchpoints.total)}</span></span>
      <span><b>Devices</b><span id="profile-devices">${p.devices.length}</span></span>
      <span><b>Channels</b><span id="profile-channels">${p.channels.map(channelChip).join(' ')}</span></span>
      <span><b>Consent now</b>${chips((p.consent.latest?.categories ?? []).filter((c) => c !== 'necessary'), 'chip-ok')}</span>
    </div>
    <div class="facts"><span><b>First touch</b>${touch(p.attribution.firstTouch)}</span><span><b>Last touch</b>${touch(p.attribution.lastTouch)}</span></div>
    <h3>Identity graph</h3>
    ${graphSvg(p)}
    <h3>Devices</h3>
    <ul class="small" id="profile-device-list">${p.devices.map((d) => `<li><code>${esc(d.anonymousId)}</code> · ${d.touchpoints} touchpoints · ${esc(utc(d.firstSeenAt))} → ${esc(utc(d.lastSeenAt))}</li>`).join('') || '<li class="dim">none</li>'}</ul>
    ${traits.length ? `<h3>Traits</h3><div class="facts">${traits.map(([k, v]) => `<span title="${esc(v.timestamp)}"><b>${esc(k)}</b>${esc(typeof v.value === 'object' ? JSON.stringify(v.value) : v.value)}</span>`).join('')}</div>` : ''}
    <h3>Timeline across channels and devices</h3>
    <div class="table-wrap"><table class="table" id="profile-timeline"><thead><tr><th scope="col">When (UTC)</th><th scope="col">Channel</th><th scope="col">Touchpoint</th><th scope="col">Device / source</th><th scope="col">Details</th></tr></thead>
      <tbody>${p.timeline
        .slice()
        .reverse()
        .map((t) => `<tr data-channel="${esc(t.channel)}" data-message-id="${esc(t.messageId)}"><td class="nowrap">${esc(utc(t.timestamp))}</td><td>${channelChip(t.channel)}${t.arrivalChannel ? ` <span class="dim small">${esc(t.arrivalChannel)}</span>` : ''}</td>
          <td>${eventLabel(t)}</td><td>${short(t.anonymousId, 12)}</td><td class="details">${details({ path: t.path, properties: { ...t.properties, identities: Array.isArray(t.properties.identities) ? t.properties.identities.join(', ') : undefined } })}</td></tr>`)
        .join('')}</tbody></table></div>
    <h3>Consent history</h3>
    <div class="table-wrap"><table class="table" id="profile-consent"><thead><tr><th scope="col">When (UTC)</th><th scope="col">Device</th><th scope="col">Granted</th><th scope="col">Policy</th></tr></thead>
      <tbody>${p.consent.history.slice().reverse().map((h) => `<tr><td class="nowrap">${esc(utc(h.timestamp))}</td><td>${short(h.anonymousId, 12)}</td><td>${chips(h.categories.filter((c) => c !== 'necessary'), 'chip-ok')}</td><td>${esc(h.policyVersion ?? '')}</td></tr>`).join('') || '<tr class="empty-row"><td colspan="4">No consent snapshots.</td></tr>'}</tbody></table></div>`;
}

async function loadMerges() {
  const { merges } = await getJson('/dashboard/api/merges?limit=100');
  $('#merges-body').innerHTML = merges.length
    ? merges
        .map((m) => `<tr><td>${esc(m.mergeId)}</td><td class="nowrap">${esc(utc(m.createdAt))}</td><td class="status-${esc(m.status)}">${esc(m.status)}</td>
          <td><a href="?profile=${encodeURIComponent(m.survivingProfileId)}#profiles" data-profile-link="${esc(m.survivingProfileId)}">${esc(m.survivingProfileId.slice(0, 8))}…</a></td>
          <td><a href="?profile=${encodeURIComponent(m.absorbedProfileId)}#profiles" data-profile-link="${esc(m.absorbedProfileId)}">${esc(m.absorbedProfileId.slice(0, 8))}…</a></td>
          <td>${esc(m.reason)}</td><td>${short(m.messageId)}</td>
          <td>${m.status === 'merged' ? `<button type="button" class="btn btn-ghost" data-undo="${esc(m.mergeId)}">Undo</button>` : ''}</td></tr>`)
        .join('')
    : '<tr class="empty-row"><td colspan="8">No merges yet.</td></tr>';
}

async function refreshProfiles() {
  await Promise.all([loadProfiles(), loadMerges(), openProfileId ? showProfile(openProfileId, { quiet: true }) : undefined]);
}
const refreshProfilesSoon = () => {
  clearTimeout(profilesTimer);
  profilesTimer = setTimeout(() => refreshProfiles().catch(showError), 300);
};

function wireProfiles() {
  $('#profiles-body').addEventListener('click', (e) => {
    const b = e.target.closest('[data-profile]');
    if (b) showProfile(b.dataset.profile).catch(showError);
  });
  $('#merges-body').addEventListener('click', async (e) => {
    const link = e.target.closest('[data-profile-link]');
    if (link) {
      e.preventDefault();
      showProfile(link.dataset.profileLink).catch(showError);
      $('#profiles').scrollIntoView();
      return;
    }
    const undo = e.target.closest('[data-undo]');
    if (!undo) return;
    undo.disabled = true;
    const res = await fetch(`/dashboard/api/merges/${encodeURIComponent(undo.dataset.undo)}/undo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    if (!res.ok) showError(new Error((await res.json().catch(() => ({})))?.error?.message ?? `undo failed: HTTP ${res.status}`));
    refreshProfilesSoon();
  });
  $('#profile-search').addEventListener('submit', async (e) => {
    e.preventDefault();
    const meta = $('#profile-search-meta');
    const q = await identityQuery($('#profile-query').value);
    if (!q) return void (meta.textContent = 'Search as type:value, e.g. loyalty_id:L-1001, email:someone@example.com or anonymous_id:…');
    try {
      const p = await getJson(`/dashboard/api/profile?identity=${encodeURIComponent(q)}`);
      meta.textContent = `Found profile ${p.profileId}`;
      await showProfile(p.profileId);
    } catch (err) {
      meta.textContent = `No profile for ${q}: ${err.message}`;
    }
  });
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
  wireProfiles();
  connect();
  await Promise.all([
    loadSummary(),
    getJson('/dashboard/api/events?limit=50').then((r) => r.events.reverse().forEach((e) => addLive(e, false))),
    loadConsent(),
    refreshProfiles(),
  ]).catch(showError);
}
boot();
