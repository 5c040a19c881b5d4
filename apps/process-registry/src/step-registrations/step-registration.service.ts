/**
 * Plug-in step registrations: register, update, get, list and unregister steps of the event
 * pipeline. Writes are validated against the entity metadata and announced as changes.
 */
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { BUILT_IN_STEP_HANDLERS } from '@flowline/contracts';
import { FlowlineError, invalidArgument, notFound, pageInfo, type FieldViolation, type PageWindow } from '@flowline/rpc';
import { EntityDefinitionRow } from '../entity-metadata/entity-definition.entity';
import { rowToMetadata } from '../entity-metadata/entity-metadata.mapper';
import { MetadataVersionService } from '../metadata-version/metadata-version.service';
import { StepRegistrationRow } from './step-registration.entity';
import { StepErrorCode as Code } from './step-registration.errors';
import { validateStep, type StepDraft } from './step-registration.validation';

export interface StepWrite extends StepDraft {
  enabled: boolean;
  unsecureConfiguration: string;
  secureConfiguration: string;
}

function configurationViolations(step: StepWrite): FieldViolation[] {
  // Built-in handlers are configured with a JSON object; a webhook's configuration is free text it receives.
  if (step.handler?.kind !== 'builtin' || !Object.values(BUILT_IN_STEP_HANDLERS).includes(step.handler.name as never)) return [];
  try {
    const parsed: unknown = JSON.parse(step.unsecureConfiguration || '{}');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return [];
  } catch {
    // reported below
  }
  return [
    {
      field: 'step.unsecureConfiguration',
      description: `the ${step.handler.name} handler is configured with a JSON object`,
      code: 'CONFIGURATION_INVALID',
    },
  ];
}

@Injectable()
export class StepRegistrationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly versions: MetadataVersionService,
  ) {}

  private async validate(manager: EntityManager, step: StepWrite): Promise<void> {
    const entityRow = step.primaryEntity
      ? await manager.getRepository(EntityDefinitionRow).findOneBy({ logicalName: step.primaryEntity })
      : null;
    const violations = [...validateStep(step, entityRow ? rowToMetadata(entityRow) : undefined), ...configurationViolations(step)];
    if (violations.length > 0) {
      throw invalidArgument(
        Code.Invalid,
        `step '${step.name}' has ${violations.length} problem${violations.length === 1 ? '' : 's'}`,
        violations,
      );
    }
  }

  async register(step: StepWrite, correlationId: string): Promise<StepRegistrationRow> {
    return this.dataSource.transaction(async (manager) => {
      await this.validate(manager, step);
      const id = randomUUID();
      await manager.getRepository(StepRegistrationRow).insert({
        id,
        name: step.name,
        message: step.message,
        primaryEntity: step.primaryEntity,
        stage: step.stage,
        mode: step.mode,
        rank: step.rank,
        filteringAttributes: step.filteringAttributes,
        images: step.images,
        handler: step.handler!,
        enabled: step.enabled,
        unsecureConfiguration: step.unsecureConfiguration,
        secureConfiguration: step.secureConfiguration,
      });
      await this.versions.recordChange(manager, { kind: 'step', action: 'created', id }, correlationId);
      return manager.getRepository(StepRegistrationRow).findOneByOrFail({ id });
    });
  }

  async update(
    id: string,
    step: StepWrite,
    expectedVersion: number,
    keepSecure: boolean,
    correlationId: string,
  ): Promise<StepRegistrationRow> {
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(StepRegistrationRow);
      const current = await repository.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw notFound(Code.NotFound, `no step registration '${id}'`);
      if (expectedVersion && current.rowVersion !== expectedVersion) {
        throw new FlowlineError(
          'ABORTED',
          Code.VersionConflict,
          `step '${current.name}' is at version ${current.rowVersion}, not ${expectedVersion}: read it again and reapply your change`,
        );
      }
      await this.validate(manager, step);
      Object.assign(current, {
        name: step.name,
        message: step.message,
        primaryEntity: step.primaryEntity,
        stage: step.stage,
        mode: step.mode,
        rank: step.rank,
        filteringAttributes: step.filteringAttributes,
        images: step.images,
        handler: step.handler,
        enabled: step.enabled,
        unsecureConfiguration: step.unsecureConfiguration,
        secureConfiguration: keepSecure ? current.secureConfiguration : step.secureConfiguration,
      });
      const saved = await repository.save(current);
      await this.versions.recordChange(manager, { kind: 'step', action: 'updated', id }, correlationId);
      return saved;
    });
  }

  async get(id: string): Promise<StepRegistrationRow> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await this.dataSource.getRepository(StepRegistrationRow).findOneBy({ id }) : null;
    if (!row) throw notFound(Code.NotFound, `no step registration '${id}'`);
    return row;
  }

  async list(
    window: PageWindow,
    filter: { message?: string; primaryEntity?: string },
  ): Promise<{ rows: StepRegistrationRow[]; page: ReturnType<typeof pageInfo> }> {
    const [rows, total] = await this.dataSource.getRepository(StepRegistrationRow).findAndCount({
      where: {
        ...(filter.message ? { message: filter.message } : {}),
        ...(filter.primaryEntity ? { primaryEntity: filter.primaryEntity } : {}),
      },
      order: { stage: 'ASC', rank: 'ASC', registrationSequence: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
    return { rows, page: pageInfo(window, rows.length, total) };
  }

  async unregister(id: string, correlationId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const result = await manager.getRepository(StepRegistrationRow).delete({ id });
      if (!result.affected) throw notFound(Code.NotFound, `no step registration '${id}'`);
      await this.versions.recordChange(manager, { kind: 'step', action: 'deleted', id }, correlationId);
    });
  }
}
