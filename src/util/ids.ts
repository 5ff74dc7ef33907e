/**
 * Random identifiers (UUID v4) for messageIds, consent ids and device ids. Imports nothing. Never derives ids from
 * anything about the visitor.
 */

/** A random RFC 4122 v4 UUID; uses crypto.randomUUID where present, getRandomValues otherwise. */
export function uuid(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
