/**
 * Whether a consumer group member is really consuming: which partitions it holds, when it last
 * completed a fetch, and whether it has been rejoining its group for too long. A member that is
 * connected and "running" can still stall (a rebalance that never completes for it, a fetch that
 * never returns); readiness and the consumer metrics read this instead of trusting the client.
 */

export type ConsumerState = 'starting' | 'joining' | 'consuming' | 'stalled' | 'stopped';

export interface ConsumerHealthOptions {
  /** How long a member may go without completing a fetch while it holds partitions. */
  fetchPatienceMs: number;
  /** How long a member may spend joining (or rejoining) its group. */
  joinPatienceMs: number;
}

export interface ConsumerHealthReport {
  state: ConsumerState;
  /** Partitions held, per topic, since the last completed join. */
  assignment: Record<string, number[]>;
  partitions: number;
  lastFetchAgoMs: number | null;
  /** Set when the state is stalled: what is wrong, in words an operator can act on. */
  problem: string | null;
  restarts: number;
}

export class ConsumerHealth {
  private state: ConsumerState = 'starting';
  private since: number;
  private assignment: Record<string, number[]> = {};
  private lastFetchAt: number | null = null;
  private handlersRunning = 0;
  private problem: string | null = null;
  restarts = 0;

  constructor(
    private readonly options: ConsumerHealthOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.since = now();
  }

  /** The member asked to join (at start, after a crash or a stall, or when the group rebalances). */
  joining(): void {
    if (this.state !== 'joining') this.since = this.now();
    this.state = 'joining';
    this.problem = null;
  }

  joined(assignment: Record<string, number[]>): void {
    this.assignment = Object.fromEntries(Object.entries(assignment).map(([topic, partitions]) => [topic, [...partitions].sort((a, b) => a - b)]));
    this.state = 'consuming';
    this.since = this.now();
    this.lastFetchAt = this.now();
    this.problem = null;
  }

  fetched(): void {
    this.lastFetchAt = this.now();
    if (this.state === 'stalled') {
      this.state = 'consuming';
      this.problem = null;
    }
  }

  handlerStarted(): void {
    this.handlersRunning += 1;
  }

  handlerEnded(): void {
    this.handlersRunning = Math.max(0, this.handlersRunning - 1);
    this.lastFetchAt = this.now();
  }

  stopped(): void {
    this.state = 'stopped';
    this.assignment = {};
  }

  /**
   * Checks the member against its patience; returns the problem when it has just stalled. A
   * handler that takes long is not a stall of the consumer (its own retries and time-outs apply).
   */
  check(): string | undefined {
    const now = this.now();
    if (this.state === 'joining' && now - this.since > this.options.joinPatienceMs) {
      return this.stall(`has been joining its group for ${Math.round((now - this.since) / 1000)} s without being given partitions`);
    }
    const partitions = this.partitionCount();
    if (
      this.state === 'consuming' &&
      partitions > 0 &&
      this.handlersRunning === 0 &&
      this.lastFetchAt !== null &&
      now - this.lastFetchAt > this.options.fetchPatienceMs
    ) {
      return this.stall(
        `holds ${partitions} partition(s) but completed no fetch for ${Math.round((now - this.lastFetchAt) / 1000)} s`,
      );
    }
    return undefined;
  }

  private stall(problem: string): string {
    this.state = 'stalled';
    this.problem = problem;
    return problem;
  }

  private partitionCount(): number {
    return Object.values(this.assignment).reduce((sum, partitions) => sum + partitions.length, 0);
  }

  report(): ConsumerHealthReport {
    return {
      state: this.state,
      assignment: this.assignment,
      partitions: this.partitionCount(),
      lastFetchAgoMs: this.lastFetchAt === null ? null : this.now() - this.lastFetchAt,
      problem: this.problem,
      restarts: this.restarts,
    };
  }
}
