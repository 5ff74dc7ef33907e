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

/**
 * Whether objects and arrays in `value` nest more than `limit` levels (`{}` is one level); walks no deeper than
 * that, so a cycle or a 10,000-level value answers true without exhausting the stack.
 */
export function nestsDeeper(value: unknown, limit: number): boolean {
  if (!value || typeof value != 'object') return false;
  if (limit < 1) return true;
  for (const k in value) if (nestsDeeper((value as Record<string, unknown>)[k], limit - 1)) return true;
  return false;
}

/**
 * `json` (from JSON.stringify, which writes a lone UTF-16 surrogate as a `\udXXX` escape) with each lone surrogate
 * replaced by U+FFFD, or undefined when it has none; a title cut inside an emoji must not make an event that a
 * collector cannot store.
 */
export function repairSurrogates(json: string): string | undefined {
  if (!/\\ud[89a-f]/.test(json)) return;
  // an odd run of backslashes ends in an escape; an even one is escaped backslashes followed by plain text
  const out = json.replace(/(\\+)ud[89a-f][0-9a-f]{2}/g, (m, run: string) => (run.length & 1 ? run.slice(1) + '\ufffd' : m));
  return out == json ? undefined : out;
}
