/** Every TypeORM entity of the session-service schema; the migrations must create exactly these. */
export const SessionEntities: Array<new () => unknown> = [];
