/** What a consumer's handler is given and may throw. */
import type { Envelope } from '@flowline/contracts';

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  attempt: number;
}

export type EnvelopeHandler = (envelope: Envelope, context: MessageContext) => Promise<void>;

/** A message as it came (no envelope), for consumers of topics whose values are not envelopes (the dead letters). */
export interface RawMessage {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Handles one message as it came: nothing is validated before it (the handler judges the value). */
export type RawMessageHandler = (message: RawMessage, context: MessageContext) => Promise<void>;

/**
 * The valid messages of one partition's batch, in offset order, handled together (one transaction).
 * A handler that works through a long batch calls `heartbeat` between its parts, so the group
 * does not take the member for dead meanwhile (it sends only once the heartbeat interval passed).
 */
export type EnvelopeBatchHandler = (
  items: Array<{ envelope: Envelope; context: MessageContext }>,
  heartbeat: () => Promise<void>,
) => Promise<void>;

/** Thrown by a handler when retrying cannot help (bad payload): the message goes straight to the dead letters. */
export class PermanentMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}
