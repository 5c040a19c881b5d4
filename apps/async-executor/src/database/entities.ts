/** Every TypeORM entity of the async-executor schema; the migrations must create exactly these. */
export const ExecutorEntities: Array<new () => unknown> = [];
