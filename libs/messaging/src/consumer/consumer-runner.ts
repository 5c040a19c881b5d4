/**
 * Runs a consumer group over enveloped messages (one at a time, or a partition's batch at once):
 * the message processor validates, handles, retries and dead-letters them; the offset is
 * committed only after the handler's work is durable. This class owns the membership: starting
 * again after a crash or a stall the client does not recover from, the health readiness reads,
 * and stopping, which finishes the message in flight, commits, and leaves the group.
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { EnvelopeProducer } from '../producer/envelope-producer';
import type { KafkaLog } from '../kafka/kafka-client';
import { ConsumerHealth, type ConsumerHealthReport } from './consumer-health';
import type { EnvelopeBatchHandler, EnvelopeHandler, RawMessageHandler } from './handlers';
import { MessageProcessor } from './message-processor';

export * from './handlers';

/** The consumers running in this process, for the consumer metrics and readiness. */
export const runningConsumers = new Set<ConsumerRunner>();

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  groupId: string;
  /** Physical topic names (with the deployment's prefix). */
  topics: string[];
  /** Where dead letters go (physical name). */
  deadLetterTopic?: string;
  /** Handles one message at a time. Give this or batchHandler. */
  handler?: EnvelopeHandler;
  /**
   * Handles each fetched batch of a partition in one call, committing its offsets once after it.
   * A batch that still fails after its retries is handled again one message at a time (each as
   * a batch of one), so one bad message goes to the dead letters alone and holds nothing back.
   */
  batchHandler?: EnvelopeBatchHandler;
  /**
   * Handles one message at a time as it came, for topics whose values are not envelopes (the
   * dead letters): no envelope check, the same retries, dependency waits and commits.
   */
  rawHandler?: RawMessageHandler;
  deadLetters: EnvelopeProducer;
  log: KafkaLog;
  maxAttempts?: number;
  retryBackoffMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How long the group waits for every member to rejoin once a rebalance starts (kafkajs default 60 s). */
  rebalanceTimeoutMs?: number;
  fromBeginning?: boolean;
  /**
   * false: start() returns once subscribed and the group join goes on in the background, so a
   * service's start-up (and readiness) does not wait for a rebalance of a busy group; nothing is
   * missed, since consumption starts from the committed offsets. Default true.
   */
  awaitJoin?: boolean;
  /** Partitions handled at once (each still one message at a time, in order). Default 1. */
  partitionsConsumedConcurrently?: number;
  /** How long stop() waits to leave the group (default 5 s). */
  stopTimeoutMs?: number;
  /**
   * A member holding partitions that completes no fetch for this long (outside a handler) has
   * stalled: readiness fails and the consumer is started again. Default 60 s.
   */
  fetchPatienceMs?: number;
  /** A member still joining its group after this long has stalled likewise. Default 90 s, or 1.5 × the rebalance timeout. */
  joinPatienceMs?: number;
  /** How often the member is checked against its patience (default 5 s). */
  healthCheckIntervalMs?: number;
}

/** Coordinator answers that mean "this member's generation is over", not "the commit failed". */
const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR']);

function rebalanceReason(error: unknown): string | undefined {
  for (let current = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    if (typeof current.type === 'string' && REBALANCE_ERRORS.has(current.type)) return current.type;
    current = current.cause as typeof current;
  }
  return undefined;
}

export function isRebalanceError(error: unknown): boolean {
  return rebalanceReason(error) !== undefined;
}

/** Restarts after a crash kafkajs does not recover from: 1 s, doubling, at most 30 s. */
const RESTART_BASE_MS = 1000;
const RESTART_MAX_MS = 30_000;

export class ConsumerRunner {
  private readonly consumer: Consumer;
  private stopping = false;
  private running = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private restartingAfterStall = false;
  private readonly health: ConsumerHealth;

  private readonly processor: MessageProcessor;

  constructor(private readonly options: ConsumerRunnerOptions) {
    const { handler, batchHandler, rawHandler } = options;
    if (!handler && !batchHandler && !rawHandler) throw new Error('ConsumerRunner needs a handler, a batchHandler or a rawHandler');
    const single: EnvelopeHandler =
      handler ?? ((envelope, context) => (batchHandler ? batchHandler([{ envelope, context }], async () => undefined) : Promise.resolve()));
    this.processor = new MessageProcessor(options, single, () => this.stopping, rawHandler);
    this.health = new ConsumerHealth({
      fetchPatienceMs: options.fetchPatienceMs ?? 60_000,
      joinPatienceMs: options.joinPatienceMs ?? Math.max(90_000, 1.5 * (options.rebalanceTimeoutMs ?? 60_000)),
    });
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      ...(options.rebalanceTimeoutMs !== undefined ? { rebalanceTimeout: options.rebalanceTimeoutMs } : {}),
      allowAutoTopicCreation: false,
    });
    // kafkajs restarts a consumer after retriable errors only; after any other crash (for example
    // an ILLEGAL_GENERATION it does not treat as a rebalance) it stays disconnected and the group
    // loses this member for good. Such a consumer is started again here, with backoff.
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      this.options.log.error(
        { groupId: this.options.groupId, reason: String(error), restartedByClient: restart },
        `consumer crashed: ${String(error)}`,
      );
      if (!restart && this.running && !this.stopping) this.scheduleRestart();
    });
    const { GROUP_JOIN, REBALANCING, FETCH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (event) => {
      this.health.joined(event.payload.memberAssignment);
      const partitions = Object.values(event.payload.memberAssignment).reduce((sum, list) => sum + list.length, 0);
      this.options.log.info(
        { groupId: this.options.groupId, memberId: event.payload.memberId, assignment: event.payload.memberAssignment },
        `joined consumer group ${this.options.groupId} holding ${partitions} partition(s)`,
      );
    });
    this.consumer.on(REBALANCING, () => this.health.joining());
    this.consumer.on(FETCH, () => this.health.fetched());
  }

  get groupId(): string {
    return this.options.groupId;
  }

  get topics(): string[] {
    return [...this.options.topics];
  }

  /** What this member holds and whether it is consuming (see ConsumerHealth). */
  healthReport(): ConsumerHealthReport {
    return this.health.report();
  }

  /** Tries of a message put off because a dependency (database, registry, ...) was unavailable. */
  get dependencyWaits(): number {
    return this.processor.dependencyWaits;
  }

  /** Every few seconds: a member that stalled is reported and started again. */
  private checkHealth(): void {
    if (!this.running || this.stopping || this.restartingAfterStall) return;
    const problem = this.health.check();
    if (!problem) return;
    this.options.log.error(
      { groupId: this.options.groupId, problem },
      `consumer group ${this.options.groupId} stalled: this member ${problem}; starting it again from the committed offsets`,
    );
    this.restartingAfterStall = true;
    this.health.restarts += 1;
    void (async () => {
      try {
        await this.disconnectWithin(this.options.stopTimeoutMs ?? 5000);
        if (!this.running || this.stopping) return;
        this.health.joining();
        await this.consumer.connect();
        await this.run();
        this.options.log.warn({ groupId: this.options.groupId }, 'consumer started again after a stall');
      } catch (error) {
        this.options.log.error(
          { groupId: this.options.groupId, reason: String(error) },
          `consumer could not start again after a stall: ${String(error)}`,
        );
        if (this.running && !this.stopping) this.scheduleRestart();
      } finally {
        this.restartingAfterStall = false;
      }
    })();
  }

  /** Leaves the group, giving up after `ms` (a rebalance held up by a dead member can block it). */
  private async disconnectWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      this.consumer.disconnect().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms))),
    ]);
    clearTimeout(timer);
    return gaveUp;
  }

  /** Times the consumer was started again after a crash its client did not recover from. */
  get restartCount(): number {
    return this.restarts;
  }

  private scheduleRestart(): void {
    const delay = Math.min(RESTART_BASE_MS * 2 ** Math.min(this.restarts, 10), RESTART_MAX_MS);
    this.options.log.warn({ groupId: this.options.groupId, delayMs: delay }, `starting the consumer again in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      if (!this.running || this.stopping) return;
      this.restarts += 1;
      // Nothing committed is lost: it resumes from the group's committed offsets.
      this.consumer
        .connect()
        .then(() => this.run())
        .then(() =>
          this.options.log.warn({ groupId: this.options.groupId, restarts: this.restarts }, 'consumer started again after a crash'),
        )
        .catch((error: unknown) => {
          this.options.log.error(
            { groupId: this.options.groupId, reason: String(error) },
            `consumer could not start again: ${String(error)}`,
          );
          if (this.running && !this.stopping) this.scheduleRestart();
        });
    }, delay);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.options.topics) await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    this.running = true;
    runningConsumers.add(this);
    this.health.joining();
    this.healthTimer = setInterval(() => this.checkHealth(), this.options.healthCheckIntervalMs ?? 5000);
    this.healthTimer.unref();
    const running = this.run();
    if (this.options.awaitJoin ?? true) {
      await running;
      return;
    }
    running.catch((error: unknown) =>
      this.options.log.error({ groupId: this.options.groupId, reason: String(error) }, `consumer could not start: ${String(error)}`),
    );
  }

  private run(): Promise<void> {
    const batchHandler = this.options.rawHandler ? undefined : this.options.batchHandler;
    return this.consumer.run({
      autoCommit: false,
      // Messages of one partition stay in order; partitions may be handled side by side.
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      ...(batchHandler
        ? {
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
              if (batch.messages.length === 0 || !isRunning() || isStale()) return;
              this.health.handlerStarted();
              try {
                await this.processor.processBatch(batch.topic, batch.partition, batch.messages, heartbeat, batchHandler);
              } finally {
                this.health.handlerEnded();
              }
              const last = batch.messages[batch.messages.length - 1]!;
              // The next fetch of this partition starts after the batch, and the group's offset too.
              resolveOffset(last.offset);
              await this.commit(batch.topic, batch.partition, last.offset);
            },
          }
        : {
            eachMessage: async ({ topic, partition, message, heartbeat }) => {
              this.health.handlerStarted();
              try {
                await this.processor.process(topic, partition, message, heartbeat);
              } finally {
                this.health.handlerEnded();
              }
              await this.commit(topic, partition, message.offset);
            },
          }),
    });
  }

  /** Commits past `offset`: only now is the handler's work durable (or the message in the dead letters). */
  private async commit(topic: string, partition: number, offset: string): Promise<void> {
    try {
      await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
    } catch (error) {
      // The group is rebalancing (a member joined or left): the coordinator refuses commits of
      // the old generation. Not a failure of this message: whoever owns the partition next
      // gets it again (handlers are idempotent) and this consumer rejoins at its next heartbeat.
      // Letting the error through would crash the consumer for good (kafkajs does not restart
      // on non-retriable errors).
      if (!isRebalanceError(error)) throw error;
      this.options.log.warn(
        { topic, partition, offset, reason: rebalanceReason(error) },
        'offset not committed: the group is rebalancing; the next owner of the partition reprocesses it',
      );
    }
  }

  /** Finishes the message in flight, commits it, and leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.running = false;
    clearTimeout(this.restartTimer);
    clearInterval(this.healthTimer);
    runningConsumers.delete(this);
    this.health.stopped();
    // Leaving may wait on a rebalance held up by a dead member; the offsets of finished messages
    // are committed already, so a stop that takes too long gives up rather than outlast the grace.
    const gaveUp = await this.disconnectWithin(this.options.stopTimeoutMs ?? 5000);
    if (gaveUp) this.options.log.warn({ groupId: this.options.groupId }, 'left the consumer group without waiting for it to settle');
  }
}
