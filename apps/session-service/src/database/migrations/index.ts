/**
 * The session-service schema's own migrations, oldest first, after the shared service_instance one.
 * Generate a new one with: npx nx run session-service:migration-generate --name=<Name>
 */
import { OutboxTable1764028900000 } from '@flowline/messaging';
import { ProcessSessions1795624919024 } from './1795624919024-ProcessSessions';

export const SessionMigrations: Array<new () => unknown> = [OutboxTable1764028900000, ProcessSessions1795624919024];
