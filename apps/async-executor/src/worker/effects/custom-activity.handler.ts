/** customActivity: a built-in handler (http, noop) with the step's idempotency key; transient failures are retried. */
import { Injectable } from '@nestjs/common';
import { runCustomActivity } from '../custom-activities';
import { resultOf, type ActingEffect, type EffectContext, type EffectHandler, type EffectOutcome } from './effect-handler';

@Injectable()
export class CustomActivityHandler implements EffectHandler<'customActivity'> {
  async perform(effect: Extract<ActingEffect, { type: 'customActivity' }>, { operation }: EffectContext): Promise<EffectOutcome> {
    const outcome = await runCustomActivity({
      handler: effect.handler,
      inputs: effect.inputs,
      idempotencyKey: effect.idempotencyKey,
      correlationId: operation.correlationId,
    });
    if (outcome.ok) return resultOf(effect.effectId, { ok: true, output: outcome.output });
    if (outcome.transient) return { kind: 'retry', code: outcome.code, message: outcome.message };
    return resultOf(effect.effectId, { ok: false, code: outcome.code, message: outcome.message });
  }
}
