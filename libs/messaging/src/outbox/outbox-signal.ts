/**
 * How a writer tells the relay that new outbox rows are committed.
 *
 * A NOTIFY reaches a relay in any process, but PostgreSQL serializes the commits of all
 * transactions that send one (each holds the notification queue's lock through its commit,
 * WAL flush included), so a NOTIFY per write undoes group commit: concurrent writes commit one
 * after another. When the relay that leads for a schema runs in the writer's own process, the
 * writer wakes it directly once its transaction has committed, and sends no NOTIFY. Otherwise
 * (the leading relay is in another replica, or none is known yet) it sends the NOTIFY as before.
 * A wake-up that is lost costs latency, never a message: the relay also polls.
 */
import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';

interface LocalRelay {
  readonly isLeader: boolean;
  wakeUp(): void;
}

const relays = new Map<string, LocalRelay>();
const AFTER_COMMIT = Symbol('flowline.outbox.afterCommit');
type Pending = { [AFTER_COMMIT]?: Set<string> };

/** Wakes the process's relays of the schemas a committed transaction wrote to. */
class OutboxCommitWatcher implements EntitySubscriberInterface {
  afterTransactionCommit(event: TransactionCommitEvent): void {
    // RELEASE SAVEPOINT is announced as a commit too: wait for the outermost one.
    if (event.queryRunner.isTransactionActive) return;
    const data = event.queryRunner.data as Pending;
    const schemas = data[AFTER_COMMIT];
    delete data[AFTER_COMMIT];
    for (const schema of schemas ?? []) relays.get(schema)?.wakeUp();
  }

  afterTransactionRollback(event: { queryRunner: QueryRunner }): void {
    if (!event.queryRunner.isTransactionActive) delete (event.queryRunner.data as Pending)[AFTER_COMMIT];
  }
}

const watchers = new WeakSet<DataSource>();

/** Registers the relay running in this process for `schema`, and watches `dataSource`'s commits for it. */
export function registerLocalRelay(schema: string, relay: LocalRelay, dataSource: DataSource): () => void {
  relays.set(schema, relay);
  if (!watchers.has(dataSource)) {
    watchers.add(dataSource);
    dataSource.subscribers.push(new OutboxCommitWatcher());
  }
  return () => {
    if (relays.get(schema) === relay) relays.delete(schema);
  };
}

/** Whether the relay leading for `schema` runs in this process: then writers need no NOTIFY. */
export function relayIsLocal(schema: string): boolean {
  return relays.get(schema)?.isLeader ?? false;
}

/**
 * Wakes the local relay of `schema` once what `manager` wrote is committed: at the commit of its
 * transaction, or at once when it has none (the statement that wrote the rows autocommitted).
 */
export function wakeRelayAfterCommit(schema: string, manager?: EntityManager): void {
  const runner = manager?.queryRunner;
  if (!runner?.isTransactionActive) {
    relays.get(schema)?.wakeUp();
    return;
  }
  const data = runner.data as Pending;
  (data[AFTER_COMMIT] ??= new Set()).add(schema);
}
