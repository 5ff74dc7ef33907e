/** Public schema entry (`touchpoint/schema`): the zod schemas and their JSON Schema export. Imports: zod. */
export * from './event';
export * from './consent-record';
export * from './iglu';
