/**
 * Failure throttle per definition: after several operations of a definition fail in a row, its
 * Ready operations are not claimed until `throttled_until`, an interval that doubles with every
 * further failure; the first success removes the row and the definition runs normally again.
 */
import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'definition_throttle' })
export class DefinitionThrottleRow {
  @PrimaryColumn({ name: 'definition_id', type: 'uuid', primaryKeyConstraintName: 'PK_definition_throttle' })
  definitionId!: string;

  @Column({ name: 'consecutive_failures', type: 'integer' })
  consecutiveFailures!: number;

  @Column({ name: 'throttled_until', type: 'timestamptz', nullable: true })
  throttledUntil!: Date | null;

  @UpdateDateColumn({ name: 'updated_on', type: 'timestamptz' })
  updatedOn!: Date;
}
