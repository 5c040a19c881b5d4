/**
 * Which plug-in steps and workflows an event of a given shape triggers, in execution order:
 * synchronous steps per stage (10, 20, 40), asynchronous steps, and activated workflows.
 * A step or workflow with filtering attributes runs on Update only when one of them changed.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { PipelineStage, ProcessCategory, SdkMessage, StepMode } from '@flowline/contracts';
import { EntityDefinitionRow } from '../entity-metadata/entity-definition.entity';
import { MetadataVersionService } from '../metadata-version/metadata-version.service';
import { DefinitionVersionRow, type StoredTrigger } from '../process-definitions/definition-version.entity';
import { StepRegistrationRow } from '../step-registrations/step-registration.entity';

export interface ResolvedSubscriptions {
  synchronous: Array<{ stage: number; steps: StepRegistrationRow[] }>;
  asynchronous: StepRegistrationRow[];
  workflows: DefinitionVersionRow[];
  metadataVersion: string;
}

const SYNC_STAGES = [PipelineStage.PreValidation, PipelineStage.PreOperation, PipelineStage.PostOperation];

function passesFilter(message: string, filter: string[], changed: ReadonlySet<string>): boolean {
  if (message !== SdkMessage.Update || filter.length === 0) return true;
  return filter.some((attribute) => changed.has(attribute));
}

export function triggerMatches(trigger: StoredTrigger, message: string, entity: string, changed: ReadonlySet<string>): boolean {
  return trigger.message === message && trigger.entity === entity && passesFilter(message, trigger.attributes, changed);
}

const byExecutionOrder = (a: StepRegistrationRow, b: StepRegistrationRow) =>
  a.stage - b.stage || a.rank - b.rank || Number(BigInt(a.registrationSequence) - BigInt(b.registrationSequence));

@Injectable()
export class SubscriptionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly versions: MetadataVersionService,
  ) {}

  async resolve(message: string, entity: string, changedAttributes: string[]): Promise<ResolvedSubscriptions> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const changed = new Set(changedAttributes);
      // Uses IDX_plugin_step_message_entity: steps of this message for this entity or for any entity ('').
      const candidates = await manager
        .getRepository(StepRegistrationRow)
        .createQueryBuilder('step')
        .where('step.message = :message AND step.primaryEntity IN (:...entities) AND step.enabled', { message, entities: [entity, ''] })
        .getMany();
      const steps = candidates.filter((step) => passesFilter(message, step.filteringAttributes, changed)).sort(byExecutionOrder);
      const active = await manager.getRepository(DefinitionVersionRow).find({
        where: { deactivatedOn: IsNull(), category: ProcessCategory.Workflow, primaryEntity: entity },
        order: { activatedOn: 'ASC', definitionId: 'ASC' },
      });
      return {
        synchronous: SYNC_STAGES.map((stage) => ({
          stage,
          steps: steps.filter((step) => step.stage === stage && step.mode === StepMode.Synchronous),
        })),
        asynchronous: steps.filter((step) => step.mode === StepMode.Asynchronous),
        workflows: active.filter((version) => version.triggers.some((trigger) => triggerMatches(trigger, message, entity, changed))),
        metadataVersion: await this.versions.current(manager),
      };
    });
  }

  async snapshot(): Promise<{
    version: string;
    entities: EntityDefinitionRow[];
    steps: StepRegistrationRow[];
    definitions: DefinitionVersionRow[];
  }> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => ({
      version: await this.versions.current(manager),
      entities: await manager.getRepository(EntityDefinitionRow).find({ order: { logicalName: 'ASC' } }),
      steps: (await manager.getRepository(StepRegistrationRow).find()).sort(byExecutionOrder),
      definitions: await manager
        .getRepository(DefinitionVersionRow)
        .find({ where: { deactivatedOn: IsNull() }, order: { activatedOn: 'ASC' } }),
    }));
  }
}
