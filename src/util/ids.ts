/**
 * Random identifiers (UUID v4) for messageIds, consent ids and device ids. Imports nothing. Never derives ids from
 * anything about the visitor.
 */

/** A random RFC 4122 v4 UUID; uses crypto.randomUUID where present (secure contexts), getRandomValues otherwise. */
export function uuid(): string {
  const c = globalThis.crypto;
  return c.randomUUID
    ? c.randomUUID()
    : // each 0, 1 or 8 of the template becomes a random hex digit; the 4 (version) and the variant bits stay
      '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (d) => (+d ^ (c.getRandomValues(new Uint8Array(1))[0] & (15 >> (+d / 4)))).toString(16));
}
