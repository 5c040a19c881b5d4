// OpenAPI 3.1 from the zod schemas REST controllers validate with.
export * from './api-route';
export * from './api-schemas';
export * from './openapi-document';
export * from './openapi.module';
export * from './zod-violations';
