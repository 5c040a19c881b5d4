/**
 * Which activated real-time workflows (`mode: realTime`) an operation triggers at a stage.
 * They reach the gateway in its metadata cache: the registry's snapshot carries every active
 * definition version with its compiled form, and `flowline.registry-changes.v1` refreshes it
 * on activation and deactivation. A trigger runs its workflow at PostOperation (40) unless it
 * says `stage: preOperation` (20); within the stage it runs at rank 1, in activation order.
 */
import { Injectable } from '@nestjs/common';
import { PipelineStage, ProcessMode } from '@flowline/contracts';
import { MetadataCache, passesFilter, type ActiveWorkflow } from '@flowline/metadata-cache';
import type { CompiledDefinition } from '@flowline/process-model';

export type RealTimeStage = PipelineStage.PreOperation | PipelineStage.PostOperation;

export interface RealTimeWorkflow {
  definitionId: string;
  uniqueName: string;
  version: number;
  compiled: CompiledDefinition;
  /** Where it runs among the stage's plug-in steps: after those of the same rank. */
  rank: number;
}

const MESSAGES: Record<string, string> = {
  create: 'Create',
  update: 'Update',
  delete: 'Delete',
  assign: 'Assign',
  statusChange: 'SetState',
};

/** A trigger as authored, in the compiled definition. */
interface AuthoredTrigger {
  on?: string;
  attributes?: string[];
  stage?: unknown;
}

/** The language gives real-time workflows no rank of their own: they run at rank 1. */
const REAL_TIME_RANK = 1;

export function triggerStage(trigger: AuthoredTrigger): RealTimeStage {
  return trigger.stage === 'preOperation' || trigger.stage === PipelineStage.PreOperation
    ? PipelineStage.PreOperation
    : PipelineStage.PostOperation;
}

@Injectable()
export class RealTimeWorkflows {
  private readonly compiled = new Map<string, CompiledDefinition>();

  constructor(private readonly metadata: MetadataCache) {}

  /** The real-time workflows among those an operation resolved to, whose matching trigger names this stage. */
  forStage(
    workflows: readonly ActiveWorkflow[],
    message: string,
    changedAttributes: readonly string[],
    stage: RealTimeStage,
  ): RealTimeWorkflow[] {
    const changed = new Set(changedAttributes);
    const found: RealTimeWorkflow[] = [];
    for (const workflow of workflows) {
      if (workflow.mode !== ProcessMode.RealTime) continue;
      const compiled = this.compiledOf(workflow);
      if (!compiled) continue;
      const triggers = (compiled.definition.triggers as AuthoredTrigger[]).filter(
        (trigger) => MESSAGES[trigger.on ?? ''] === message && passesFilter(message, trigger.attributes ?? [], changed),
      );
      const atStage = triggers.find((trigger) => triggerStage(trigger) === stage);
      if (!atStage) continue;
      found.push({
        definitionId: workflow.definitionId,
        uniqueName: workflow.uniqueName,
        version: workflow.version,
        compiled,
        rank: REAL_TIME_RANK,
      });
    }
    return found;
  }

  /** The compiled form of the active version, parsed once per version (versions never change). */
  private compiledOf(workflow: ActiveWorkflow): CompiledDefinition | undefined {
    const key = `${workflow.definitionId}@${workflow.version}`;
    const cached = this.compiled.get(key);
    if (cached) return cached;
    const version = this.metadata.activeVersion(workflow.definitionId);
    if (!version || version.version !== workflow.version || !version.compiled) return undefined;
    const compiled = JSON.parse(version.compiled) as CompiledDefinition;
    this.compiled.set(key, compiled);
    return compiled;
  }
}
