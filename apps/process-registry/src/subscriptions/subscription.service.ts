/**
 * Which plug-in steps and workflows an event of a given shape triggers, read fresh from the
 * registry's tables and ordered by the shared resolution rules (the same code every
 * service's metadata cache runs over its snapshot).
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { resolveSubscriptions, type ActiveWorkflow, type Resolution } from '@flowline/metadata-cache';
import { EntityDefinitionRow } from '../entity-metadata/entity-definition.entity';
import { MetadataVersionService } from '../metadata-version/metadata-version.service';
import { DefinitionVersionRow } from '../process-definitions/definition-version.entity';
import { StepRegistrationRow } from '../step-registrations/step-registration.entity';
import { rowToProto as stepToProto } from '../step-registrations/step-registration.mapper';

export function activeWorkflowOf(row: DefinitionVersionRow): ActiveWorkflow {
  return {
    definitionId: row.definitionId,
    uniqueName: row.uniqueName,
    version: row.version,
    contentHash: row.contentHash,
    mode: row.mode,
    category: row.category,
    primaryEntity: row.primaryEntity,
    activatedOn: row.activatedOn.toISOString(),
    triggers: row.triggers,
  };
}

@Injectable()
export class SubscriptionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly versions: MetadataVersionService,
  ) {}

  async resolve(message: string, entity: string, changedAttributes: string[]): Promise<Resolution & { metadataVersion: string }> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      // Uses IDX_plugin_step_message_entity: steps of this message for this entity or for any entity ('').
      const steps = await manager
        .getRepository(StepRegistrationRow)
        .createQueryBuilder('step')
        .where('step.message = :message AND step.primaryEntity IN (:...entities)', { message, entities: [entity, ''] })
        .getMany();
      const active = await manager.getRepository(DefinitionVersionRow).find({ where: { deactivatedOn: IsNull(), primaryEntity: entity } });
      return {
        ...resolveSubscriptions(
          steps.map((step) => stepToProto(step)),
          active.map(activeWorkflowOf),
          message,
          entity,
          changedAttributes,
        ),
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
      steps: await manager.getRepository(StepRegistrationRow).find({ order: { stage: 'ASC', rank: 'ASC', registrationSequence: 'ASC' } }),
      definitions: await manager
        .getRepository(DefinitionVersionRow)
        .find({ where: { deactivatedOn: IsNull() }, order: { activatedOn: 'ASC' } }),
    }));
  }
}
