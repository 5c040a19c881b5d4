/**
 * A business data record: any entity's row, attributes as JSONB validated against the
 * entity metadata, with owner, state/status, audit fields and a version for optimistic
 * concurrency.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'record' })
// RetrieveMultiple filters on attributes through this GIN index (jsonb_path_ops: @> containment).
@Index('IDX_record_attributes', { synchronize: false })
@Index('IDX_record_entity_modified', ['entity', 'modifiedOn'])
export class RecordRow {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_record' })
  entity!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_record' })
  id!: string;

  @Column({ type: 'jsonb' })
  attributes!: Record<string, unknown>;

  /** `entity:id` of the owning user or team, when the entity is user-owned. */
  @Column({ name: 'owner_id', type: 'text', nullable: true })
  ownerId!: string | null;

  @Column({ name: 'state_code', type: 'integer', nullable: true })
  stateCode!: number | null;

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_on', type: 'timestamptz' })
  createdOn!: Date;

  @Column({ name: 'modified_by', type: 'text' })
  modifiedBy!: string;

  @Column({ name: 'modified_on', type: 'timestamptz' })
  modifiedOn!: Date;

  @Column({ type: 'integer' })
  version!: number;
}
