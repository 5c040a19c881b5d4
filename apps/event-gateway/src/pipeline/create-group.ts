/**
 * Group commit for plain Creates (one-statement-create.ts). Each plain Create is one
 * autocommitted statement: its record, its pipeline event into the outbox and its idempotency
 * answer. Under load, many arrive while others are being written; those that arrive while
 * `maxInFlight` statements are already running wait for the next one, and go together: one
 * statement and one commit (one WAL flush) for all of them, where each took its own.
 *
 * - Nothing waits for a timer: with nothing in flight, a Create is written at once, alone, as
 *   before. Only Creates that would have queued for a connection anyway are gathered.
 * - Each caller still learns its own outcome: created, or the record already existed
 *   (ALREADY_EXISTS). Two Creates of one record never share a statement (the second waits for
 *   the next), so each conflict is its own.
 * - A group whose statement fails (an idempotency key that raced another call, the database
 *   gone) writes nothing (it is one statement); each of its Creates is then written alone, so
 *   each caller gets the error that is its own, exactly as without grouping.
 */
import type { DataSource } from 'typeorm';
import { outboxInsertSql, outboxNotifySql, wakeRelayAfterCommit } from '@flowline/messaging';
import { preparedStatement, runPrepared } from '@flowline/persistence';
import type { RecordRow } from '../records/record.entity';

/** What one plain Create writes, built before it is written. */
export interface CreateWrite {
  row: RecordRow;
  outbox: { eventId: string; topic: string; key: string; envelope: unknown; headers: unknown };
  idempotency?: { key: string; requestHash: string; response: unknown };
}

interface Pending {
  write: CreateWrite;
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
  write(write: CreateWrite): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
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
      const record = `${pending.write.row.entity}\u0000${pending.write.row.id}`;
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

  private async run(group: Pending[]): Promise<void> {
    this.options.observe?.(group.length);
    if (group.length === 1) {
      const [only] = group;
      await this.writeAlone(only!.write).then(only!.resolve, only!.reject);
      return;
    }
    let created: Set<number>;
    try {
      created = await this.writeTogether(group.map((pending) => pending.write));
    } catch {
      // Nothing of the group was written: each alone, for its own outcome.
      await Promise.all(group.map((pending) => this.writeAlone(pending.write).then(pending.resolve, pending.reject)));
      return;
    }
    group.forEach((pending, n) => pending.resolve(created.has(n)));
  }

  /** One Create in one statement (the text a lone Create always had). */
  private async writeAlone({ row, outbox, idempotency }: CreateWrite): Promise<boolean> {
    const schema = this.schema;
    const parameters: unknown[] = [
      row.entity,
      row.id,
      JSON.stringify(row.attributes),
      row.ownerId,
      row.stateCode,
      row.statusCode,
      row.createdBy,
      row.createdOn,
      row.modifiedBy,
      row.modifiedOn,
      row.version,
      outbox.eventId,
      outbox.topic,
      outbox.key,
      JSON.stringify(outbox.envelope),
      JSON.stringify(outbox.headers),
    ];
    const answered = idempotency
      ? `, answered AS (
         INSERT INTO "${schema}"."idempotency_key" ("key", "request_hash", "response")
         SELECT $17, $18, $19 FROM created)`
      : '';
    if (idempotency) parameters.push(idempotency.key, idempotency.requestHash, JSON.stringify(idempotency.response));
    const [outcome] = await runPrepared<{ created: number }>(
      this.dataSource,
      preparedStatement(`WITH created AS (
       INSERT INTO "${schema}"."record" ("entity", "id", "attributes", "owner_id", "state_code", "status_code",
                                         "created_by", "created_on", "modified_by", "modified_on", "version")
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT ("entity", "id") DO NOTHING
       RETURNING 1),
     written AS (${outboxInsertSql(
       schema,
       `SELECT $12::uuid AS "event_id", $13::text AS "topic", $14::text AS "message_key",
               $15::jsonb AS "envelope", $16::jsonb AS "headers", 1 AS "n" FROM created`,
     )})${answered}
     SELECT (SELECT count(*) FROM created)::int AS "created", ${outboxNotifySql(schema, 'written')} AS "notified"`),
      parameters,
    );
    wakeRelayAfterCommit(schema);
    return outcome!.created > 0;
  }

  /** Several Creates (of distinct records) in one statement; answers the positions of those created. */
  private async writeTogether(writes: CreateWrite[]): Promise<Set<number>> {
    const schema = this.schema;
    const rows = writes.map(({ row, outbox, idempotency }, n) => ({
      n,
      entity: row.entity,
      id: row.id,
      attributes: row.attributes,
      owner_id: row.ownerId,
      state_code: row.stateCode,
      status_code: row.statusCode,
      created_by: row.createdBy,
      created_on: row.createdOn.toISOString(),
      modified_by: row.modifiedBy,
      modified_on: row.modifiedOn.toISOString(),
      version: row.version,
      event_id: outbox.eventId,
      topic: outbox.topic,
      message_key: outbox.key,
      envelope: outbox.envelope,
      headers: outbox.headers,
      key: idempotency?.key ?? null,
      request_hash: idempotency?.requestHash ?? null,
      response: idempotency?.response ?? null,
    }));
    const [outcome] = await runPrepared<{ created: number[] }>(
      this.dataSource,
      preparedStatement(`WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
                    "n" int, "entity" text, "id" uuid, "attributes" jsonb, "owner_id" text, "state_code" int, "status_code" int,
                    "created_by" text, "created_on" timestamptz, "modified_by" text, "modified_on" timestamptz, "version" int,
                    "event_id" uuid, "topic" text, "message_key" text, "envelope" jsonb, "headers" jsonb,
                    "key" text, "request_hash" text, "response" jsonb)),
     inserted AS (
       INSERT INTO "${schema}"."record" ("entity", "id", "attributes", "owner_id", "state_code", "status_code",
                                         "created_by", "created_on", "modified_by", "modified_on", "version")
       SELECT "entity", "id", "attributes", "owner_id", "state_code", "status_code", "created_by", "created_on",
              "modified_by", "modified_on", "version" FROM r ORDER BY "n"
       ON CONFLICT ("entity", "id") DO NOTHING
       RETURNING "entity", "id"),
     -- One row per record in a group (CreateGroups.take), so the join finds each created one once.
     created AS (SELECT r.* FROM r JOIN inserted i ON i."entity" = r."entity" AND i."id" = r."id"),
     written AS (${outboxInsertSql(
       schema,
       `SELECT c."event_id", c."topic", c."message_key", c."envelope", c."headers", c."n" FROM created c`,
     )}),
     answered AS (
       INSERT INTO "${schema}"."idempotency_key" ("key", "request_hash", "response")
       SELECT c."key", c."request_hash", c."response" FROM created c WHERE c."key" IS NOT NULL)
     SELECT (SELECT coalesce(array_agg(c."n"), '{}') FROM created c) AS "created", ${outboxNotifySql(schema, 'written')} AS "notified"`),
      [JSON.stringify(rows)],
    );
    wakeRelayAfterCommit(schema);
    return new Set(outcome!.created);
  }
}
