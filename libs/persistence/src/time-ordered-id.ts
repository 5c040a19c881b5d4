import { v7 } from 'uuid';

/**
 * The id of a row Flowline creates (an operation, an event, a record made by Create): a UUIDv7
 * (RFC 9562), whose first 48 bits are the Unix time in milliseconds, with a counter that keeps the
 * ids one process makes in a millisecond in order. Rows made one after another get neighbouring
 * keys, so each insert into a B-tree index that leads with such an id lands on the few pages at the
 * index's moving edge, which stay in shared buffers however large the table grows. A random UUIDv4
 * lands on a random leaf, which is a read from disk once the index outgrows the buffers
 * (bench/executor/README.md, "Cost as work grows"). Ids that callers give keep whatever form they have.
 */
export function timeOrderedId(): string {
  return v7();
}
