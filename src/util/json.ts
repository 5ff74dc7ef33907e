/**
 * Safe JSON for user-supplied properties: cyclic, non-serializable or oversized values become a clear error value
 * instead of a throw. Imports nothing.
 */

/** Serializes `value`; returns `undefined` when it cannot be represented as JSON (cycles, BigInt, throwing toJSON). */
export function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** UTF-8 length of a string without allocating a Blob. */
export function byteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? (i++, 4) : 3;
  }
  return n;
}
