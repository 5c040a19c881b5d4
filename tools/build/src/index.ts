// Production build of the services.
export * from './build';
