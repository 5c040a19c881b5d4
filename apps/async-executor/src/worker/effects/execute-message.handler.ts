/**
 * executeMessage: a record message through the gateway's Execute, as the operation's owner, at
 * depth + 1 with the step's idempotency key. Values to set go as the target, relative updates
 * (increment, decrement, multiply, append) as operations the gateway applies to the stored
 * record in its transaction; the result carries the record as the gateway left it.
 */
import { Injectable } from '@nestjs/common';
import type { Json } from '@flowline/process-runtime';
import { DependencyUnavailable, isUnavailableGrpcCode } from '../dependency-failures';
import { GatewayClient } from '../gateway-client';
import { resultOf, type EffectContext, type EffectHandler, type EffectOutcome } from './effect-handler';
import type { ActingEffect } from './effect-handler';

@Injectable()
export class ExecuteMessageHandler implements EffectHandler<'executeMessage'> {
  constructor(private readonly gateway: GatewayClient) {}

  async perform(effect: Extract<ActingEffect, { type: 'executeMessage' }>, { operation }: EffectContext): Promise<EffectOutcome> {
    const outcome = await this.gateway.execute({
      message: effect.message,
      entity: effect.entity,
      ...(effect.recordId ? { recordId: effect.recordId } : {}),
      target: effect.target,
      ...(effect.operations && Object.keys(effect.operations).length > 0 ? { operations: effect.operations } : {}),
      parameters: effect.parameters,
      idempotencyKey: effect.idempotencyKey,
      depth: operation.depth + 1,
      correlationId: operation.correlationId,
      initiatingUserId: operation.owner,
    });
    if (outcome.ok) {
      return resultOf(effect.effectId, {
        ok: true,
        // The record as the gateway left it, so that later steps read what this one wrote.
        output: {
          id: outcome.id,
          ...(outcome.record
            ? { record: { ...(outcome.record as Record<string, Json>), ref: { entity: effect.entity, id: outcome.id } } }
            : {}),
          ...(outcome.records ? { records: outcome.records as Json } : {}),
        },
      });
    }
    if (outcome.transient && isUnavailableGrpcCode(outcome.grpcCode))
      throw new DependencyUnavailable(
        'gateway',
        outcome.code,
        `${effect.message} ${effect.entity} (step ${effect.stepId}): ${outcome.message}`,
      );
    if (outcome.transient) return { kind: 'retry', code: outcome.code, message: outcome.message };
    return resultOf(effect.effectId, { ok: false, code: outcome.code, message: outcome.message });
  }
}
