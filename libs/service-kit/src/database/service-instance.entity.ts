/**
 * One row per running process of a service, in that service's own schema: which host and
 * pid run it, where it listens, when it started and when it was last seen. Operators read it
 * to see what runs where; the executor uses the id as its lease owner.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'service_instance' })
export class ServiceInstanceEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_service_instance' })
  id!: string;

  @Column({ type: 'text' })
  service!: string;

  @Column({ type: 'text' })
  host!: string;

  @Column({ type: 'integer' })
  pid!: number;

  @Column({ name: 'http_port', type: 'integer' })
  httpPort!: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'heartbeat_at', type: 'timestamptz' })
  heartbeatAt!: Date;

  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true })
  stoppedAt!: Date | null;
}
