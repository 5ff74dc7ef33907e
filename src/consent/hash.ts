/**
 * Hashes for consent proof (SHA-256 of the shown texts, R11) and policy comparison (FNV-1a fingerprint of the material
 * parts, R12): the shared implementations in util. Re-exports only.
 */
export { sha256Hex, fnv1a as fingerprint } from '../util/hash';
