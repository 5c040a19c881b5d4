/**
 * Which steps and workflows an event triggers, computed from metadata: the one definition of
 * execution order (stage, then rank, then registration) and of filtering attributes, used by
 * the registry over its tables and by every service's cache over its snapshot.
 */
import { PipelineStage, ProcessCategory, SdkMessage, StepMode } from '@flowline/contracts';
import type { RegistryProto } from '@flowline/rpc';

export interface WorkflowTrigger {
  message: string;
  entity: string;
  attributes: string[];
}

/** What resolution needs of an active definition version. */
export interface ActiveWorkflow {
  definitionId: string;
  uniqueName: string;
  version: number;
  contentHash: string;
  mode: number;
  category: number;
  primaryEntity: string;
  activatedOn: string;
  triggers: WorkflowTrigger[];
}

export interface Resolution {
  synchronous: Array<{ stage: number; steps: RegistryProto.StepRegistration[] }>;
  asynchronous: RegistryProto.StepRegistration[];
  workflows: ActiveWorkflow[];
}

const SYNC_STAGES = [PipelineStage.PreValidation, PipelineStage.PreOperation, PipelineStage.PostOperation];

export function passesFilter(message: string, filter: readonly string[], changed: ReadonlySet<string>): boolean {
  if (message !== SdkMessage.Update || filter.length === 0) return true;
  return filter.some((attribute) => changed.has(attribute));
}

export function byExecutionOrder(a: RegistryProto.StepRegistration, b: RegistryProto.StepRegistration): number {
  const sequence = BigInt(a.registrationSequence || '0') - BigInt(b.registrationSequence || '0');
  return a.stage - b.stage || a.rank - b.rank || (sequence < 0n ? -1 : sequence > 0n ? 1 : 0);
}

export function resolveSubscriptions(
  steps: readonly RegistryProto.StepRegistration[],
  workflows: readonly ActiveWorkflow[],
  message: string,
  entity: string,
  changedAttributes: readonly string[],
): Resolution {
  const changed = new Set(changedAttributes);
  const matching = steps
    .filter((step) => step.enabled && step.message === message && (step.primaryEntity === entity || step.primaryEntity === ''))
    .filter((step) => passesFilter(message, step.filteringAttributes, changed))
    .sort(byExecutionOrder);
  return {
    synchronous: SYNC_STAGES.map((stage) => ({
      stage,
      steps: matching.filter((step) => step.stage === stage && step.mode === StepMode.Synchronous),
    })),
    asynchronous: matching.filter((step) => step.mode === StepMode.Asynchronous),
    workflows: workflows
      .filter((workflow) => workflow.category === ProcessCategory.Workflow && workflow.primaryEntity === entity)
      .filter((workflow) =>
        workflow.triggers.some(
          (trigger) => trigger.message === message && trigger.entity === entity && passesFilter(message, trigger.attributes, changed),
        ),
      )
      .sort((a, b) => a.activatedOn.localeCompare(b.activatedOn) || a.definitionId.localeCompare(b.definitionId)),
  };
}
