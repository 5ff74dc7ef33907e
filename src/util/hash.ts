/**
 * Hashes shared by consent and identity: SHA-256 hex via SubtleCrypto (proof text hashes, hashed identity links) and a
 * tiny FNV-1a checksum (policy fingerprints, linker tokens, session campaign keys). Imports nothing. Never throws.
 */

/**
 * SHA-256 of `s` as lowercase hex; `undefined` where SubtleCrypto is missing (insecure contexts) or fails.
 * @param s - the text to hash
 * @param subtle - SubtleCrypto to use @defaultValue globalThis.crypto.subtle
 * @example
 * await sha256Hex('abc'); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export async function sha256Hex(s: string, subtle: SubtleCrypto | null | undefined = globalThis.crypto?.subtle): Promise<string | undefined> {
  try {
    const d = new Uint8Array(await subtle!.digest('SHA-256', new TextEncoder().encode(s)));
    return Array.from(d, (b) => (b + 256).toString(16).slice(1)).join('');
  } catch {
    return undefined;
  }
}

/**
 * FNV-1a (32 bit) of `s` in base 36: a short, stable, non-cryptographic checksum; never proof of anything.
 * @example
 * fnv1a('1|analytics|marketing|necessary') // a 6–7 character string
 */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}
