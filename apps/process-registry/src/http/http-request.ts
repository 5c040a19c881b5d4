/** What the registry's REST controllers share: the correlation id and the If-Match version of a request. */
import { randomUUID } from 'node:crypto';
import { CORRELATION_ID_HEADER, invalidArgument } from '@flowline/rpc';

export type HeaderMap = Record<string, string | undefined>;

/** The caller's `x-correlation-id`, or a new one (as correlationIdOf does for gRPC). */
export function correlationIdOfHeaders(headers: HeaderMap): string {
  const value = headers[CORRELATION_ID_HEADER];
  return value && value.length <= 200 ? value : randomUUID();
}

/** The row version in `If-Match` ("3" or W/"3"); 0 (no check) when absent. */
export function versionFromIfMatch(ifMatch: string | undefined): number {
  if (!ifMatch) return 0;
  const version = Number(ifMatch.replace(/^W\//, '').replace(/"/g, ''));
  if (!Number.isInteger(version) || version < 1) {
    throw invalidArgument('INVALID_IF_MATCH', `If-Match must hold the row version you read, such as "3", got ${ifMatch}`, [
      { field: 'If-Match', description: 'expected a row version' },
    ]);
  }
  return version;
}
