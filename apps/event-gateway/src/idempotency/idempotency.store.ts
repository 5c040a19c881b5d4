/**
 * The answers Execute gave to calls with an idempotency key. A repeat of the same request gets
 * the stored answer and changes nothing; the same key with a different request is refused. The
 * answer is written in the operation's own transaction, so it exists exactly when the change does.
 */
import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { invalidArgument } from '@flowline/rpc';
import { PipelineErrorCode as Code } from '../pipeline/pipeline.errors';
import type { ExecuteInput, ExecuteResult } from '../pipeline/pipeline.types';
import { IdempotencyKeyRow } from './idempotency-key.entity';

/** The request without what may differ between two sends of it (key and correlation id). */
export function requestHash(input: ExecuteInput): string {
  const { idempotencyKey: _key, correlationId: _correlation, ...rest } = input;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/** A unique violation on the key: two calls with one key raced and this one lost. */
export function isKeyRace(error: unknown): boolean {
  return (error as { code?: string }).code === '23505' && String((error as Error).message).includes('PK_idempotency_key');
}

export class IdempotencyStore {
  constructor(private readonly dataSource: DataSource) {}

  /** The stored answer for the input's key, as a replay; undefined when the key is new. Read in `manager`'s transaction when given. */
  async answerFor(input: ExecuteInput, manager: EntityManager = this.dataSource.manager): Promise<ExecuteResult | undefined> {
    if (!input.idempotencyKey) return undefined;
    const stored = await manager.getRepository(IdempotencyKeyRow).findOneBy({ key: input.idempotencyKey });
    return stored ? this.replay(stored, input) : undefined;
  }

  /** Which of `keys` have an answer already (one read for a batch's keys), in `manager`'s transaction. */
  async knownKeys(keys: readonly string[], manager: EntityManager): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows: Array<{ key: string }> = await manager.query(
      `SELECT "key" FROM "gateway"."idempotency_key" WHERE "key" = ANY($1::text[])`,
      [keys],
    );
    return new Set(rows.map((row) => row.key));
  }

  async save(manager: EntityManager, input: ExecuteInput, result: ExecuteResult): Promise<void> {
    if (!input.idempotencyKey) return;
    await manager.query(`INSERT INTO "gateway"."idempotency_key" ("key", "request_hash", "response") VALUES ($1, $2, $3)`, [
      input.idempotencyKey,
      requestHash(input),
      JSON.stringify(result),
    ]);
  }

  private replay(stored: IdempotencyKeyRow, input: ExecuteInput): ExecuteResult {
    if (stored.requestHash !== requestHash(input)) {
      throw invalidArgument(
        Code.IdempotencyKeyReused,
        `idempotency key '${input.idempotencyKey}' was used for a different request: use a new key for a new request`,
        [{ field: 'idempotencyKey', description: 'already used for another request' }],
      );
    }
    return { ...(stored.response as unknown as ExecuteResult), replayed: true };
  }
}
