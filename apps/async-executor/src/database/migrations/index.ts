/**
 * The async-executor schema's own migrations, oldest first, after the shared service_instance one.
 * Generate a new one with: npx nx run async-executor:migration-generate --name=<Name>
 */
export const ExecutorMigrations: Array<new () => unknown> = [];
