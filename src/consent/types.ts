/**
 * The contract between core and the consent service: state, decisions, and change notifications.
 * Types only. Imports: schema types. Core is the only importer; consent never imports core.
 */
import type { ConsentMethod, ConsentRecord } from '../schema/consent-record';
import type { ConsentConfig, ConsentTexts } from '../schema/consent-config';

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
  /** Opens the preferences layer (loads the banner chunk if needed); focus returns to `opener` on close. */
  open(opener?: Element | null): void;
  /** Subscribes to decisions; the handler gets the new and the previous state. */
  onChange(handler: (state: ConsentState, previous: ConsentState) => void): () => void;
  /** The proof record of the last decision made on this page, if any (the cookie keeps only the decision). */
  record(): ConsentRecord | undefined;
  /** The validated configuration (core reads `beforeConsent`, `lifetimeDays`). */
  config(): ConsentConfig;
  /** Stops listeners, observers and the TCF listener; the banner is removed. */
  destroy(): void;
}

export type { ConsentConfig, ConsentTexts };

/** Storage for the consent record (the only storage touched before a decision, R1); the default is the `tp_consent` cookie. */
export interface ConsentStorage {
  read(): string | null;
  write(value: string): void;
  remove(): void;
}

/** One category as the banner shows it, in the shown locale. */
export interface BannerCategory {
  id: Category;
  label: string;
  description: string;
  /** True for `necessary`: shown on and disabled. */
  required: boolean;
}

/** A choice made in the banner; `granted` never includes `necessary`. */
export interface BannerDecision {
  action: 'accept_all' | 'reject_all' | 'custom';
  granted: Category[];
  layer: 'banner' | 'preferences';
}

/** What the manager hands the lazily loaded banner chunk: resolved texts, never raw config. */
export interface BannerOptions {
  /** BCP 47 tag of the shown texts; set as `lang` on the banner root. */
  locale: string;
  texts: ConsentTexts;
  categories: BannerCategory[];
  privacyPolicyUrl: string;
  imprintUrl: string;
  /** Categories granted now, so preferences show the visitor's own earlier choice. */
  granted: Category[];
  /** Called once per decision. */
  onDecision(decision: BannerDecision): void;
  /** Show the first layer (`'banner'`), a short GPC/DNT notice, or nothing until `open()` (`'none'`). */
  show: 'banner' | 'notice' | 'none';
  /** Nonce for a `<style>` element when the page's CSP needs one; otherwise a constructable stylesheet is adopted. */
  nonce?: string;
  /** Document to render into. @defaultValue `document` */
  document?: Document;
}

/** A mounted banner. */
export interface BannerHandle {
  /** Opens the preferences dialog; focus returns to `opener` (or the element focused before) on close. */
  open(opener?: Element | null): void;
  /** Updates the switches after a change; hides the first layer, or shows it again when `pending` (re-consent). */
  update(granted: Category[], pending?: boolean): void;
  /** Removes the banner and all its listeners. */
  destroy(): void;
}

/** The lazily loaded banner chunk (`src/consent/banner/index.ts`). */
export interface BannerModule {
  mountBanner(options: BannerOptions): BannerHandle;
}
