/** Every TypeORM entity of the event-gateway schema; the migrations must create exactly these. */
export const GatewayEntities: Array<new () => unknown> = [];
