/**
 * The session-service schema's own migrations, oldest first, after the shared service_instance one.
 * Generate a new one with: npx nx run session-service:migration-generate --name=<Name>
 */
export const SessionMigrations: Array<new () => unknown> = [];
