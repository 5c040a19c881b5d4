/** The exhaustive map of acting effect types to their handlers, and the one call the worker makes. */
import { Injectable } from '@nestjs/common';
import { CustomActivityHandler } from './custom-activity.handler';
import type { ActingEffect, EffectContext, EffectHandler, EffectHandlerMap, EffectOutcome } from './effect-handler';
import { ExecuteMessageHandler } from './execute-message.handler';
import { StartChildHandler } from './start-child.handler';

export const EFFECT_HANDLER_PROVIDERS = [ExecuteMessageHandler, StartChildHandler, CustomActivityHandler];

@Injectable()
export class EffectHandlers {
  private readonly handlers: EffectHandlerMap;

  constructor(executeMessage: ExecuteMessageHandler, startChild: StartChildHandler, customActivity: CustomActivityHandler) {
    this.handlers = { executeMessage, startChild, customActivity };
  }

  perform(effect: ActingEffect, context: EffectContext): Promise<EffectOutcome> {
    return (this.handlers[effect.type] as EffectHandler<ActingEffect['type']>).perform(effect as never, context);
  }
}
