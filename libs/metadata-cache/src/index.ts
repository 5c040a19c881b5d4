// The metadata cache every service keeps: snapshot over gRPC, kept current by registry changes.
export * from './subscription-resolution';
export * from './entity-from-proto';
export * from './metadata-cache';
export * from './metadata-cache.module';
