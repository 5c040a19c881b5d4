/**
 * Loop protection by depth: every time a plug-in or workflow acts on a record, the call it
 * makes carries the depth of what triggered it plus one. A chain (one correlation id) that
 * reaches the maximum depth (8 by default) within the window (one hour by default) is taken
 * for plug-ins or workflows triggering each other in a loop, and the operation is refused with
 * LOOP_DETECTED. The window begins with the chain's first deeper call and starts over, at the
 * depth reached, once it has passed: depth counts only within one window.
 */
import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { FlowlineError } from '@flowline/rpc';
import { PipelineErrorCode as Code } from '../pipeline/pipeline.errors';

export interface LoopProtectionOptions {
  /** The depth at which a chain is refused as a loop. */
  maxDepth: number;
  /** How long a chain's depth counts. */
  windowMs: number;
}

/** Where a chain stands: the depth that counts is the operation's minus `baseDepth`. */
export interface DepthWindow {
  baseDepth: number;
}

const PURGE_EVERY_MS = 10 * 60 * 1000;
/** Correlation ids come from callers and other services: a long one is kept by its hash, to stay indexable. */
const MAX_KEY_LENGTH = 200;

function windowKey(correlationId: string): string {
  return correlationId.length <= MAX_KEY_LENGTH ? correlationId : `sha256:${createHash('sha256').update(correlationId).digest('hex')}`;
}

export class LoopGuard {
  private readonly logger = new Logger('LoopProtection');
  private readonly detected: Counter<'message'>;
  private lastPurge = 0;

  constructor(
    private readonly dataSource: DataSource,
    readonly options: LoopProtectionOptions,
    metrics: Registry,
  ) {
    this.detected = new Counter({
      name: 'flowline_gateway_loops_detected_total',
      help: 'Operations refused because their chain reached the maximum depth within the loop-protection window',
      labelNames: ['message'],
      registers: [metrics],
    });
  }

  /**
   * Records the chain's window (a call at depth 1 starts a chain and needs no record) and
   * refuses the operation when its depth within the window reaches the maximum.
   */
  async enter(operation: { message: string; entity: string; depth: number; correlationId: string }): Promise<DepthWindow> {
    const window = operation.depth <= 1 ? { baseDepth: 0 } : await this.windowOf(operation.correlationId, operation.depth);
    this.check(operation, window);
    this.purgeNowAndThen();
    return window;
  }

  /** A call made inside an operation (a real-time workflow's step): the same chain, the same window. */
  check(operation: { message: string; entity: string; depth: number; correlationId: string }, window: DepthWindow): void {
    const depth = operation.depth - window.baseDepth;
    if (depth < this.options.maxDepth) return;
    this.detected.inc({ message: operation.message });
    const minutes = Math.round(this.options.windowMs / 60_000);
    this.logger.warn(
      { correlationId: operation.correlationId, depth: operation.depth, message: operation.message, entity: operation.entity },
      `loop detected: ${operation.message} of ${operation.entity} at depth ${depth} within ${minutes} min (correlation ${operation.correlationId})`,
    );
    throw new FlowlineError(
      'RESOURCE_EXHAUSTED',
      Code.LoopDetected,
      `${operation.message} of ${operation.entity} reached depth ${depth} within ${minutes} minute(s) of correlation ${operation.correlationId} ` +
        `(the limit is ${this.options.maxDepth}): plug-ins or workflows are triggering each other in a loop, so it was aborted`,
    );
  }

  /** One statement: the chain's window, begun now when it is new or has passed. Uses PK_correlation_window. */
  private async windowOf(correlationId: string, depth: number): Promise<DepthWindow> {
    const rows = (await this.dataSource.query(
      `INSERT INTO "gateway"."correlation_window" AS w ("correlation_id", "window_started_at", "base_depth", "last_seen_at")
       VALUES ($1, now(), 0, now())
       ON CONFLICT ("correlation_id") DO UPDATE SET
         "base_depth" = CASE WHEN w."window_started_at" < now() - ($2 || ' milliseconds')::interval THEN $3 - 1 ELSE w."base_depth" END,
         "window_started_at" = CASE WHEN w."window_started_at" < now() - ($2 || ' milliseconds')::interval THEN now() ELSE w."window_started_at" END,
         "last_seen_at" = now()
       RETURNING "base_depth"`,
      [windowKey(correlationId), String(this.options.windowMs), depth],
    )) as Array<{ base_depth: number }>;
    return { baseDepth: rows[0]?.base_depth ?? 0 };
  }

  /** Windows unused for two window lengths are forgotten. Uses IDX_correlation_window_last_seen. */
  private purgeNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    this.dataSource
      .query(`DELETE FROM "gateway"."correlation_window" WHERE "last_seen_at" < now() - ($1 || ' milliseconds')::interval`, [
        String(this.options.windowMs * 2),
      ])
      .catch((error: unknown) => this.logger.warn(`purge of old correlation windows failed: ${String(error)}`));
  }
}
