/**
 * The scheduler: every SCHEDULER_POLL_MS it brings the schedule table in line with the active
 * definition versions (when the metadata snapshot changed), then fires what is due. Each firing
 * is one transaction: the schedule row is claimed `FOR UPDATE SKIP LOCKED`, its runs are inserted
 * with an event id derived from the schedule, the due time (and the record), unique with the
 * definition (UQ_async_operation_event_process), and its next due time is saved. Any number of
 * replicas fire side by side, each due time exactly once; a replica killed mid-firing rolls back
 * and another fires it. Operators' pause, resume and trigger-now are here too.
 */
import { createHash } from 'node:crypto';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status, AsyncOperationType, ProcessCategory } from '@flowline/contracts';
import { injectTraceHeaders } from '@flowline/messaging';
import { MetadataCache } from '@flowline/metadata-cache';
import { canonicalJson, SCHEDULE_QUERY_MAX_RECORDS, type CompiledDefinition, type CompiledSchedule } from '@flowline/process-model';
import { failedPrecondition, FlowlineError, notFound } from '@flowline/rpc';
import { DefinitionVersions } from '../definitions/definition-versions';
import type { AsyncOperationRow } from '../operations/async-operation.entity';
import { dependencyTokenOf } from '../operations/dependency-token';
import { OperationRepository } from '../operations/operation-repository';
import { GatewayClient } from '../worker/gateway-client';
import { nextOf, planFiring, type FiringOutcome } from './firing-plan';
import { ScheduleClock } from './schedule-clock';
import { ScheduleRepository, type SyncedSchedule } from './schedule-repository';
import type { ScheduleRow } from './schedule.entity';
import { ScheduleMetrics } from './schedules.metrics';
import { timeOrderedId } from '@flowline/persistence';

const tracer = trace.getTracer('flowline.async-executor');

export const SCHEDULER_OPTIONS = Symbol('SCHEDULER_OPTIONS');

export interface SchedulerOptions {
  /** 0: this process fires no schedules (operators' actions still work). */
  pollMs: number;
  /** A due time fired later than this after its time counts as missed (catch-up policy). */
  misfireGraceMs: number;
}

/** A firing that failed is tried again after this long. */
const RETRY_FAILED_FIRING_MS = 10_000;

/** Schedules fired per transaction loop of one tick, at most. */
const FIRINGS_PER_TICK = 100;

/** A UUID from text: a firing's event id, the same on every replica. */
function eventIdOf(...parts: string[]): string {
  const hex = createHash('sha256')
    .update(`schedule\u0000${parts.join('\u0000')}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A metric and log line of a firing, given once its transaction has committed. */
type Report = () => void;

export function specHashOf(spec: CompiledSchedule): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

@Injectable()
export class SchedulerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private syncedVersion: string | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly operations: OperationRepository,
    private readonly metadata: MetadataCache,
    private readonly versions: DefinitionVersions,
    private readonly gateway: GatewayClient,
    private readonly clock: ScheduleClock,
    private readonly metrics: ScheduleMetrics,
    @Inject(SCHEDULER_OPTIONS) private readonly options: SchedulerOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.pollMs > 0) this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.logger.warn({ err: error }, `schedules not fired this time: ${String(error)}; trying again`))
        .finally(() => {
          this.ticking = undefined;
          this.schedule();
        });
    }, this.options.pollMs);
    this.timer.unref();
  }

  /** One round: follow the active versions, then fire what is due. */
  async tick(): Promise<void> {
    if (!this.metadata.ready) return;
    if (this.metadata.version !== this.syncedVersion) await this.sync();
    const handled: string[] = [];
    for (let fired = 0; fired < FIRINGS_PER_TICK && !this.stopped; fired++) {
      const id = await this.fireNext(handled);
      if (!id) break;
      handled.push(id);
    }
  }

  /** The schedule table as the metadata snapshot's active versions define it. */
  async sync(): Promise<void> {
    const version = this.metadata.version;
    const now = this.clock.now();
    const rows: SyncedSchedule[] = [];
    for (const active of this.metadata.activeVersions()) {
      if (active.category !== ProcessCategory.Workflow) continue;
      const compiled = JSON.parse(active.compiled) as CompiledDefinition;
      for (const spec of compiled.schedules ?? []) {
        const id = `${active.definitionId}:${spec.triggerIndex}`;
        rows.push({
          id,
          definitionId: active.definitionId,
          triggerIndex: spec.triggerIndex,
          uniqueName: active.uniqueName,
          definitionVersion: active.version,
          primaryEntity: active.primaryEntity,
          spec,
          specHash: specHashOf(spec),
          owner: active.activatedBy,
          ...nextOf({ id, spec }, now),
        });
      }
    }
    await this.schedules.upsert(rows, version);
    const removed = await this.schedules.removeOlderThan(
      version,
      rows.map((row) => row.id),
    );
    this.syncedVersion = version;
    if (removed.length > 0) this.logger.log({ removed }, `schedules of deactivated definitions removed: ${removed.join(', ')}`);
    this.logger.debug({ metadataVersion: version, schedules: rows.length }, 'schedules synced with the active definition versions');
  }

  /** Fires one due schedule (not one of `handled`), in one transaction; its id, or undefined when none is due. */
  private async fireNext(handled: readonly string[]): Promise<string | undefined> {
    let failed: { id: string; error: unknown } | undefined;
    const reports: Report[] = [];
    const claimed = await this.schedules.transaction(async (manager) => {
      const now = this.clock.now();
      const [row] = await this.schedules.claimDue(manager, now, 1, handled);
      if (!row) return undefined;
      // A firing that fails (its query: the gateway unavailable) rolls back whole; the schedule is
      // tried again after a pause, its due time kept (so others due meanwhile are not held up).
      await manager.query('SAVEPOINT firing');
      try {
        await this.fire(manager, reports, row, now);
      } catch (error) {
        await manager.query('ROLLBACK TO SAVEPOINT firing');
        reports.length = 0;
        failed = { id: row.id, error };
        await this.schedules.deferFiring(manager, row.id, new Date(now.getTime() + RETRY_FAILED_FIRING_MS));
      }
      return row.id;
    });
    // Metrics and log lines once the firing is committed (a rolled-back one reports nothing).
    for (const report of reports) report();
    if (failed) {
      this.metrics.firings.inc({ outcome: 'failed' });
      this.logger.warn(
        { scheduleId: failed.id, err: failed.error },
        `schedule ${failed.id} could not fire: ${String(failed.error)}; trying again in ${RETRY_FAILED_FIRING_MS / 1000} s`,
      );
    }
    return claimed;
  }

  private async fire(manager: EntityManager, reports: Report[], row: ScheduleRow, now: Date): Promise<void> {
    const previousOpen = await this.operations.anyOpen(manager, row.lastOperationIds);
    const plan = planFiring(
      { id: row.id, spec: row.spec, nextDueAt: row.nextDueAt, bufferedDueAt: row.bufferedDueAt },
      now,
      previousOpen,
      this.options.misfireGraceMs,
    );
    let last: { dueAt: Date; firedAt: Date; outcome: string; operationIds?: string[] } | undefined;
    for (const firing of plan.fire) {
      const ids = await this.startRuns(manager, reports, row, firing.dueAt, firing.outcome, now);
      last = { dueAt: firing.dueAt, firedAt: now, outcome: firing.outcome, operationIds: ids };
    }
    for (const skipped of plan.skipped) {
      reports.push(() => {
        this.metrics.firings.inc({ outcome: skipped.reason });
        this.logger.log(
          { scheduleId: row.id, definition: row.uniqueName, scheduledAt: skipped.dueAt.toISOString(), outcome: skipped.reason },
          `schedule ${row.id} (${row.uniqueName}) due ${skipped.dueAt.toISOString()}: ${skipped.reason}`,
        );
      });
      if (!last || skipped.dueAt > last.dueAt)
        last = { dueAt: skipped.dueAt, firedAt: now, outcome: skipped.reason, operationIds: last?.operationIds };
    }
    if (plan.moreMissed)
      reports.push(() =>
        this.logger.warn({ scheduleId: row.id }, `schedule ${row.id}: more due times were missed than are caught up or listed`),
      );
    await this.schedules.saveFiring(manager, row.id, {
      nextDueAt: plan.nextDueAt,
      nextFireAt: plan.nextFireAt,
      bufferedDueAt: plan.bufferedDueAt,
      ...(last ? { last } : {}),
    });
  }

  /**
   * The runs of one due time: one with no primary record, or one per record the schedule's query
   * matches (read through the gateway as the schedule's owner). Each is inserted once.
   */
  private async startRuns(
    manager: EntityManager,
    reports: Report[],
    row: ScheduleRow,
    dueAt: Date,
    outcome: FiringOutcome,
    now: Date,
    nonce = '',
  ): Promise<string[]> {
    const span = tracer.startSpan(`schedule fire ${row.uniqueName}`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        'flowline.schedule.id': row.id,
        'flowline.schedule.scheduled_at': dueAt.toISOString(),
        'flowline.schedule.outcome': outcome,
        'flowline.definition.unique_name': row.uniqueName,
      },
    });
    try {
      const compiled = await this.versions.get(row.definitionId, row.definitionVersion);
      const correlationId = timeOrderedId();
      const records: Array<{ id: string; record: Record<string, unknown> } | undefined> = row.spec.query
        ? await this.queryRecords(row, correlationId)
        : [undefined];
      const traceContext = injectTraceHeaders({}, trace.setSpan(context.active(), span)) as Record<string, string>;
      const values: Array<Partial<AsyncOperationRow>> = records.map((found) => ({
        id: timeOrderedId(),
        operationType: AsyncOperationType.Workflow,
        name: row.uniqueName,
        processKey: row.definitionId,
        definitionId: row.definitionId,
        definitionVersion: row.definitionVersion,
        stepRegistrationId: null,
        state: State.Ready,
        status: Status.WaitingForResources,
        eventId: eventIdOf(row.id, dueAt.toISOString(), found?.id ?? '', nonce),
        correlationId,
        depth: 1,
        primaryEntity: row.primaryEntity,
        regardingId: found?.id ?? '',
        owner: row.owner,
        input: {
          message: 'Schedule',
          entity: row.primaryEntity,
          recordId: found?.id ?? null,
          target: null,
          preImage: null,
          postImage: found?.record ?? null,
          changedAttributes: [],
          initiatingUserId: row.owner,
          inputs: {},
          trigger: { type: 'schedule', scheduleId: row.id, scheduledAt: dueAt.toISOString(), firedAt: now.toISOString(), outcome },
          occurredAt: now.toISOString(),
        },
        instanceState: null,
        dependencyToken: found ? dependencyTokenOf(compiled, row.primaryEntity, found.id) : null,
        postponeUntil: new Date(),
        traceContext,
      }));
      const ids = await this.operations.insertStarted(manager, values);
      span.setAttribute('flowline.schedule.runs', ids.length);
      reports.push(() => {
        this.metrics.firings.inc({ outcome });
        this.metrics.runsStarted.inc(ids.length);
        this.metrics.lag.observe(Math.max(0, now.getTime() - dueAt.getTime()) / 1000);
        this.logger.log(
          {
            scheduleId: row.id,
            definition: row.uniqueName,
            scheduledAt: dueAt.toISOString(),
            outcome,
            runs: ids.length,
            operationIds: ids.slice(0, 20),
            correlationId,
          },
          `schedule ${row.id} (${row.uniqueName}) due ${dueAt.toISOString()}: ${outcome}, ${ids.length} run(s) started`,
        );
      });
      return ids;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  /** The records a schedule's query matches now (at most SCHEDULE_QUERY_MAX_RECORDS), as its owner reads them. */
  private async queryRecords(row: ScheduleRow, correlationId: string): Promise<Array<{ id: string; record: Record<string, unknown> }>> {
    const query = row.spec.query!;
    const outcome = await this.gateway.execute({
      message: 'RetrieveMultiple',
      entity: query.entity,
      target: {},
      parameters: { conditions: query.conditions, pageSize: SCHEDULE_QUERY_MAX_RECORDS },
      idempotencyKey: '',
      depth: 1,
      correlationId,
      initiatingUserId: row.owner,
    });
    if (!outcome.ok)
      throw new FlowlineError(
        outcome.transient ? 'UNAVAILABLE' : 'FAILED_PRECONDITION',
        'SCHEDULE_QUERY_FAILED',
        `the query of schedule ${row.id} failed (${outcome.code}): ${outcome.message}`,
      );
    const idAttribute = (await this.metadata.entity(query.entity))?.primaryIdAttribute ?? `${query.entity}id`;
    return ((outcome.records ?? []) as Array<Record<string, unknown>>).flatMap((record) => {
      const id = record[idAttribute];
      return typeof id === 'string' ? [{ id, record }] : [];
    });
  }

  // Operators' actions.

  async get(id: string): Promise<ScheduleRow> {
    const row = await this.schedules.get(id);
    if (!row) throw notFound('SCHEDULE_NOT_FOUND', `no schedule '${id}' (field id): list them with GET /api/v1/schedules`);
    return row;
  }

  list(): Promise<ScheduleRow[]> {
    return this.schedules.list();
  }

  async pause(id: string, by: string): Promise<ScheduleRow> {
    const row = await this.get(id);
    if (row.paused) throw failedPrecondition('SCHEDULE_PAUSED', `schedule '${id}' is paused already`);
    await this.schedules.setPaused(id, true, by);
    this.logger.log({ scheduleId: id, by }, `${by} paused schedule ${id} (${row.uniqueName})`);
    return this.get(id);
  }

  /** Resumes from now: what fell due while paused is not caught up. */
  async resume(id: string, by: string): Promise<ScheduleRow> {
    const row = await this.get(id);
    if (!row.paused) throw failedPrecondition('SCHEDULE_NOT_PAUSED', `schedule '${id}' is not paused`);
    await this.schedules.setPaused(id, false, by, nextOf({ id, spec: row.spec }, this.clock.now()));
    this.logger.log({ scheduleId: id, by }, `${by} resumed schedule ${id} (${row.uniqueName})`);
    return this.get(id);
  }

  /** Starts the schedule's runs now (scheduled time: now), whatever its overlap policy and even when paused; its next due time stays. */
  async triggerNow(id: string, by: string): Promise<{ schedule: ScheduleRow; operationIds: string[] }> {
    const reports: Report[] = [];
    const operationIds = await this.schedules.transaction(async (manager) => {
      const row = await this.schedules.lockOne(manager, id);
      if (!row) throw notFound('SCHEDULE_NOT_FOUND', `no schedule '${id}' (field id): list them with GET /api/v1/schedules`);
      const now = this.clock.now();
      const ids = await this.startRuns(manager, reports, row, now, 'trigger-now', now, timeOrderedId());
      await this.schedules.saveFiring(manager, id, {
        nextDueAt: row.nextDueAt,
        nextFireAt: row.nextFireAt,
        bufferedDueAt: row.bufferedDueAt,
        last: { dueAt: now, firedAt: now, outcome: 'trigger-now', operationIds: ids },
      });
      return ids;
    });
    for (const report of reports) report();
    this.logger.log({ scheduleId: id, by, operationIds }, `${by} triggered schedule ${id} now: ${operationIds.length} run(s)`);
    return { schedule: await this.get(id), operationIds };
  }
}
