/**
 * Group commit for plain Creates over `Execute` (one-statement-create.ts). Each plain Create is
 * one autocommitted statement: its record, its pipeline event into the outbox and its idempotency
 * answer. Under load, many arrive while others are being written; those that arrive while
 * `maxInFlight` statements are already running wait for the next one and go together: one
 * statement, one commit and one round trip for all of them, where each took its own.
 *
 * - Nothing waits for a timer: with a statement free, a Create is written at once, alone, as
 *   before. Only Creates that would have queued for a connection anyway are gathered.
 * - Each caller still learns its own outcome: created, or the record already existed
 *   (ALREADY_EXISTS). Two Creates of one record never share a statement (the second waits for
 *   the next), so each conflict is its own.
 * - A group whose statement fails (an idempotency key two of its calls share or that raced
 *   another call, the database gone) writes nothing (it is one statement); each of its Creates
 *   is then written alone, so each caller gets the answer or error that is its own, exactly as
 *   without grouping.
 */
import type { DataSource } from 'typeorm';
import { createManyInOneStatement, recordKeyOf, writePlainCreate, type PlainCreate } from './one-statement-create';

interface Pending {
  create: PlainCreate;
  resolve: (created: boolean) => void;
  reject: (error: unknown) => void;
}

export interface CreateGroupOptions {
  /** Statements running at once (each on a connection of the pool). */
  maxInFlight: number;
  /** Creates in one statement at most. */
  maxGroup: number;
  /** Told the size of each statement's group (a metric). */
  observe?: (size: number) => void;
}

export class CreateGroups {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
    private readonly options: CreateGroupOptions,
  ) {}

  /** Writes one Create, alone or with others; answers whether the record was created (false: it existed). */
  write(create: PlainCreate): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ create, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const group = this.take();
      this.inFlight += 1;
      void this.run(group).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  /** The next group: queued Creates in arrival order, one per record, up to maxGroup. */
  private take(): Pending[] {
    const group: Pending[] = [];
    const records = new Set<string>();
    for (let i = 0; i < this.queue.length && group.length < this.options.maxGroup;) {
      const pending = this.queue[i]!;
      const record = recordKeyOf(pending.create.row);
      if (records.has(record)) {
        i += 1;
        continue;
      }
      records.add(record);
      group.push(pending);
      this.queue.splice(i, 1);
    }
    return group;
  }

  /** Never rejects: every Create of the group is answered (resolved or rejected) before it ends. */
  private async run(group: Pending[]): Promise<void> {
    this.options.observe?.(group.length);
    if (group.length === 1) {
      const [only] = group;
      await writePlainCreate(this.dataSource, this.schema, only!.create).then(only!.resolve, only!.reject);
      return;
    }
    let created: Set<number>;
    try {
      created = await createManyInOneStatement(
        this.dataSource.manager,
        this.schema,
        group.map((pending) => pending.create),
      );
    } catch {
      // Nothing of the group was written: each alone, for its own outcome.
      await Promise.all(
        group.map((pending) => writePlainCreate(this.dataSource, this.schema, pending.create).then(pending.resolve, pending.reject)),
      );
      return;
    }
    group.forEach((pending, n) => pending.resolve(created.has(n)));
  }
}
