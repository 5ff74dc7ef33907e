/**
 * Small real seams for the consent tests: a counting in-memory storage, a quiet logger, a config builder.
 * Imports: src/consent, src/util. Never touches real cookies.
 */
import { DEFAULT_CONSENT_CONFIG } from '../../../src/consent/default-config';
import type { ConsentStorage } from '../../../src/consent/types';
import type { Log } from '../../../src/util/log';

export function memoryStorage(initial: string | null = null) {
  let value = initial;
  const calls: string[] = [];
  const storage: ConsentStorage = {
    read: () => (calls.push('read'), value),
    write: (v) => void (calls.push('write'), (value = v)),
    remove: () => void (calls.push('remove'), (value = null)),
  };
  return { storage, calls, get value() { return value; } };
}

export function quietLog(): Log & { errors: unknown[][]; warnings: unknown[][] } {
  const errors: unknown[][] = [];
  const warnings: unknown[][] = [];
  return { debug: true, errors, warnings, warn: (...a) => void warnings.push(a), error: (...a) => void errors.push(a), info() {} };
}

export const config = (patch: Record<string, unknown> = {}) => structuredClone({ ...DEFAULT_CONSENT_CONFIG, ...patch }) as Record<string, unknown>;

/** Lets pending promises (SubtleCrypto digests, the banner import) settle. */
export const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5));
};
