// TypeORM setup shared by the services: DataSource per schema, migrations, health probe.
export * from './service-data-source';
export * from './migration-command';
export * from './prepared-statement';
export * from './time-ordered-id';
