/**
 * Hashes for consent proof and policy comparison: SHA-256 via SubtleCrypto for the shown texts (R11) and a tiny
 * FNV-1a fingerprint of the material policy parts (R12). Imports nothing. Never throws.
 */

/**
 * SHA-256 of `text` as lowercase hex; `undefined` where SubtleCrypto is missing (insecure contexts).
 * @example
 * await sha256Hex('abc') // → 'ba7816bf…'
 */
export async function sha256Hex(text: string): Promise<string | undefined> {
  try {
    const d = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
    return Array.from(new Uint8Array(d), (b) => (b + 256).toString(16).slice(1)).join('');
  } catch {
    return undefined;
  }
}

/**
 * A short, stable, non-cryptographic fingerprint (FNV-1a, base 36) for comparing policy versions; not proof.
 * @example
 * fingerprint('1|analytics|marketing|necessary') // → '1x2k9q'
 */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x1000193);
  return (h >>> 0).toString(36);
}
