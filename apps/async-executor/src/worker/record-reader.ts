/**
 * What a run reads of its records through the gateway, as the operation's owner: the primary
 * record as it is now (a retried run), and on a wake-up the primary and the related records its
 * wait watches. A read that fails because the gateway is unavailable throws
 * DependencyUnavailable: the run is put back, never goes on with its old copy.
 */
import { Injectable } from '@nestjs/common';
import type { Input, InstanceState, Json } from '@flowline/process-runtime';
import type { AsyncOperationRow } from '../operations/async-operation.entity';
import { DependencyUnavailable } from './dependency-failures';
import { GatewayClient } from './gateway-client';

/** The primary record as the interpreter sees it: its attributes and `ref` {entity, id}. */
export function recordOf(operation: AsyncOperationRow, record: Record<string, unknown> | null): Record<string, Json> {
  return { ...(record ?? {}), ref: { entity: operation.primaryEntity, id: operation.regardingId } } as Record<string, Json>;
}

@Injectable()
export class RecordReader {
  constructor(private readonly gateway: GatewayClient) {}

  /** The primary record as it is now (a retried run); the snapshot when the record is gone. */
  async current(operation: AsyncOperationRow): Promise<Record<string, unknown> | null> {
    const found = await this.gateway.execute({
      message: 'Retrieve',
      entity: operation.primaryEntity,
      recordId: operation.regardingId,
      target: {},
      parameters: {},
      idempotencyKey: '',
      depth: operation.depth,
      correlationId: operation.correlationId,
      initiatingUserId: operation.owner,
    });
    if (!found.ok && found.transient)
      throw new DependencyUnavailable(
        'gateway',
        found.code,
        `reading ${operation.primaryEntity} ${operation.regardingId}: ${found.message}`,
      );
    if (found.ok && found.record) return found.record;
    return (operation.input as { postImage?: Record<string, unknown> | null }).postImage ?? null;
  }

  /** A woken run: the record as it is now, and the related records its wait watches. */
  async wakeUp(operation: AsyncOperationRow, state: InstanceState): Promise<Input> {
    const retrieve = (entity: string, id: string) =>
      this.gateway.execute({
        message: 'Retrieve',
        entity,
        recordId: id,
        target: {},
        parameters: {},
        idempotencyKey: '',
        depth: operation.depth,
        correlationId: operation.correlationId,
        initiatingUserId: operation.owner,
      });
    // A read that fails because the gateway is unavailable puts the run back (never skipped: the
    // run would go on with its old copy and later write stale values over a committed step).
    const unavailable = (outcome: Awaited<ReturnType<typeof retrieve>>, what: string): void => {
      if (!outcome.ok && outcome.transient)
        throw new DependencyUnavailable('gateway', outcome.code, `reading ${what} on wake-up: ${outcome.message}`);
    };
    // A scheduled run without a query has no primary record (regarding id ''): nothing to read.
    const current = operation.regardingId
      ? await retrieve(operation.primaryEntity, operation.regardingId)
      : ({ ok: false, transient: false, grpcCode: 5, code: 'NO_RECORD', message: 'no primary record' } as const);
    unavailable(current, `${operation.primaryEntity} ${operation.regardingId}`);
    const related: Record<string, Record<string, Json>> = {};
    // Related records the run has seen, and those its wait watches (other than its own record).
    const keys = new Set(Object.keys(state.related ?? {}));
    for (const watched of (state as InstanceState & { waitingOn?: Array<{ entity: string; recordId: string }> }).waitingOn ?? []) {
      if (watched.entity !== operation.primaryEntity || watched.recordId !== operation.regardingId)
        keys.add(`${watched.entity}:${watched.recordId}`);
    }
    for (const key of keys) {
      const [entity, id] = key.split(':');
      if (!entity || !id) continue;
      const found = await retrieve(entity, id);
      unavailable(found, `${entity} ${id}`);
      if (found.ok && found.record) related[key] = { ...(found.record as Record<string, Json>), ref: { entity, id } };
    }
    return {
      type: 'wakeUp',
      now: new Date().toISOString(),
      ...(current.ok && current.record ? { record: recordOf(operation, current.record) } : {}),
      ...(Object.keys(related).length > 0 ? { related } : {}),
    };
  }
}
