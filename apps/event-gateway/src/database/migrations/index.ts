/**
 * The event-gateway schema's own migrations, oldest first, after the shared service_instance one.
 * Generate a new one with: npx nx run event-gateway:migration-generate --name=<Name>
 */
export const GatewayMigrations: Array<new () => unknown> = [];
