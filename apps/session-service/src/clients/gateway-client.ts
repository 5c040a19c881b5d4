/**
 * The gateway's Execute, as dialogs use it: every record a session reads or changes goes
 * through the pipeline (so plug-ins and workflows see it), as a service acting for the person,
 * with an idempotency key for everything that changes data.
 */
import { Injectable } from '@nestjs/common';
import type { ServiceCredential } from '@flowline/auth';
import { GatewayExecuteClient, type ExecuteCall, type ExecuteOutcome } from '@flowline/service-kit';
import { SERVICE } from '../config';

export type { ExecuteCall, ExecuteOutcome } from '@flowline/service-kit';

/** What a session needs from the gateway: an injectable port, so the session runner is testable without I/O. */
export abstract class RecordGateway {
  abstract execute(call: ExecuteCall): Promise<ExecuteOutcome>;
}

@Injectable()
export class GatewayClient extends RecordGateway {
  private readonly client = new GatewayExecuteClient(SERVICE.name, 15_000);

  configure(address: string, credential: ServiceCredential): void {
    this.client.configure(address, credential);
  }

  execute(call: ExecuteCall): Promise<ExecuteOutcome> {
    return this.client.execute(call);
  }

  close(): void {
    this.client.close();
  }
}
