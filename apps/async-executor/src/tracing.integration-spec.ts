import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AsyncOperationStatus as Status } from '@flowline/contracts';
import { parseOtlpLines, renderHtml, renderText, type TimelineSpan } from '@flowline/observability';
import { GatewayProto, ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import { startServiceForTest, type RunningService } from '@flowline/service-testing';
import { REPO_ROOT, waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startChain, type Chain } from '../test/chain';

/**
 * One Execute from a client produces one connected trace: the gateway's pipeline and database
 * work, the pipeline event through the outbox and Kafka, the executor's dispatch, the
 * workflow's run and steps, and the Execute calls the workflow makes back into the gateway.
 * Every service writes OTLP JSON to a file (FLOWLINE_TRACE_FILE), as `npm start -- --traces` does.
 */
/** Span kinds as OTLP numbers them (the API's enum plus one). */
const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

describe('one trace from an API call to the last step of the workflow it triggers', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flowline-traces-'));
  let chain: Chain;

  beforeAll(async () => {
    chain = await startChain(
      'tracing',
      [{ source: readFileSync(path.join(REPO_ROOT, 'examples', 'account-onboarding.workflow.yaml'), 'utf8'), format: 'yaml' }],
      { WORKER_POLL_MS: '100' },
      (service) => ({ FLOWLINE_TRACE_FILE: path.join(dir, `${service}.jsonl`), FLOWLINE_TRACE_FLUSH_MS: '200' }),
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const spansOf = (traceId: string): TimelineSpan[] =>
    readdirSync(dir)
      .flatMap((file) => parseOtlpLines(readFileSync(path.join(dir, file), 'utf8')))
      .filter((span) => span.traceId === traceId);

  it('connects the gateway, Kafka, the executor and the workflow’s own Execute calls', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const execute = chain.gateway.client<PromiseClient<GatewayProto.ExecuteServiceClient>>(
      ProtoFiles.gateway,
      'flowline.gateway.v1.ExecuteService',
      ['user'],
    );
    const created = await execute.execute(
      {
        message: 'Create',
        entity: 'account',
        id: '',
        targetJson: JSON.stringify({ name: 'Traced Ltd', emailaddress1: 'hi@traced.test', creditlimit: 100 }),
        parametersJson: '',
        expectedVersion: 0,
        idempotencyKey: '',
        depth: 0,
        correlationId: '',
        columns: [],
        operationsJson: '',
      },
      { metadata: { traceparent: `00-${traceId}-${callerSpan}-01` } },
    );
    const operation = await waitFor(
      async () =>
        (
          await chain.sql.query(
            `SELECT id, status FROM "executor"."async_operation" WHERE regarding_id = $1 AND name = 'account-onboarding'`,
            [created.id],
          )
        ).rows.find((row: { status: number }) => row.status === Status.Succeeded) as { id: string } | undefined,
      { timeoutMs: 30_000, what: 'onboarding to succeed' },
    );

    // Spans arrive in the files within the flush interval of each service.
    const spans = await waitFor(
      () => {
        const found = spansOf(traceId);
        const run = found.find((s) => s.name === 'run account-onboarding');
        const nested = found.filter((s) => s.service === 'event-gateway' && s.kind === SPAN_KIND.server && s.parentSpanId !== callerSpan);
        // Each service flushes on its own clock: a consumer span in the executor can reach its file
        // before the gateway's producer span that is its parent. Wait until every parent has arrived;
        // a parent that never comes fails the orphan check below.
        const ids = new Set(found.map((s) => s.spanId));
        const waiting = found.some((s) => s.parentSpanId && s.parentSpanId !== callerSpan && !ids.has(s.parentSpanId));
        return run && run.endMs > 0 && nested.length >= 4 && !waiting ? found : undefined;
      },
      { timeoutMs: 15_000, what: 'the spans of the trace to be exported' },
    ).catch(() => spansOf(traceId)); // what did arrive, so the checks below say what is missing
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (span: TimelineSpan) => (span.parentSpanId ? byId.get(span.parentSpanId) : undefined);

    // The gateway continued the caller's trace.
    const entry = spans.find((s) => s.parentSpanId === callerSpan)!;
    expect(entry).toMatchObject({ service: 'event-gateway', kind: SPAN_KIND.server });
    expect(entry.name).toContain('flowline.gateway.v1.ExecuteService/Execute');
    // Its database work is in it.
    expect(
      spans.some((s) => s.service === 'event-gateway' && s.attributes['db.system.name'] !== undefined) ||
        spans.some((s) => s.service === 'event-gateway' && s.attributes['db.system'] === 'postgresql'),
    ).toBe(true);

    // Through the outbox and Kafka: a producer span in the gateway, the dispatcher's consumer span in the executor.
    const send = spans.find(
      (s) => s.kind === SPAN_KIND.producer && s.name.includes('flowline.pipeline-events.v1') && s.service === 'event-gateway',
    )!;
    expect(send).toBeDefined();
    expect(send.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.operation.type': 'send' });
    const dispatched = spans.find((s) => s.kind === SPAN_KIND.consumer && parentOf(s) === send)!;
    expect(dispatched).toMatchObject({ service: 'async-executor' });
    expect(dispatched.attributes['messaging.consumer.group.name']).toContain('executor');

    // The run of the workflow joins the same trace, with Flowline's attributes.
    const run = spans.find((s) => s.name === 'run account-onboarding')!;
    expect(run.attributes).toMatchObject({ 'flowline.operation.id': operation.id, 'flowline.operation.name': 'account-onboarding' });
    expect(run.attributes['flowline.definition.version']).toBe(1);
    // Its steps call the gateway; those calls are served in the gateway, inside the same trace.
    const steps = spans.filter((s) => parentOf(s) === run && s.name.startsWith('step '));
    expect(steps.map((s) => s.attributes['flowline.step'])).toEqual(expect.arrayContaining(['follow-up', 'mark-started', 'welcome']));
    const served = spans.filter((s) => s.service === 'event-gateway' && s.kind === SPAN_KIND.server && s !== entry);
    for (const server of served) {
      const client = parentOf(server)!;
      expect(client).toMatchObject({ service: 'async-executor', kind: SPAN_KIND.client });
      expect(parentOf(client)!.name).toMatch(/^(step |run )/);
    }
    expect(served.length).toBeGreaterThanOrEqual(4);

    // One connected trace: every span but the gateway's entry has its parent in it.
    const orphans = spans.filter((s) => s !== entry && !byId.has(s.parentSpanId ?? ''));
    expect(orphans.map((s) => `${s.service}: ${s.name}`)).toEqual([]);

    // Kept for people: the timeline as text and as a page.
    const out = path.join(REPO_ROOT, 'test-output', 'traces');
    mkdirSync(out, { recursive: true });
    const text = renderText(spans, traceId);
    writeFileSync(path.join(out, 'onboarding-trace.txt'), `${text}\n`);
    writeFileSync(path.join(out, 'onboarding-trace.html'), renderHtml(spans, traceId));
    expect(text.split('\n')[0]).toContain(`trace ${traceId}: ${spans.length} spans`);
  });
});

describe('OTLP export to a collector', () => {
  let receiver: Server;
  let registry: RunningService;
  const received: Array<{ path: string; body: Record<string, unknown> }> = [];

  beforeAll(async () => {
    // A local OTLP/HTTP receiver standing in for the collector.
    receiver = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      request.on('end', () => {
        received.push({ path: request.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    registry = await startServiceForTest('apps/process-registry/src/main.ts', {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      FLOWLINE_TRACE_FLUSH_MS: '200',
    });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await registry?.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('sends a service’s spans and its Prometheus metrics over OTLP, under its service name', async () => {
    const definitions = registry.client<PromiseClient<RegistryProto.ProcessDefinitionServiceClient>>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      ['author'],
    );
    await definitions.listDefinitions({ page: { pageSize: 5, pageToken: '' } } as never);
    const serviceOf = (body: Record<string, unknown>, key: 'resourceSpans' | 'resourceMetrics') =>
      ((body[key] as Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> } }>) ?? []).map(
        (r) => r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue,
      );
    const spans = await waitFor(
      () =>
        received.find(
          (r) =>
            r.path === '/v1/traces' &&
            JSON.stringify(r.body).includes('grpc.flowline.registry.v1.ProcessDefinitionService/ListDefinitions'),
        ),
      { what: 'the ListDefinitions span at the receiver' },
    );
    expect(serviceOf(spans.body, 'resourceSpans')).toContain('process-registry');
    const metrics = await waitFor(
      () => received.find((r) => r.path === '/v1/metrics' && JSON.stringify(r.body).includes('flowline_process_cpu_seconds_total')),
      { what: 'the service metrics at the receiver' },
    );
    expect(serviceOf(metrics.body, 'resourceMetrics')).toContain('process-registry');
    // Counters as cumulative monotonic sums.
    expect(JSON.stringify(metrics.body)).toMatch(/"name":"flowline_process_cpu_seconds_total".*?"isMonotonic":true/);
  });
});
