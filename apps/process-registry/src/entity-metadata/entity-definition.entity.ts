/** An entity of the metadata, with its attributes, as the registry stores it. */
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { AttributeMetadata, OwnershipKind } from '@flowline/contracts';

@Entity({ name: 'entity_definition' })
export class EntityDefinitionRow {
  @PrimaryColumn({ name: 'logical_name', type: 'text', primaryKeyConstraintName: 'PK_entity_definition' })
  logicalName!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ name: 'primary_id_attribute', type: 'text' })
  primaryIdAttribute!: string;

  @Column({ name: 'primary_name_attribute', type: 'text' })
  primaryNameAttribute!: string;

  @Column({ type: 'text' })
  ownership!: OwnershipKind;

  @Column({ type: 'jsonb' })
  attributes!: AttributeMetadata[];

  @Column({ name: 'is_custom', type: 'boolean', default: true })
  isCustom!: boolean;

  @VersionColumn({ name: 'row_version' })
  rowVersion!: number;

  @CreateDateColumn({ name: 'created_on', type: 'timestamptz' })
  createdOn!: Date;

  @UpdateDateColumn({ name: 'modified_on', type: 'timestamptz' })
  modifiedOn!: Date;
}
