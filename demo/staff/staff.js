/**
 * The demo staff pages: the till rings up a receipt and the call centre logs a contact; both post to the demo server's
 * /staff/api/touchpoint, which sends the server-side touchpoint to the collector. Imports: the shop catalogue. Never
 * hashes or stores anything itself and never puts input into the page unescaped.
 */
import { PRODUCTS } from '/assets/catalog.js';

const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const eur = (n) => `${n.toFixed(2)} €`;

async function postTouchpoint(body) {
  const out = $('#staff-result');
  out.dataset.state = '';
  out.textContent = 'Sending…';
  try {
    const res = await fetch('/staff/api/touchpoint', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await res.json();
    if (!res.ok) throw new Error(answer?.error?.message ?? `HTTP ${res.status}`);
    out.dataset.state = 'ok';
    const link = answer.profileId ? ` <a href="/dashboard?profile=${encodeURIComponent(answer.profileId)}#profiles">Open the customer's profile</a>` : '';
    out.innerHTML = `Sent <code>${esc(answer.event.event)}</code> (channel <code>${esc(answer.event.context.channel)}</code>): collector accepted ${esc(answer.collector.accepted)}.${link}`;
    return true;
  } catch (error) {
    out.dataset.state = 'error';
    out.textContent = `Not sent: ${error.message}`;
    return false;
  }
}

function till() {
  const receipt = [];
  const select = $('#till-product');
  select.innerHTML = PRODUCTS.map((p) => `<option value="${esc(p.id)}">${esc(p.name.en)} · ${eur(p.price)}</option>`).join('');
  const render = () => {
    $('#receipt-body').innerHTML = receipt.length
      ? receipt.map((r, i) => `<tr><td>${esc(r.name)}</td><td>${r.quantity}</td><td>${eur(r.price * r.quantity)}</td><td><button type="button" class="remove" data-remove="${i}" aria-label="Remove ${esc(r.name)}">×</button></td></tr>`).join('')
      : '<tr class="empty-row"><td colspan="4">No products on the receipt yet.</td></tr>';
    $('#receipt-total').textContent = eur(receipt.reduce((s, r) => s + r.price * r.quantity, 0));
  };
  $('#till-add').addEventListener('click', () => {
    const p = PRODUCTS.find((x) => x.id === select.value);
    const quantity = Math.min(99, Math.max(1, Math.floor(Number($('#till-qty').value) || 1)));
    if (!p) return;
    const held = receipt.find((r) => r.product_id === p.id);
    if (held) held.quantity += quantity;
    else receipt.push({ product_id: p.id, sku: p.sku, name: p.name.en, price: p.price, quantity });
    render();
  });
  $('#receipt-body').addEventListener('click', (e) => {
    const i = e.target?.dataset?.remove;
    if (i === undefined) return;
    receipt.splice(Number(i), 1);
    render();
  });
  $('#till-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const loyaltyId = form.elements.namedItem('loyaltyId').value.trim();
    if (!loyaltyId) {
      $('#staff-result').dataset.state = 'error';
      $('#staff-result').textContent = 'Scan or type the loyalty card number first.';
      return $('#loyalty-id').focus();
    }
    const ok = await postTouchpoint({ kind: 'store_purchase', loyaltyId, email: form.elements.namedItem('email').value, storeId: form.elements.namedItem('storeId').value, items: receipt });
    if (ok) {
      receipt.length = 0;
      render();
    }
  });
}

function callCentre() {
  $('#call-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.currentTarget.elements;
    const v = (name) => f.namedItem(name).value;
    void postTouchpoint({ kind: v('kind'), customerId: v('customerId'), email: v('email'), topic: v('topic'), agentId: v('agentId') });
  });
}

if (document.body.dataset.page === 'till') till();
else callCentre();
