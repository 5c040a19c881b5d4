/**
 * startChild: inserts the child operation (idempotent by the parent's event and step; a child its
 * parent waits for gets the parent's id and no dependency token of the parent's own, since it runs
 * on the parent's turn). Without `wait` the step is done at once. With `wait` the parent gets the
 * child's outcome if the child has ended, otherwise it is suspended with a subscription on the
 * child, whose end (OperationStore.move) wakes it; the parent's pending startChild then runs again
 * and answers with the outcome. The child's row is locked before the parent suspends, as the
 * child's own end locks it, so an end in between cannot be missed.
 */
import { Injectable, Logger } from '@nestjs/common';
import { AsyncOperationState as State, AsyncOperationStatus as Status, AsyncOperationType } from '@flowline/contracts';
import type { Json } from '@flowline/process-runtime';
import { dependencyTokenOf } from '../../operations/dependency-token';
import { OperationEvents } from '../../operations/operation-events';
import { OperationRepository, type ChildRow } from '../../operations/operation-repository';
import { OperationStore } from '../../operations/operation-store';
import { IllegalTransition } from '../../operations/operation-transitions';
import { DefinitionVersions } from '../../definitions/definition-versions';
import { resultOf, type ActingEffect, type EffectContext, type EffectHandler, type EffectOutcome } from './effect-handler';
import { timeOrderedId } from '@flowline/persistence';

const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');
type StartChild = Extract<ActingEffect, { type: 'startChild' }>;

@Injectable()
export class StartChildHandler implements EffectHandler<'startChild'> {
  private readonly logger = new Logger('Worker');

  constructor(
    private readonly repository: OperationRepository,
    private readonly versions: DefinitionVersions,
    private readonly events: OperationEvents,
    private readonly store: OperationStore,
  ) {}

  async perform(effect: StartChild, context: EffectContext): Promise<EffectOutcome> {
    const { operation } = context;
    const child = await this.versions.active(effect.workflow);
    const childDefinition = await this.versions.get(child.definitionId, child.version);
    const processKey = `${child.definitionId}:${effect.idempotencyKey}`;
    const token = dependencyTokenOf(childDefinition, operation.primaryEntity, operation.regardingId);
    await this.repository.transaction(async (manager) => {
      const id = timeOrderedId();
      const inserted = await this.repository.insertChild(manager, {
        id,
        operationType: AsyncOperationType.Workflow,
        name: effect.workflow,
        processKey,
        definitionId: child.definitionId,
        definitionVersion: child.version,
        stepRegistrationId: null,
        state: State.Ready,
        status: Status.WaitingForResources,
        eventId: operation.eventId,
        correlationId: operation.correlationId,
        depth: operation.depth + 1,
        primaryEntity: operation.primaryEntity,
        regardingId: operation.regardingId,
        owner: operation.owner,
        input: { ...(operation.input as object), inputs: effect.inputs },
        instanceState: null,
        // A child its parent waits for runs on the parent's turn: behind the parent's own token it would never start.
        dependencyToken: effect.wait && token === operation.dependencyToken ? null : token,
        parentOperationId: effect.wait ? operation.id : null,
        postponeUntil: new Date(),
        traceContext: operation.traceContext,
      });
      if (inserted) await this.events.recordMany(manager, [id], operation.correlationId);
      await this.repository.notifyReady(manager);
    });
    if (!effect.wait) return resultOf(effect.effectId, { ok: true, output: {} });
    return this.awaitChild(effect, context, processKey);
  }

  private async awaitChild(effect: StartChild, { operation, host }: EffectContext, processKey: string): Promise<EffectOutcome> {
    const decision = await this.repository.transaction(async (manager): Promise<{ child: ChildRow; suspended: boolean }> => {
      const child = await this.repository.childForShare(manager, operation.eventId, processKey);
      if (!child) throw new Error(`the child '${effect.workflow}' of step ${effect.stepId} was not found after it was started`);
      if (child.state === State.Completed) return { child, suspended: false };
      try {
        const moved = await this.store.move(
          manager,
          operation.id,
          'suspend',
          { host: null, lease_expires_at: null, postpone_until: FAR_FUTURE },
          { host },
        );
        if (!moved.moved) return { child, suspended: true };
      } catch (error) {
        if (!(error instanceof IllegalTransition)) throw error;
        // An operator paused or canceled the parent meanwhile: the boundary after this step honours it.
        const paused = error.current.status === Status.Pausing;
        await this.store.move(
          manager,
          operation.id,
          paused ? 'paused' : 'canceled',
          paused
            ? { host: null, lease_expires_at: null, postpone_until: FAR_FUTURE }
            : {
                host: null,
                lease_expires_at: null,
                completed_on: { sql: 'now()' },
                error_code: 'CANCELED',
                friendly_message: 'canceled by an operator',
              },
          { host },
        );
        return { child, suspended: true };
      }
      await this.repository.subscribeToChild(manager, operation.id, child.id);
      return { child, suspended: true };
    });
    const { child, suspended } = decision;
    if (suspended) {
      this.logger.log(
        { operationId: operation.id, childId: child.id },
        `${operation.name} waits for its child ${effect.workflow} (${child.id})`,
      );
      return { kind: 'stopped' };
    }
    if (child.status === Status.Succeeded) {
      return resultOf(effect.effectId, {
        ok: true,
        output: {
          operationId: child.id,
          outcome: 'succeeded',
          message: child.friendly_message ?? '',
          outputs: (child.instance_state?.outputs ?? {}) as Json,
          vars: (child.instance_state?.vars ?? {}) as Json,
        },
      });
    }
    const canceled = child.status === Status.Canceled;
    return resultOf(effect.effectId, {
      ok: false,
      code: canceled ? 'CHILD_CANCELED' : 'CHILD_FAILED',
      message: `child workflow '${effect.workflow}' (operation ${child.id}) ${canceled ? 'was canceled' : 'failed'}${child.error_code ? ` (${child.error_code})` : ''}${child.friendly_message ? `: ${child.friendly_message}` : ''}`,
    });
  }
}
