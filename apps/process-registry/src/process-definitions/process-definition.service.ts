/**
 * The life cycle of process definitions: save as Draft (validated on save, every error with
 * its path), activate (compile, snapshot an immutable numbered version, announce), deactivate
 * (back to Draft; versions stay resolvable by number for running operations), delete (Draft
 * only), get, list, export and import by unique name.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { ProcessDefinitionState, type EntityMetadata } from '@flowline/contracts';
import type { Principal } from '@flowline/auth';
import {
  alreadyExists,
  failedPrecondition,
  FlowlineError,
  invalidArgument,
  notFound,
  pageInfo,
  type FieldViolation,
  type PageWindow,
} from '@flowline/rpc';
import { EntityDefinitionRow } from '../entity-metadata/entity-definition.entity';
import { rowToMetadata } from '../entity-metadata/entity-metadata.mapper';
import { MetadataVersionService } from '../metadata-version/metadata-version.service';
import { DefinitionVersionRow } from './definition-version.entity';
import { DefinitionErrorCode as Code } from './process-definition.errors';
import { ProcessDefinitionRow } from './process-definition.entity';
import { PROCESS_LANGUAGE, type ProcessLanguage } from './process-language';

export interface DefinitionRef {
  id?: string;
  uniqueName?: string;
}

export interface DefinitionFilter {
  category?: number;
  primaryEntity?: string;
  state?: number;
  nameContains?: string;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

@Injectable()
export class ProcessDefinitionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(PROCESS_LANGUAGE) private readonly language: ProcessLanguage,
    private readonly versions: MetadataVersionService,
  ) {}

  private async metadata(manager: EntityManager): Promise<EntityMetadata[]> {
    return (await manager.getRepository(EntityDefinitionRow).find()).map(rowToMetadata);
  }

  private refuse(violations: FieldViolation[], what: string): never {
    throw invalidArgument(Code.Invalid, `${what} has ${plural(violations.length, 'error')}`, violations);
  }

  /** Validates without saving. */
  async check(text: string, format: 'json' | 'yaml'): Promise<FieldViolation[]> {
    const parsed = this.language.parse(text, format);
    if (!parsed.ok) return parsed.violations;
    const manager = this.dataSource.manager;
    return [
      ...this.language.validate(parsed.definition, await this.metadata(manager)),
      ...(await this.childViolations(manager, parsed.definition)),
    ];
  }

  /**
   * The definition's children checked against the definitions they name, as stored (Draft or
   * Activated), or as given alongside it (the other definitions of an import document).
   */
  private async childViolations(
    manager: EntityManager,
    definition: Record<string, unknown>,
    alongside: ReadonlyArray<Record<string, unknown>> = [],
  ): Promise<FieldViolation[]> {
    const names = this.language.childNames(definition);
    if (names.length === 0) return [];
    const rows = await manager.getRepository(ProcessDefinitionRow).find({ where: names.map((uniqueName) => ({ uniqueName })) });
    const children = new Map(rows.map((row) => [row.uniqueName, row.source]));
    for (const other of alongside) {
      const name = this.language.header(other).uniqueName;
      if (names.includes(name)) children.set(name, other);
    }
    return this.language.checkChildren(definition, children);
  }

  private async find(manager: EntityManager, ref: DefinitionRef, lock = false): Promise<ProcessDefinitionRow> {
    if (!ref.id && !ref.uniqueName)
      throw invalidArgument(Code.RefRequired, 'name the definition by id or by unique name', [
        { field: 'ref', description: 'expected id or uniqueName' },
      ]);
    const where = ref.id ? { id: ref.id } : { uniqueName: ref.uniqueName! };
    if (ref.id && !/^[0-9a-f-]{36}$/i.test(ref.id)) throw notFound(Code.NotFound, `no process definition with id '${ref.id}'`);
    const row = await manager
      .getRepository(ProcessDefinitionRow)
      .findOne({ where, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!row) throw notFound(Code.NotFound, `no process definition ${ref.id ? `with id '${ref.id}'` : `named '${ref.uniqueName}'`}`);
    return row;
  }

  /** Creates a Draft, or updates one (by id, or by the unique name it carries). */
  async save(
    text: string,
    format: 'json' | 'yaml',
    id: string | undefined,
    expectedRowVersion: number,
    principal: Principal,
    alongside: ReadonlyArray<Record<string, unknown>> = [],
  ): Promise<ProcessDefinitionRow> {
    const parsed = this.language.parse(text, format);
    if (!parsed.ok) this.refuse(parsed.violations, 'the definition');
    return this.dataSource.transaction(async (manager) => {
      const violations = [
        ...this.language.validate(parsed.definition, await this.metadata(manager)),
        ...(await this.childViolations(manager, parsed.definition, alongside)),
      ];
      const header = this.language.header(parsed.definition);
      if (violations.length > 0) this.refuse(violations, `definition '${header.uniqueName || '(no unique name)'}'`);
      const repository = manager.getRepository(ProcessDefinitionRow);
      const existing = id
        ? await this.find(manager, { id }, true)
        : await repository.findOne({ where: { uniqueName: header.uniqueName }, lock: { mode: 'pessimistic_write' } });
      if (!existing) {
        const row = repository.create({
          id: randomUUID(),
          ...header,
          state: ProcessDefinitionState.Draft,
          source: parsed.definition,
          activeVersion: null,
          latestVersion: 0,
          owner: principal.subject,
          createdBy: principal.subject,
          modifiedBy: principal.subject,
        });
        const saved = await repository.save(row);
        await this.versions.recordChange(
          manager,
          { kind: 'definition', action: 'created', id: row.id, uniqueName: row.uniqueName },
          randomUUID(),
        );
        return saved;
      }
      if (existing.state !== ProcessDefinitionState.Draft) {
        throw failedPrecondition(Code.NotDraft, `definition '${existing.uniqueName}' is Activated: deactivate it before changing it`);
      }
      if (expectedRowVersion && existing.rowVersion !== expectedRowVersion) {
        throw new FlowlineError(
          'ABORTED',
          Code.VersionConflict,
          `definition '${existing.uniqueName}' is at row version ${existing.rowVersion}, not ${expectedRowVersion}: read it again and reapply your change`,
        );
      }
      if (header.uniqueName !== existing.uniqueName && (await repository.existsBy({ uniqueName: header.uniqueName }))) {
        throw alreadyExists(Code.Exists, `another definition is already named '${header.uniqueName}'`);
      }
      Object.assign(existing, header, { source: parsed.definition, modifiedBy: principal.subject });
      const saved = await repository.save(existing);
      await this.versions.recordChange(
        manager,
        { kind: 'definition', action: 'updated', id: existing.id, uniqueName: existing.uniqueName },
        randomUUID(),
      );
      return saved;
    });
  }

  /**
   * One active definition per webhook path (the gateway serves each path for one workflow).
   * Activations of one path take turns on a transaction-scoped advisory lock, so two at once
   * cannot both pass.
   */
  private async refuseTakenWebhookPath(manager: EntityManager, definition: ProcessDefinitionRow, path: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`flowline:webhook-path:${path}`]);
    const versions = manager.getRepository(DefinitionVersionRow).metadata.tablePath;
    const definitions = manager.getRepository(ProcessDefinitionRow).metadata.tablePath;
    const [holder] = (await manager.query(
      `SELECT d."unique_name" FROM ${definitions} d
         JOIN ${versions} v ON v."definition_id" = d."id" AND v."version" = d."active_version"
        WHERE d."state" = $1 AND d."id" <> $2
          AND EXISTS (SELECT 1 FROM jsonb_array_elements(v."compiled"->'definition'->'triggers') t
                       WHERE t->>'on' = 'webhook' AND coalesce(t->>'path', v."unique_name") = $3)
        LIMIT 1`,
      [ProcessDefinitionState.Activated, definition.id, path],
    )) as Array<{ unique_name: string }>;
    if (holder)
      throw failedPrecondition(
        Code.WebhookPathTaken,
        `definition '${definition.uniqueName}' has the webhook path '${path}', which the active definition '${holder.unique_name}' serves: give one of them another path, or deactivate '${holder.unique_name}' first`,
      );
  }

  async activate(ref: DefinitionRef, principal: Principal, correlationId: string): Promise<DefinitionVersionRow> {
    return this.dataSource.transaction(async (manager) => {
      const definition = await this.find(manager, ref, true);
      if (definition.state === ProcessDefinitionState.Activated) {
        throw failedPrecondition(
          Code.NotDraft,
          `definition '${definition.uniqueName}' is already Activated (version ${definition.activeVersion}): deactivate it first to activate a new version`,
        );
      }
      const metadata = await this.metadata(manager);
      const violations = [
        ...this.language.validate(definition.source, metadata),
        ...(await this.childViolations(manager, definition.source)),
      ];
      if (violations.length > 0)
        this.refuse(violations, `definition '${definition.uniqueName}' no longer validates against the current metadata and`);
      const compiled = this.language.compile(definition.source, metadata);
      for (const child of compiled.children) {
        const active = await manager
          .getRepository(ProcessDefinitionRow)
          .findOneBy({ uniqueName: child, state: ProcessDefinitionState.Activated });
        if (!active && child !== definition.uniqueName) {
          throw failedPrecondition(
            Code.ChildNotActive,
            `definition '${definition.uniqueName}' starts '${child}', which is not activated: activate '${child}' first`,
          );
        }
      }
      if (compiled.webhookPath) await this.refuseTakenWebhookPath(manager, definition, compiled.webhookPath);
      const version = definition.latestVersion + 1;
      const row = manager.getRepository(DefinitionVersionRow).create({
        definitionId: definition.id,
        version,
        uniqueName: definition.uniqueName,
        category: definition.category,
        primaryEntity: definition.primaryEntity,
        mode: compiled.mode,
        contentHash: compiled.contentHash,
        compiled: compiled.compiled,
        triggers: compiled.triggers,
        referencedEntities: compiled.referencedEntities,
        activatedBy: principal.subject,
        activatedOn: new Date(),
        deactivatedOn: null,
      });
      await manager.getRepository(DefinitionVersionRow).save(row);
      definition.state = ProcessDefinitionState.Activated;
      definition.activeVersion = version;
      definition.latestVersion = version;
      definition.modifiedBy = principal.subject;
      await manager.getRepository(ProcessDefinitionRow).save(definition);
      await this.versions.recordChange(
        manager,
        { kind: 'definition', action: 'activated', id: definition.id, uniqueName: definition.uniqueName, definitionVersion: version },
        correlationId,
      );
      return row;
    });
  }

  async deactivate(ref: DefinitionRef, principal: Principal, correlationId: string): Promise<ProcessDefinitionRow> {
    return this.dataSource.transaction(async (manager) => {
      const definition = await this.find(manager, ref, true);
      if (definition.state !== ProcessDefinitionState.Activated || definition.activeVersion === null) {
        throw failedPrecondition(Code.NotActivated, `definition '${definition.uniqueName}' is a Draft: there is nothing to deactivate`);
      }
      const version = definition.activeVersion;
      await manager
        .getRepository(DefinitionVersionRow)
        .update({ definitionId: definition.id, version, deactivatedOn: IsNull() }, { deactivatedOn: new Date() });
      definition.state = ProcessDefinitionState.Draft;
      definition.activeVersion = null;
      definition.modifiedBy = principal.subject;
      const saved = await manager.getRepository(ProcessDefinitionRow).save(definition);
      await this.versions.recordChange(
        manager,
        { kind: 'definition', action: 'deactivated', id: definition.id, uniqueName: definition.uniqueName, definitionVersion: version },
        correlationId,
      );
      return saved;
    });
  }

  async get(ref: DefinitionRef): Promise<ProcessDefinitionRow> {
    return this.find(this.dataSource.manager, ref);
  }

  /** A version by number (0 = the active one); deactivated versions stay readable. */
  async getVersion(ref: DefinitionRef, version: number): Promise<DefinitionVersionRow> {
    const definition = await this.find(this.dataSource.manager, ref);
    const number = version || definition.activeVersion;
    if (!number)
      throw failedPrecondition(Code.NotActivated, `definition '${definition.uniqueName}' has no active version: ask for a version number`);
    const row = await this.dataSource.getRepository(DefinitionVersionRow).findOneBy({ definitionId: definition.id, version: number });
    if (!row)
      throw notFound(
        Code.VersionNotFound,
        `definition '${definition.uniqueName}' has no version ${number} (latest is ${definition.latestVersion})`,
      );
    return row;
  }

  /** The versions of a definition, newest first. */
  async listVersions(ref: DefinitionRef, window: PageWindow): Promise<{ rows: DefinitionVersionRow[]; page: ReturnType<typeof pageInfo> }> {
    const definition = await this.find(this.dataSource.manager, ref);
    const [rows, total] = await this.dataSource.getRepository(DefinitionVersionRow).findAndCount({
      where: { definitionId: definition.id },
      order: { version: 'DESC' },
      skip: window.offset,
      take: window.limit,
    });
    return { rows, page: pageInfo(window, rows.length, total) };
  }

  async list(window: PageWindow, filter: DefinitionFilter): Promise<{ rows: ProcessDefinitionRow[]; page: ReturnType<typeof pageInfo> }> {
    const query = this.dataSource.getRepository(ProcessDefinitionRow).createQueryBuilder('d');
    if (filter.category !== undefined) query.andWhere('d.category = :category', { category: filter.category });
    if (filter.primaryEntity) query.andWhere('d.primaryEntity = :entity', { entity: filter.primaryEntity });
    if (filter.state !== undefined) query.andWhere('d.state = :state', { state: filter.state });
    if (filter.nameContains)
      query.andWhere('(d.name ILIKE :name OR d.uniqueName ILIKE :name)', { name: `%${filter.nameContains.replace(/[%_\\]/g, '\\$&')}%` });
    const [rows, total] = await query.orderBy('d.uniqueName', 'ASC').skip(window.offset).take(window.limit).getManyAndCount();
    return { rows, page: pageInfo(window, rows.length, total) };
  }

  async delete(ref: DefinitionRef, correlationId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const definition = await this.find(manager, ref, true);
      if (definition.state !== ProcessDefinitionState.Draft) {
        throw failedPrecondition(Code.NotDraft, `definition '${definition.uniqueName}' is Activated: deactivate it before deleting it`);
      }
      await manager.getRepository(DefinitionVersionRow).delete({ definitionId: definition.id });
      await manager.getRepository(ProcessDefinitionRow).delete({ id: definition.id });
      await this.versions.recordChange(
        manager,
        { kind: 'definition', action: 'deleted', id: definition.id, uniqueName: definition.uniqueName },
        correlationId,
      );
    });
  }

  /** One document holding the named definitions (all when none is named), by unique name. */
  async export(uniqueNames: string[], format: 'json' | 'yaml'): Promise<string> {
    const repository = this.dataSource.getRepository(ProcessDefinitionRow);
    const rows =
      uniqueNames.length > 0
        ? await repository.find({ where: uniqueNames.map((uniqueName) => ({ uniqueName })), order: { uniqueName: 'ASC' } })
        : await repository.find({ order: { uniqueName: 'ASC' } });
    const missing = uniqueNames.filter((name) => !rows.some((row) => row.uniqueName === name));
    if (missing.length > 0) throw notFound(Code.NotFound, `no process definition named ${missing.map((name) => `'${name}'`).join(', ')}`);
    return this.language.serialize({ flowlineExport: 1, definitions: rows.map((row) => row.source) }, format);
  }

  /** Saves every definition of an export document as a Draft (by unique name), optionally activating them. */
  async import(
    document: string,
    format: 'json' | 'yaml',
    activate: boolean,
    principal: Principal,
    correlationId: string,
  ): Promise<ProcessDefinitionRow[]> {
    const parsed = this.language.parse(document, format, 'export');
    if (!parsed.ok) this.refuse(parsed.violations, 'the import document');
    const definitions = parsed.definition['definitions'] as unknown;
    if (!Array.isArray(definitions)) {
      throw invalidArgument(Code.Invalid, 'the import document is not a Flowline export', [
        { field: 'document.definitions', description: 'expected a list of definitions' },
      ]);
    }
    const saved: ProcessDefinitionRow[] = [];
    // Children first, so activation finds them active.
    for (const definition of definitions as Array<Record<string, unknown>>) {
      const header = this.language.header(definition);
      const existing = await this.dataSource.getRepository(ProcessDefinitionRow).findOneBy({ uniqueName: header.uniqueName });
      if (existing?.state === ProcessDefinitionState.Activated) await this.deactivate({ id: existing.id }, principal, correlationId);
      // The document's other definitions count as known children: a parent may come before its child.
      saved.push(
        await this.save(JSON.stringify(definition), 'json', existing?.id, 0, principal, definitions as Array<Record<string, unknown>>),
      );
    }
    if (activate) {
      const pending = [...saved];
      for (let round = 0; pending.length > 0 && round <= saved.length; round++) {
        for (const row of [...pending]) {
          try {
            await this.activate({ id: row.id }, principal, correlationId);
            pending.splice(pending.indexOf(row), 1);
          } catch (error) {
            if (!(error instanceof FlowlineError && error.code === Code.ChildNotActive)) throw error;
          }
        }
      }
    }
    return Promise.all(saved.map((row) => this.get({ id: row.id })));
  }
}
