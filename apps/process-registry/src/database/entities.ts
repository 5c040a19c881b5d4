/** Every TypeORM entity of the process-registry schema; the migrations must create exactly these. */
export const RegistryEntities: Array<new () => unknown> = [];
