/** What Execute takes and answers, shared by the transports, the pipeline and its stages. */
import type { RecordView } from '../records/record-view';

/** A change the gateway computes from the stored value inside the operation's transaction. */
export interface RelativeOperation {
  op: 'increment' | 'decrement' | 'multiply' | 'append';
  value: unknown;
}

export interface ExecuteInput {
  message: string;
  entity: string;
  id?: string;
  target: Record<string, unknown>;
  /** Update: relative changes by attribute, applied against the record as it is in the transaction. */
  operations?: Record<string, unknown>;
  parameters: Record<string, unknown>;
  expectedVersion: number;
  idempotencyKey?: string;
  depth: number;
  correlationId: string;
  columns: string[];
  initiatingUserId: string;
  /** api, domain-event, or the calling service. */
  origin: string;
}

export interface ExecuteResult {
  id: string;
  version: number;
  record?: RecordView;
  records?: RecordView[];
  totalCount?: number;
  nextPageToken?: string;
  output: Record<string, unknown>;
  eventId?: string;
  replayed: boolean;
}
