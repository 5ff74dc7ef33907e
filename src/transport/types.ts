/**
 * The delivery contract between the outbox flusher and the transports. Types only. Imports: schema types.
 */
import type { TouchpointEvent } from '../schema/event';

/** What became of one batch: delivered, worth retrying later, or never deliverable. */
export type SendOutcome = 'sent' | 'retry' | 'drop';

export interface SendResult {
  outcome: SendOutcome;
  /** Server-requested wait before the next try (from Retry-After), in ms. */
  retryAfterMs?: number;
  /** messageIds the collector rejected as invalid while it accepted the rest (outcome 'sent'). */
  rejected?: string[];
  /** HTTP status, or 0 for a network error. */
  status: number;
  /** Short text for `touchpoint.debug()` when the batch was not sent. */
  error?: string;
}

/** Sends one batch. `unload` means the page is hiding: use keepalive/beacon and do not wait for an answer. */
export type Send = (events: TouchpointEvent[], options?: { unload?: boolean; dropped?: number }) => Promise<SendResult>;

/** A delivery destination as the flusher drives it: its name, the categories it receives and its transport. */
export interface Destination {
  /** Stable name; outbox records remember by it which destinations still wait for them. */
  name: string;
  /** Consent categories this destination receives; every category when undefined. */
  categories?: string[];
  send: Send;
  /** Bytes of the body `send(events, { unload: true })` would post, or Infinity when it cannot send on page hide now. */
  measure?(events: TouchpointEvent[]): number;
}
