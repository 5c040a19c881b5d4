/** What a gRPC handler reads from the call's metadata. */
import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

export type { Metadata } from '@grpc/grpc-js';

export const CORRELATION_ID_HEADER = 'x-correlation-id';

/** The correlation id of a call: the caller's `x-correlation-id`, or a new one. */
export function correlationIdOf(metadata: Metadata | undefined): string {
  const value = metadata?.get(CORRELATION_ID_HEADER)[0];
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : randomUUID();
}
