/** A process definition (workflow or dialog) in its authored form, Draft or Activated. */
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';

@Entity({ name: 'process_definition' })
@Index('UQ_process_definition_unique_name', ['uniqueName'], { unique: true })
export class ProcessDefinitionRow {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_process_definition' })
  id!: string;

  @Column({ name: 'unique_name', type: 'text' })
  uniqueName!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  /** 0 workflow, 1 dialog. */
  @Column({ type: 'smallint' })
  category!: number;

  @Column({ name: 'primary_entity', type: 'text' })
  primaryEntity!: string;

  /** 0 Draft, 1 Activated. */
  @Column({ type: 'smallint' })
  state!: number;

  /** The authored definition (parsed JSON or YAML), exactly as saved. */
  @Column({ type: 'jsonb' })
  source!: Record<string, unknown>;

  @Column({ name: 'active_version', type: 'integer', nullable: true })
  activeVersion!: number | null;

  @Column({ name: 'latest_version', type: 'integer', default: 0 })
  latestVersion!: number;

  @Column({ type: 'text' })
  owner!: string;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_on', type: 'timestamptz' })
  createdOn!: Date;

  @Column({ name: 'modified_by', type: 'text' })
  modifiedBy!: string;

  @UpdateDateColumn({ name: 'modified_on', type: 'timestamptz' })
  modifiedOn!: Date;

  @VersionColumn({ name: 'row_version' })
  rowVersion!: number;
}
