/**
 * The process-registry schema's own migrations, oldest first, after the shared service_instance one.
 * Generate a new one with: npx nx run process-registry:migration-generate --name=<Name>
 */
import { OutboxTable1764028900000 } from '@flowline/messaging';
import { RegistryTables1795574237264 } from './1795574237264-RegistryTables';
import { SeedDefaultEntities1795574300000 } from './1795574300000-SeedDefaultEntities';

export const RegistryMigrations: Array<new () => unknown> = [
  OutboxTable1764028900000,
  RegistryTables1795574237264,
  SeedDefaultEntities1795574300000,
];
