/**
 * An immutable, numbered, compiled version of a definition, snapshotted at activation.
 * Running operations keep the version they started with, so versions are never deleted
 * while their definition exists.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export interface StoredTrigger {
  message: string;
  entity: string;
  /** Update triggers: the attributes whose change starts the workflow; empty = any. */
  attributes: string[];
}

@Entity({ name: 'process_definition_version' })
@Index('IDX_definition_version_active', ['definitionId'], { where: '"deactivated_on" IS NULL' })
export class DefinitionVersionRow {
  @PrimaryColumn({ name: 'definition_id', type: 'uuid', primaryKeyConstraintName: 'PK_process_definition_version' })
  definitionId!: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'PK_process_definition_version' })
  version!: number;

  @Column({ name: 'unique_name', type: 'text' })
  uniqueName!: string;

  @Column({ type: 'smallint' })
  category!: number;

  @Column({ name: 'primary_entity', type: 'text' })
  primaryEntity!: string;

  /** 0 background, 1 real-time. */
  @Column({ type: 'smallint' })
  mode!: number;

  @Column({ name: 'content_hash', type: 'text' })
  contentHash!: string;

  @Column({ type: 'jsonb' })
  compiled!: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  triggers!: StoredTrigger[];

  /** Entities the definition reads or writes, for metadata deletion checks. */
  @Column({ name: 'referenced_entities', type: 'text', array: true })
  referencedEntities!: string[];

  @Column({ name: 'activated_by', type: 'text' })
  activatedBy!: string;

  @Column({ name: 'activated_on', type: 'timestamptz' })
  activatedOn!: Date;

  @Column({ name: 'deactivated_on', type: 'timestamptz', nullable: true })
  deactivatedOn!: Date | null;
}
