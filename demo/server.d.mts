/**
 * Types of demo/server.mjs for TypeScript callers (the e2e tests). Declarations only; imports the collector's types.
 * Never holds code.
 */
import type { Server } from 'node:http';
import type { Collector } from '../src/collector/index';

/** The write key the demo shop sends with. */
export declare const DEMO_WRITE_KEY: string;
/** The write key of the demo's server-side touchpoints (till, call centre). */
export declare const DEMO_SERVER_KEY: string;

/** What the till and call-centre pages post to /staff/api/touchpoint. */
export interface StaffTouchpointInput {
  kind: 'store_purchase' | 'call_center_contact' | 'email_click';
  loyaltyId?: string;
  customerId?: string;
  email?: string;
  storeId?: string;
  topic?: string;
  agentId?: string;
  items?: { product_id: string; sku?: string; name?: string; price: number; quantity?: number }[];
}
/** Builds the server-side event for a staff page's input, or says what is wrong with it. */
export declare function buildStaffEvent(input: unknown): { event: Record<string, unknown>; lookup: { type: string; value: string } } | { error: string };

/** The shop's customer number from the e-mail, as the shop page derives it (FNV-1a). */
export declare function customerId(email: string): string;

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Port to listen on; 0 picks a free one. @defaultValue `PORT` or 8080 */
  port?: number;
  /** Interface to listen on. @defaultValue `HOST` or 127.0.0.1 (plus ::1 when available) */
  host?: string;
  /** Also listen on ::1 when host is 127.0.0.1. @defaultValue true */
  ipv6?: boolean;
  /** PGlite directory. @defaultValue `TOUCHPOINT_DATA_DIR` or `.touchpoint` */
  dataDir?: string;
  /** `postgres://…` or `memory://`. @defaultValue `DATABASE_URL` */
  databaseUrl?: string;
  writeKey?: string;
  /** Secret key of the collector's profile API. @defaultValue `TOUCHPOINT_SECRET_KEY`, else a random one logged at start */
  secretKey?: string;
  /**
   * The collector's identity verification secret, with which /shop/api/login signs the customer number (user_hash).
   * @defaultValue `TOUCHPOINT_IDENTITY_SECRET`, else a random one per run
   */
  identitySecret?: string;
  /** Origins allowed besides localhost / 127.0.0.1 / [::1] on the chosen port. */
  allowedOrigins?: string[];
  /** Sets `debug: true` in the injected `touchpoint.init`. */
  debug?: boolean;
  /** Where the built SDK and collector are. @defaultValue `dist/` of the repository */
  distDir?: string;
  log?: (line: string) => void;
}

/** A running demo. */
export interface Demo {
  /** `http://localhost:PORT` */
  url: string;
  /** `http://127.0.0.1:PORT` */
  loopbackUrl: string;
  port: number;
  collector: Collector;
  server: Server;
  close(): Promise<void>;
}

/** Starts the demo server: shop, dashboard, SDK files and collector on one port. */
export declare function startDemo(options?: DemoOptions): Promise<Demo>;

/** The inline snippet and `touchpoint.init` call the shop pages get. */
export declare function snippetHtml(options?: { writeKey?: string; distDir?: string; debug?: boolean }): string;
