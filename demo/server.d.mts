/**
 * Types of demo/server.mjs for TypeScript callers (the e2e tests). Declarations only; imports the collector's types.
 * Never holds code.
 */
import type { Server } from 'node:http';
import type { Collector } from '../src/collector/index';

/** The write key the demo shop sends with. */
export declare const DEMO_WRITE_KEY: string;

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
