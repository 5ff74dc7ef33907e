/**
 * Types of demo/dashboard-api.mjs for TypeScript callers. Declarations only; never holds code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Collector } from '../src/collector/index';

/** Columns of the consent CSV export, in order. */
export declare const CONSENT_CSV_COLUMNS: readonly string[];
/** One RFC 4180 CSV field, with spreadsheet-formula neutralising. */
export declare function csvField(value: unknown): string;
/** Parses the consent-log query filters into a WHERE clause with parameters, or an error. */
export declare function consentFilters(params: URLSearchParams): { error: string } | { error?: undefined; where: string; values: unknown[]; limit: number };
/** Creates the dashboard's JSON/SSE API over the collector's database. */
export declare function createDashboardApi(options: { collector: Collector; log?: (line: string) => void }): {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  close(): void;
};
