/** Node entry for the command line's non-server commands (check-config). Re-exports only. */
export { checkConfig, runCheckConfig } from './consent/check-config';
