/** A plug-in step registered in the event pipeline. */
import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryColumn, VersionColumn } from 'typeorm';

export interface StoredImage {
  alias: string;
  type: 'pre' | 'post' | 'both';
  attributes: string[];
}

export type StoredHandler = { kind: 'webhook'; url: string; timeoutMs: number } | { kind: 'builtin'; name: string };

@Entity({ name: 'plugin_step' })
@Index('IDX_plugin_step_message_entity', ['message', 'primaryEntity'])
export class StepRegistrationRow {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_plugin_step' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  message!: string;

  /** Empty string: any entity. */
  @Column({ name: 'primary_entity', type: 'text' })
  primaryEntity!: string;

  @Column({ type: 'smallint' })
  stage!: number;

  @Column({ type: 'smallint' })
  mode!: number;

  @Column({ type: 'integer' })
  rank!: number;

  @Column({ name: 'filtering_attributes', type: 'text', array: true })
  filteringAttributes!: string[];

  @Column({ type: 'jsonb' })
  images!: StoredImage[];

  @Column({ type: 'jsonb' })
  handler!: StoredHandler;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @Column({ name: 'unsecure_configuration', type: 'text' })
  unsecureConfiguration!: string;

  /** Never returned to callers: only the pipeline reads it, over the snapshot to services. */
  @Column({ name: 'secure_configuration', type: 'text' })
  secureConfiguration!: string;

  @Column({ name: 'registration_sequence', type: 'bigint' })
  @Generated('increment')
  registrationSequence!: string;

  @CreateDateColumn({ name: 'registered_on', type: 'timestamptz' })
  registeredOn!: Date;

  @VersionColumn({ name: 'row_version' })
  rowVersion!: number;
}
