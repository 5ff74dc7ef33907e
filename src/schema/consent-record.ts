/**
 * The consent proof record: one per decision, kept locally as the strictly necessary consent record and posted to
 * `POST /v1/consent`. Carries no tracking identifier. Imports: zod.
 */
import { z } from 'zod';

export const CONSENT_METHODS = ['accept_all', 'reject_all', 'custom', 'withdrawal', 'api', 'cmp', 'gpc', 'dnt', 'tcf'] as const;

export const consentRecordSchema = z.object({
  /** Random id of this decision; never the device id. */
  consentId: z.string().min(8).max(64),
  /** When the decision was made, ISO-8601 UTC. */
  timestamp: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 date-time' }),
  policyVersion: z.string().min(1).max(64),
  /** SHA-256 (hex) of the texts shown in `locale`. */
  textHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'),
  locale: z.string().min(2).max(35),
  granted: z.array(z.string().max(64)).max(50),
  denied: z.array(z.string().max(64)).max(50),
  method: z.enum(CONSENT_METHODS),
  /** Which UI layer the decision was made on, when it came from the banner. */
  layer: z.enum(['banner', 'preferences', 'none']).optional(),
  sdkVersion: z.string().max(32),
  /** The TCF TC string, only when the decision came from a TCF CMP. */
  tcString: z.string().max(10000).optional(),
  /** The IAB GPP string, only when the decision came from a GPP CMP. */
  gppString: z.string().max(10000).optional(),
  /** When the decision expires, ISO-8601 UTC. */
  expiresAt: z.string().optional(),
}).strict();

export type ConsentRecord = z.infer<typeof consentRecordSchema>;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/** Body of `POST /v1/consent`: one record or `{ records: [...] }`. */
export const consentBodySchema = z.union([consentRecordSchema, z.object({ records: z.array(z.unknown()).min(1).max(100) })]);
