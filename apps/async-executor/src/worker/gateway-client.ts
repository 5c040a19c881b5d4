/** Record messages a workflow executes, through the gateway's Execute (depth + 1, idempotency key per step). */
import { Injectable } from '@nestjs/common';
import { GatewayExecuteClient } from '@flowline/service-kit';
import { SERVICE } from '../config';

export type { ExecuteCall, ExecuteOutcome } from '@flowline/service-kit';

@Injectable()
export class GatewayClient extends GatewayExecuteClient {
  constructor() {
    super(SERVICE.name, 30_000);
  }
}
