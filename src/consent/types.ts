/**
 * The contract between core and the consent service: state, decisions, and change notifications.
 * Types only. Imports: schema types. Core is the only importer; consent never imports core.
 */
import type { ConsentMethod, ConsentRecord } from '../schema/consent-record';

/** Built-in categories; privacy officers may add custom ones. `necessary` is always granted. */
export type Category = 'necessary' | 'analytics' | 'marketing' | 'personalization' | (string & {});

/** Where the visitor stands. `pending` means undecided, which counts as denied for everything but `necessary`. */
export interface ConsentState {
  status: 'pending' | 'decided';
  /** Granted categories (always includes 'necessary'). */
  granted: Category[];
  /** Denied categories (every known non-necessary category not granted, once decided). */
  denied: Category[];
  method?: ConsentMethod;
  policyVersion: string;
  /** ISO time of the decision. */
  decidedAt?: string;
  consentId?: string;
  /** Whether the visitor's browser sent GPC or DNT. */
  signal?: 'gpc' | 'dnt';
}

/** What the consent service offers core and, through core, the page (`touchpoint.consent`). */
export interface ConsentManager {
  /** Current state (a copy). */
  get(): ConsentState;
  /** True when `category` may be used now. */
  allows(category: Category): boolean;
  /** Records a decision from code (another CMP, the page): unknown categories are denied. */
  set(choices: Record<string, boolean>, options?: { method?: ConsentMethod }): ConsentState;
  /** Opens the preferences layer (loads the banner chunk if needed). */
  open(): void;
  /** Subscribes to decisions; the handler gets the new and the previous state. */
  onChange(handler: (state: ConsentState, previous: ConsentState) => void): () => void;
  /** The proof record of the last decision, if any. */
  record(): ConsentRecord | undefined;
}
