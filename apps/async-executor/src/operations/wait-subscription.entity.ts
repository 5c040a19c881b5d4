/** A record a suspended operation waits on: an event on it makes the operation Ready again. */
import { Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'wait_subscription' })
// The dispatcher looks subscriptions up by the record an event is about.
@Index('IDX_wait_subscription_record', ['entity', 'recordId'])
export class WaitSubscriptionRow {
  @PrimaryColumn({ name: 'operation_id', type: 'uuid', primaryKeyConstraintName: 'PK_wait_subscription' })
  operationId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_wait_subscription' })
  entity!: string;

  @PrimaryColumn({ name: 'record_id', type: 'text', primaryKeyConstraintName: 'PK_wait_subscription' })
  recordId!: string;
}
