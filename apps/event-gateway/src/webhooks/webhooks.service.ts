/**
 * Accepting an inbound webhook call: in one transaction the signed request is recorded as seen
 * (a replay is refused), the delivery is recorded under its key (a retry with the same key
 * answers the first delivery's operation and starts nothing), and a pipeline event of message
 * `Webhook` naming the workflow version, the inputs and the operation id is written to the
 * outbox. The relay publishes it on `flowline.pipeline-events.v1`; the executor's dispatcher
 * creates exactly that operation, idempotently. A crash before the commit leaves nothing (the
 * caller got no answer and sends again); after it, the outbox delivers the event. So the caller
 * holds the operation id at once, and one delivery is one run.
 */
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { SERVICE_CREDENTIAL, type ServiceCredential } from '@flowline/auth';
import {
  AsyncOperationState,
  PIPELINE_EVENT_SCHEMA_VERSION,
  PIPELINE_EVENT_TYPE,
  Topics,
  WEBHOOK_MESSAGE,
  type PipelineEvent,
} from '@flowline/contracts';
import { MetadataCache } from '@flowline/metadata-cache';
import { createEnvelope, recordKey, writeToOutbox } from '@flowline/messaging';
import {
  createGrpcClient,
  FlowlineError,
  invalidArgument,
  notFound,
  ProtoFiles,
  type ExecutorProto,
  type GrpcClientHandle,
} from '@flowline/rpc';
import { METRICS_REGISTRY } from '@flowline/service-kit';
import { SERVICE } from '../config';
import { RecordRow } from '../records/record.entity';
import { recordView } from '../records/record-view';
import { WebhookDirectory, type WebhookEndpoint } from './webhook-directory';
import {
  authenticate,
  inputsOf,
  recordIdOf,
  secretOf,
  SIGNATURE_TOLERANCE_SECONDS,
  waitMsOf,
  WebhookRefusal,
  type HeaderMap,
} from './webhook-request';
import { WebhookDeliveryRow } from './webhook.entities';
import { timeOrderedId } from '@flowline/persistence';

const tracer = trace.getTracer('flowline.event-gateway');

export const WEBHOOK_OPTIONS = Symbol('WEBHOOK_OPTIONS');

export interface WebhookOptions {
  /** The executor's gRPC address: where a waiting call reads the run's outcome. */
  executorAddress: string;
  /** The longest `wait` a call may ask for, in ms. */
  maxWaitMs: number;
  /** How long a delivery key is remembered, in ms. */
  deliveryRetentionMs: number;
}

export interface WebhookCall {
  path: string;
  headers: HeaderMap;
  body: unknown;
  rawBody: Buffer;
  /** `?wait=` as given. */
  wait?: string;
  /** The Prefer header (`wait=10`). */
  prefer?: string;
  correlationId?: string;
}

export type WebhookAnswer =
  | { status: 202; body: { operationId: string; status: 'accepted'; repeat: boolean } }
  | {
      status: 200;
      body: { operationId: string; status: 'succeeded' | 'failed' | 'canceled'; repeat: boolean; outputs: unknown; message: string };
    };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const POLL_MS = 200;

@Injectable()
export class WebhooksService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private readonly calls: Counter<'outcome'>;
  private executor: GrpcClientHandle<ExecutorProto.AsyncOperationServiceClient> | undefined;
  private purge: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly directory: WebhookDirectory,
    private readonly metadata: MetadataCache,
    @Inject(WEBHOOK_OPTIONS) private readonly options: WebhookOptions,
    @Inject(SERVICE_CREDENTIAL) private readonly credential: ServiceCredential,
    @Inject(METRICS_REGISTRY) metrics: Registry,
  ) {
    this.calls = new Counter({
      name: 'flowline_gateway_webhook_calls_total',
      help: 'Inbound webhook calls, by outcome (accepted, repeat, not_found, bad_signature, stale_timestamp, replayed, bad_token, invalid_body, ...)',
      labelNames: ['outcome'],
      registers: [metrics],
    });
  }

  onModuleInit(): void {
    this.executor = createGrpcClient(ProtoFiles.executor, 'flowline.executor.v1.AsyncOperationService', {
      address: this.options.executorAddress,
      defaultDeadlineMs: 5_000,
    });
    // Seen signatures older than the window can never match a call again; delivery keys go after their retention.
    this.purge = setInterval(() => {
      this.purgeOld().catch((error: unknown) => this.logger.warn(`webhook purge failed: ${String(error)}`));
    }, 60_000);
    this.purge.unref();
  }

  onModuleDestroy(): void {
    if (this.purge) clearInterval(this.purge);
    this.executor?.close();
  }

  async purgeOld(): Promise<void> {
    await this.dataSource.query(`DELETE FROM "gateway"."webhook_signature" WHERE "seen_at" < now() - make_interval(secs => $1)`, [
      SIGNATURE_TOLERANCE_SECONDS * 2,
    ]);
    await this.dataSource.query(`DELETE FROM "gateway"."webhook_delivery" WHERE "created_at" < now() - make_interval(secs => $1)`, [
      this.options.deliveryRetentionMs / 1000,
    ]);
  }

  async handle(call: WebhookCall): Promise<WebhookAnswer> {
    return tracer.startActiveSpan('webhook call', { attributes: { 'flowline.webhook.path': call.path } }, async (span) => {
      try {
        const answer = await this.accept(call, (endpoint) => {
          span.setAttribute('flowline.definition', endpoint.uniqueName);
          span.setAttribute('flowline.definition_version', endpoint.version);
        });
        span.setAttribute('flowline.operation_id', answer.body.operationId);
        span.setAttribute('http.response.status_code', answer.status);
        return answer;
      } catch (error) {
        const outcome =
          error instanceof WebhookRefusal ? error.outcome : error instanceof FlowlineError ? error.code.toLowerCase() : 'error';
        this.calls.inc({ outcome });
        span.setAttribute('flowline.webhook.outcome', outcome);
        if (!(error instanceof FlowlineError) || error.kind === 'UNAVAILABLE' || error.kind === 'INTERNAL')
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        this.logger.warn(
          { path: call.path, outcome, code: error instanceof FlowlineError ? error.code : undefined },
          `webhook ${call.path} refused: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw error;
      } finally {
        span.end();
      }
    });
  }

  private async accept(call: WebhookCall, found: (endpoint: WebhookEndpoint) => void): Promise<WebhookAnswer> {
    const endpoint = this.directory.find(call.path);
    if (!endpoint)
      throw new WebhookRefusal(
        'not_found',
        'NOT_FOUND',
        'WEBHOOK_NOT_FOUND',
        `no active workflow has a webhook at ${call.path} (path): activate the workflow, or check its trigger's path`,
      );
    found(endpoint);
    const waitMs = waitMsOf(call.wait, call.prefer);
    const secret = secretOf(endpoint);
    if (!secret) {
      this.logger.error(
        { path: call.path, definition: endpoint.uniqueName, secret: endpoint.trigger.secret },
        `webhook ${call.path} of ${endpoint.uniqueName} cannot be checked: its secret '${endpoint.trigger.secret}' is not set on the gateway (set WEBHOOK_SECRET_${endpoint.trigger.secret.toUpperCase().replace(/-/g, '_')})`,
      );
      throw new WebhookRefusal(
        'secret_missing',
        'UNAVAILABLE',
        'WEBHOOK_SECRET_MISSING',
        `the gateway does not hold this webhook's secret yet; try again later`,
      );
    }
    const auth = authenticate(endpoint, secret, call.headers, call.rawBody);
    const inputs = this.inputs(endpoint, call.body);
    const idempotencyKey = headerText(call.headers, 'idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 200))
      throw invalidArgument('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must hold 1 to 200 characters', [
        { field: 'Idempotency-Key', description: 'expected 1 to 200 characters' },
      ]);
    const deliveryKey = idempotencyKey ?? auth.deliveryId ?? timeOrderedId();
    const correlationId = call.correlationId || timeOrderedId();

    const { operationId, repeat } = await this.dataSource.transaction(async (manager) => {
      if (auth.signatureKey) {
        const seen = (await manager.query(
          `INSERT INTO "gateway"."webhook_signature" ("signature_key", "seen_at") VALUES ($1, now()) ON CONFLICT DO NOTHING RETURNING "signature_key"`,
          [auth.signatureKey],
        )) as unknown[];
        if (seen.length === 0)
          throw new WebhookRefusal(
            'replayed',
            'ALREADY_EXISTS',
            'WEBHOOK_REPLAYED',
            'this signed request (webhook-id and webhook-timestamp) was already received: a retry is signed again with a new timestamp',
            [{ field: 'webhook-signature', description: 'already received', code: 'WEBHOOK_REPLAYED' }],
          );
      }
      const id = timeOrderedId();
      const inserted = (await manager.query(
        `INSERT INTO "gateway"."webhook_delivery" ("definition_id", "delivery_key", "operation_id", "created_at") VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING RETURNING "operation_id"`,
        [endpoint.definitionId, deliveryKey, id],
      )) as unknown[];
      if (inserted.length === 0) {
        const first = await manager.getRepository(WebhookDeliveryRow).findOneByOrFail({ definitionId: endpoint.definitionId, deliveryKey });
        return { operationId: first.operationId, repeat: true };
      }
      const record = await this.record(manager, endpoint, inputs);
      const event: PipelineEvent = {
        eventId: timeOrderedId(),
        message: WEBHOOK_MESSAGE,
        entity: endpoint.primaryEntity,
        recordId: record?.id ?? id,
        recordVersion: record?.version ?? 0,
        target: {},
        preImage: null,
        postImage: record?.view ?? null,
        preImages: {},
        postImages: {},
        changedAttributes: [],
        depth: 1,
        correlationId,
        initiatingUserId: endpoint.activatedBy,
        origin: 'webhook',
        occurredAt: new Date().toISOString(),
        webhook: {
          definitionId: endpoint.definitionId,
          version: endpoint.version,
          uniqueName: endpoint.uniqueName,
          operationId: id,
          path: endpoint.path,
          inputs,
          hasRecord: record !== undefined,
        },
      };
      await writeToOutbox(manager, [
        {
          topic: Topics.pipelineEvents,
          key: recordKey(event.entity, event.recordId),
          envelope: createEnvelope({
            id: event.eventId,
            type: PIPELINE_EVENT_TYPE,
            schemaVersion: PIPELINE_EVENT_SCHEMA_VERSION,
            source: SERVICE.name,
            correlationId,
            depth: 1,
            payload: event,
            occurredAt: new Date(event.occurredAt),
          }),
        },
      ]);
      return { operationId: id, repeat: false };
    });
    this.calls.inc({ outcome: repeat ? 'repeat' : 'accepted' });
    this.logger.log(
      { path: endpoint.path, definition: endpoint.uniqueName, version: endpoint.version, operationId, repeat, correlationId },
      repeat
        ? `webhook ${endpoint.path}: a repeat of delivery ${deliveryKey} for ${endpoint.uniqueName}, answered with its operation ${operationId}`
        : `webhook ${endpoint.path} started ${endpoint.uniqueName} v${endpoint.version}: operation ${operationId}`,
    );
    if (waitMs <= 0) return { status: 202, body: { operationId, status: 'accepted', repeat } };
    return this.waitFor(operationId, repeat, Math.min(waitMs, this.options.maxWaitMs));
  }

  private inputs(endpoint: WebhookEndpoint, body: unknown): Record<string, unknown> {
    try {
      return inputsOf(endpoint, body);
    } catch (error) {
      if (error instanceof FlowlineError) throw new WebhookRefusal('invalid_body', error.kind, error.code, error.message, error.violations);
      throw error;
    }
  }

  /** The record the trigger's `record` input names, read in the delivery's transaction. */
  private async record(
    manager: EntityManager,
    endpoint: WebhookEndpoint,
    inputs: Record<string, unknown>,
  ): Promise<{ id: string; version: number; view: Record<string, unknown> } | undefined> {
    const input = endpoint.trigger.record;
    if (!input) return undefined;
    const id = recordIdOf(inputs[input])!;
    const row = await manager.getRepository(RecordRow).findOneBy({ entity: endpoint.primaryEntity, id });
    const entity = await this.metadata.entity(endpoint.primaryEntity);
    if (!row || !entity)
      throw new WebhookRefusal(
        'invalid_body',
        'INVALID_ARGUMENT',
        'WEBHOOK_RECORD_NOT_FOUND',
        `no ${endpoint.primaryEntity} record ${id} (field ${input})`,
        [{ field: input, description: `no ${endpoint.primaryEntity} record ${id}`, code: 'RECORD_NOT_FOUND' }],
      );
    return { id, version: row.version, view: recordView(entity, row) };
  }

  /** Waits up to waitMs for the run to end: 200 with its outputs, or 202 with the id when it has not ended. */
  private async waitFor(operationId: string, repeat: boolean, waitMs: number): Promise<WebhookAnswer> {
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      const detail = await this.operation(operationId);
      const operation = detail?.operation;
      if (operation && operation.state === AsyncOperationState.Completed) {
        const status = operation.status === 30 ? 'succeeded' : operation.status === 32 ? 'canceled' : 'failed';
        return {
          status: 200,
          body: {
            operationId,
            status,
            repeat,
            outputs: JSON.parse(detail.outputs || '{}') as unknown,
            message: operation.friendlyMessage || (operation.errorCode ? `${operation.errorCode}` : ''),
          },
        };
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(POLL_MS, deadline - Date.now()))));
    }
    return { status: 202, body: { operationId, status: 'accepted', repeat } };
  }

  /** The operation as the executor has it, or undefined while it is not created yet or the executor does not answer. */
  private async operation(id: string): Promise<ExecutorProto.OperationDetail | undefined> {
    if (!UUID.test(id)) throw notFound('OPERATION_NOT_FOUND', id);
    try {
      const token = await this.credential.token();
      return await this.executor!.client.getOperation({ id }, { metadata: { authorization: `Bearer ${token}` } });
    } catch (error) {
      this.logger.debug(`waiting for operation ${id}: ${String(error)}`);
      return undefined;
    }
  }
}

function headerText(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
