/**
 * Console logging for developers: silent unless debug mode is on, except for errors that must be seen once.
 * Imports nothing. Never throws.
 */

/** A logger bound to the debug flag; `error` always prints (used once for fail-closed configs). */
export interface Log {
  debug: boolean;
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
  info(message: string, detail?: unknown): void;
}

const PREFIX = '[touchpoint]';

export function createLog(debug = false): Log {
  const out = (level: 'warn' | 'error' | 'info', message: string, detail?: unknown) => {
    try {
      const c = console[level];
      detail === undefined ? c(PREFIX, message) : c(PREFIX, message, detail);
    } catch {
      // a page that replaced console must not break us
    }
  };
  const gated = (level: 'warn' | 'info') => (m: string, d?: unknown) => log.debug && out(level, m, d);
  const log: Log = { debug, warn: gated('warn'), info: gated('info'), error: (m, d) => out('error', m, d) };
  return log;
}
