/**
 * Entity metadata: create, update, get, list and delete entities with their attributes.
 * Every write is validated, versioned and announced on the registry-changes topic.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { EntityMetadata } from '@flowline/contracts';
import { alreadyExists, failedPrecondition, FlowlineError, invalidArgument, notFound, pageInfo, type PageWindow } from '@flowline/rpc';
import { MetadataVersionService } from '../metadata-version/metadata-version.service';
import { EntityDefinitionRow } from './entity-definition.entity';
import { EntityMetadataErrorCode as Code } from './entity-metadata.errors';
import { validateEntityMetadata } from './entity-metadata.validation';
import { findAttributeUsage, findEntityUsage } from './entity-usage';

@Injectable()
export class EntityMetadataService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly versions: MetadataVersionService,
  ) {}

  private async knownEntities(manager: EntityManager): Promise<Set<string>> {
    const rows = await manager.getRepository(EntityDefinitionRow).find({ select: { logicalName: true } });
    return new Set(rows.map((row) => row.logicalName));
  }

  private async validate(manager: EntityManager, entity: EntityMetadata): Promise<void> {
    const violations = validateEntityMetadata(entity, await this.knownEntities(manager));
    if (violations.length > 0) {
      throw invalidArgument(
        Code.Invalid,
        `entity '${entity.logicalName}' has ${violations.length} problem${violations.length === 1 ? '' : 's'}`,
        violations,
      );
    }
  }

  async create(entity: EntityMetadata, correlationId: string): Promise<EntityDefinitionRow> {
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(EntityDefinitionRow);
      if (await repository.existsBy({ logicalName: entity.logicalName })) {
        throw alreadyExists(Code.Exists, `an entity '${entity.logicalName}' already exists: update it, or choose another logical name`);
      }
      await this.validate(manager, entity);
      await repository.insert({
        logicalName: entity.logicalName,
        displayName: entity.displayName,
        primaryIdAttribute: entity.primaryIdAttribute,
        primaryNameAttribute: entity.primaryNameAttribute,
        ownership: entity.ownership,
        attributes: entity.attributes.map((attribute) => ({ ...attribute, isCustom: true })),
        isCustom: true,
      });
      await this.versions.recordChange(manager, { kind: 'entity', action: 'created', id: entity.logicalName }, correlationId);
      return repository.findOneByOrFail({ logicalName: entity.logicalName });
    });
  }

  async update(entity: EntityMetadata, expectedVersion: number, correlationId: string): Promise<EntityDefinitionRow> {
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(EntityDefinitionRow);
      const current = await repository.findOne({ where: { logicalName: entity.logicalName }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw notFound(Code.NotFound, `no entity '${entity.logicalName}': create it first`);
      if (expectedVersion && current.rowVersion !== expectedVersion) {
        throw new FlowlineError(
          'ABORTED',
          Code.VersionConflict,
          `entity '${entity.logicalName}' is at version ${current.rowVersion}, not ${expectedVersion}: read it again and reapply your change`,
        );
      }
      await this.validate(manager, entity);
      const kept = new Map(current.attributes.map((attribute) => [attribute.logicalName, attribute]));
      const removed = [...kept.keys()].filter((name) => !entity.attributes.some((attribute) => attribute.logicalName === name));
      const standardRemoved = removed.filter((name) => kept.get(name)?.isCustom === false);
      if (standardRemoved.length > 0) {
        throw failedPrecondition(
          Code.Standard,
          `standard attributes cannot be removed from '${entity.logicalName}': ${standardRemoved.join(', ')}`,
        );
      }
      const usage = await findAttributeUsage(manager, entity.logicalName, removed);
      if (usage.length > 0) {
        throw failedPrecondition(
          Code.AttributeInUse,
          `attributes of '${entity.logicalName}' are still used: ${usage.join('; ')}; change those registrations first`,
        );
      }
      current.displayName = entity.displayName;
      current.primaryIdAttribute = entity.primaryIdAttribute;
      current.primaryNameAttribute = entity.primaryNameAttribute;
      current.ownership = entity.ownership;
      current.attributes = entity.attributes.map((attribute) => ({
        ...attribute,
        isCustom: kept.get(attribute.logicalName)?.isCustom ?? true,
      }));
      const saved = await repository.save(current);
      await this.versions.recordChange(manager, { kind: 'entity', action: 'updated', id: entity.logicalName }, correlationId);
      return saved;
    });
  }

  async get(logicalName: string): Promise<EntityDefinitionRow> {
    const row = await this.dataSource.getRepository(EntityDefinitionRow).findOneBy({ logicalName });
    if (!row) throw notFound(Code.NotFound, `no entity '${logicalName}'`);
    return row;
  }

  async list(window: PageWindow): Promise<{ rows: EntityDefinitionRow[]; page: ReturnType<typeof pageInfo> }> {
    const [rows, total] = await this.dataSource
      .getRepository(EntityDefinitionRow)
      .findAndCount({ order: { logicalName: 'ASC' }, skip: window.offset, take: window.limit });
    return { rows, page: pageInfo(window, rows.length, total) };
  }

  async all(): Promise<EntityDefinitionRow[]> {
    return this.dataSource.getRepository(EntityDefinitionRow).find({ order: { logicalName: 'ASC' } });
  }

  async delete(logicalName: string, correlationId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(EntityDefinitionRow);
      const row = await repository.findOne({ where: { logicalName }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw notFound(Code.NotFound, `no entity '${logicalName}'`);
      if (!row.isCustom) throw failedPrecondition(Code.Standard, `'${logicalName}' is a standard entity and cannot be deleted`);
      const usage = await findEntityUsage(manager, logicalName);
      const uses = [
        ...usage.definitions.map((name) => `definition ${name}`),
        ...usage.steps.map((name) => `step ${name}`),
        ...usage.lookups.map((name) => `lookup ${name}`),
      ];
      if (uses.length > 0) {
        throw failedPrecondition(Code.InUse, `entity '${logicalName}' is still used by ${uses.join(', ')}: remove or change those first`);
      }
      await repository.delete({ logicalName });
      await this.versions.recordChange(manager, { kind: 'entity', action: 'deleted', id: logicalName }, correlationId);
    });
  }
}
