/**
 * One row holding the metadata version: it rises by one in the transaction of every change
 * (entity, definition activation, step registration), so a cache can tell whether it is current.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'metadata_state' })
export class MetadataStateRow {
  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'PK_metadata_state' })
  id!: number;

  @Column({ type: 'bigint' })
  version!: string;
}
