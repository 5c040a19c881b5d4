/**
 * Named prepared statements for the statements a service runs many times a second (the
 * dispatcher's insert, the claim, the group commits, the outbox relay, the gateway's create).
 *
 * TypeORM sends every query unnamed, so PostgreSQL parses and plans it again each time; for the
 * hot statements, which are large CTEs over arrays, that was more than half of their time (the
 * dispatcher's insert: 0.9 ms parse and 3.0 ms plan for 1.3 ms of execution). A named statement
 * is parsed once per connection, and after five executions PostgreSQL keeps a generic plan.
 *
 * The name is derived from the text, so one text always has one name, and a statement built
 * differently (another schema, another option) is another statement. Prepared statements live
 * on their connection: a new connection prepares again on first use, and PostgreSQL replans
 * them by itself when a table they read changes. A statement whose result columns could change
 * with a migration must name its columns (no `SELECT *` in the outermost list): PostgreSQL
 * refuses to execute a prepared statement whose result type changed.
 *
 * `DATABASE_PREPARED_STATEMENTS=false` sends them unnamed again (behind a connection pooler that
 * cannot carry prepared statements, such as PgBouncer before 1.21 in transaction mode).
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

export interface PreparedStatement {
  /** Derived from the text: `flowline_` and the first 16 hex digits of its SHA-1. */
  readonly name: string;
  readonly text: string;
}

const enabled = (): boolean => !/^(false|0|off|no)$/i.test(process.env['DATABASE_PREPARED_STATEMENTS'] ?? '');

const known = new Map<string, PreparedStatement>();

/**
 * The statement for `text`, to run with `runPrepared` (the same object for the same text). Only
 * for texts a process builds from a fixed set (values go in parameters): each distinct text is
 * kept here and prepared on every connection that runs it.
 */
export function preparedStatement(text: string): PreparedStatement {
  let statement = known.get(text);
  if (!statement) {
    statement = { name: `flowline_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text };
    known.set(text, statement);
  }
  return statement;
}

/** The query config for `statement` with `values`, for a pg client's `query`. */
export function prepared(statement: PreparedStatement, values: unknown[]): QueryConfig {
  return enabled() ? { name: statement.name, text: statement.text, values } : { text: statement.text, values };
}

/**
 * Runs `statement` with `values` on `on`: in an EntityManager's transaction, on its connection;
 * on a DataSource (or a manager outside a transaction), on a connection of the pool, autocommitted.
 * Answers the rows.
 */
export async function runPrepared<R extends QueryResultRow = Record<string, unknown>>(
  on: DataSource | EntityManager,
  statement: PreparedStatement,
  values: unknown[],
): Promise<R[]> {
  const config = prepared(statement, values);
  const manager = isManager(on) ? on : undefined;
  const runner = manager?.queryRunner;
  if (runner && !runner.isReleased) {
    const client = (await runner.connect()) as PoolClient;
    return (await client.query<R>(config)).rows;
  }
  return (await poolOf(manager ? manager.connection : (on as DataSource)).query<R>(config)).rows;
}

/** The pg Pool under a TypeORM PostgreSQL data source (TypeORM keeps it as the driver's `master`). */
export function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

const isManager = (on: DataSource | EntityManager): on is EntityManager =>
  !('createQueryRunner' in on && 'driver' in on) && 'connection' in on;
