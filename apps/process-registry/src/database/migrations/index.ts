/**
 * The process-registry schema's own migrations, oldest first, after the shared service_instance one.
 * Generate a new one with: npx nx run process-registry:migration-generate --name=<Name>
 */
export const RegistryMigrations: Array<new () => unknown> = [];
