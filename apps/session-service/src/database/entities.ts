/** Every TypeORM entity of the session-service schema; the migrations must create exactly these. */
import { OutboxMessageRow } from '@flowline/messaging';
import { ProcessSessionRow } from '../sessions/process-session.entity';
import { SessionActionRow } from '../sessions/session-action.entity';

export const SessionEntities: Array<new () => unknown> = [ProcessSessionRow, SessionActionRow, OutboxMessageRow];
