import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ExecutorProto, ProtoFiles, type PromiseClient } from '@flowline/rpc';
import { OpenApiConformance, startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';

/**
 * The system jobs list pages by keyset: every sort and every filter, paged through in small
 * pages, gives exactly the operations the filter matches in the sort's order, with no duplicate
 * and no gap, also while operations are inserted between pages; tokens and sorts that are not
 * the list's own are refused naming the field; the count stops at 10,000. A job's detail
 * carries its parent, children and trace id. The operations are rows written straight into the
 * table (no workers run: WORKER_CONCURRENCY=0), in every state, with ties on creation time.
 */
const DEFINITIONS = ['6f1c1e1a-0000-4000-8000-000000000001', '6f1c1e1a-0000-4000-8000-000000000002'];
const NAMES = ['Account onboarding', 'Invoice reminder', 'Lead follow-up'];

/** Operations in every state; created_on comes in groups of three equal times (ties for the sequence). */
function seedSql(count: number, offset: number, baseTime: string): string {
  return `
    INSERT INTO "executor"."async_operation"
      ("id", "operation_type", "name", "process_key", "definition_id", "definition_version", "state", "status", "event_id",
       "correlation_id", "depth", "primary_entity", "regarding_id", "owner", "input", "postpone_until", "trace_context",
       "created_on", "completed_on", "error_code", "friendly_message", "lease_expires_at", "row_version")
    SELECT gen_random_uuid(), 10,
           (ARRAY['${NAMES.join("','")}'])[1 + i % 3],
           'p' || i, (ARRAY['${DEFINITIONS.join("'::uuid,'")}'::uuid])[1 + (i / 3) % 2], 1,
           s.state, s.status, gen_random_uuid(),
           'corr-' || (i % 7), 1,
           CASE WHEN i % 5 = 0 THEN 'lead' ELSE 'account' END, 'rec-' || (i % 11), 'olga', '{}'::jsonb,
           now() + interval '30 days', '{}'::jsonb,
           timestamptz '${baseTime}' + (((i % 1000) / 3) * interval '1 second') + interval '0.000123 second',
           CASE WHEN s.state = 3 THEN timestamptz '${baseTime}' + (((i * 7919) % 500) * interval '1 second') END,
           CASE WHEN s.status = 31 THEN 'STEP_FAILED' END,
           CASE WHEN s.status = 31 THEN 'the mailbox quota_exceeded for ' || i END,
           CASE WHEN s.state = 2 THEN now() + interval '30 days' END,
           1
      FROM generate_series(${offset}, ${offset + count - 1}) AS i,
           LATERAL (SELECT (ARRAY[0, 1, 2, 3, 3, 3, 3])[1 + i % 7] AS state) st,
           LATERAL (SELECT st.state,
                           CASE st.state WHEN 0 THEN 0 WHEN 1 THEN 10 WHEN 2 THEN 20
                                ELSE (ARRAY[30, 31, 32])[1 + (i / 7) % 3] END AS status) s`;
}

interface ListAnswer {
  operations: Array<{ id: string; name: string; createdOn: string; sequence: string }>;
  page: { nextPageToken: string; totalCount: number };
  totalCountCapped: boolean;
  estimatedTotalCount: number;
}

describe('the system jobs list pages by keyset, in every sort and with every filter', () => {
  let registry: RunningService;
  let executor: RunningService;
  let db: Client;
  let api: OpenApiConformance;
  let grpc: PromiseClient<ExecutorProto.AsyncOperationServiceClient>;

  beforeAll(async () => {
    registry = await startServiceForTest('apps/process-registry/src/main.ts');
    executor = await startServiceForTest('apps/async-executor/src/main.ts', {
      REGISTRY_ADDRESS: registry.grpcAddress,
      WORKER_CONCURRENCY: '0',
    });
    db = new Client({ connectionString: executor.db.url });
    await db.connect();
    await db.query(seedSql(150, 0, '2026-11-01T00:00:00Z'));
    await db.query('ANALYZE "executor"."async_operation"');
    api = await OpenApiConformance.of(executor.httpUrl);
    grpc = executor.client(ProtoFiles.executor, 'flowline.executor.v1.AsyncOperationService', ['operator']);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await db?.end();
    await executor?.stop();
    await registry?.stop();
  });

  const get = async (query: Record<string, string | number>) => {
    const url = `/api/v1/operations?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
    const response = await fetch(`${executor.httpUrl}${url}`, { headers: { authorization: `Bearer ${testToken(['operator'], 'olga')}` } });
    const body = (await response.json()) as ListAnswer & { error: { code: string; violations: Array<{ field: string }> } };
    api.check('GET', url, response.status, response.headers.get('content-type'), body);
    return { status: response.status, body };
  };

  /** Every page of a query, followed by its tokens. */
  const pageThrough = async (query: Record<string, string | number>, between?: () => Promise<void>) => {
    const ids: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const { status, body } = await get({ ...query, ...(token ? { pageToken: token } : {}) });
      expect(status).toBe(200);
      ids.push(...body.operations.map((operation) => operation.id));
      token = body.page.nextPageToken;
      pages++;
      if (between) await between();
    } while (token && pages < 1000);
    return ids;
  };

  const ORDER: Record<string, string> = {
    '-createdOn': '"created_on" DESC, "sequence" DESC',
    createdOn: '"created_on" ASC, "sequence" ASC',
    '-completedOn': '"completed_on" DESC, "sequence" DESC',
    completedOn: '"completed_on" ASC, "sequence" ASC',
    '-name': '"name" DESC, "created_on" DESC, "sequence" DESC',
    name: '"name" ASC, "created_on" ASC, "sequence" ASC',
  };
  /** The same question asked of the table directly. */
  const expected = async (where: string, parameters: unknown[], sort: string): Promise<string[]> => {
    const completed = sort.endsWith('completedOn') ? ' AND "state" = 3' : '';
    const { rows } = await db.query<{ id: string }>(
      `SELECT "id" FROM "executor"."async_operation" WHERE (${where})${completed} ORDER BY ${ORDER[sort]}`,
      parameters,
    );
    return rows.map((row) => row.id);
  };

  it.each(Object.keys(ORDER))('pages through every operation sorted by %s, each once, in order', async (sort) => {
    const ids = await pageThrough({ sort, pageSize: 7 });
    expect(ids).toEqual(await expected('true', [], sort));
    expect(new Set(ids).size).toBe(ids.length);
  });

  const FILTERS: Array<[string, Record<string, string>, string, unknown[]]> = [
    ['state', { state: '3' }, '"state" = 3', []],
    ['several states', { state: '0,1' }, '"state" IN (0, 1)', []],
    ['status', { status: '31' }, '"status" = 31', []],
    ['definition', { definitionId: DEFINITIONS[1]! }, '"definition_id" = $1', [DEFINITIONS[1]]],
    ['name', { name: NAMES[2]! }, '"name" = $1', [NAMES[2]]],
    ['entity', { entity: 'lead' }, '"primary_entity" = $1', ['lead']],
    ['record', { entity: 'account', recordId: 'rec-3' }, '"primary_entity" = $1 AND "regarding_id" = $2', ['account', 'rec-3']],
    ['correlation id', { correlationId: 'corr-4' }, '"correlation_id" = $1', ['corr-4']],
    [
      'created range',
      { createdAfter: '2026-11-01T00:00:10Z', createdBefore: '2026-11-01T00:00:30Z' },
      `"created_on" >= $1 AND "created_on" < $2`,
      ['2026-11-01T00:00:10Z', '2026-11-01T00:00:30Z'],
    ],
    // LIKE's own characters in the text stand for themselves.
    ['text', { text: 'QUOTA_exceeded' }, `"friendly_message" ILIKE '%quota\\_exceeded%'`, []],
    ['text and state', { text: 'reminder', state: '3' }, `"name" ILIKE '%reminder%' AND "state" = 3`, []],
    ['status and definition', { status: '30', definitionId: DEFINITIONS[0]! }, '"status" = 30 AND "definition_id" = $1', [DEFINITIONS[0]]],
  ];
  for (const sort of ['-createdOn', 'name', '-completedOn']) {
    it.each(FILTERS)(`pages through a filter by %s sorted by ${sort}`, async (_name, filter, where, parameters) => {
      const want = await expected(where, parameters, sort);
      // Sorted by completion, only Completed operations are listed (none for Ready or Suspended).
      if (!sort.endsWith('completedOn')) expect(want.length).toBeGreaterThan(0);
      const ids = await pageThrough({ ...filter, sort, pageSize: 4 });
      expect(ids).toEqual(want);
      const first = await get({ ...filter, sort, pageSize: 4 });
      expect(first.body).toMatchObject({ page: { totalCount: want.length }, totalCountCapped: false, estimatedTotalCount: 0 });
    });
  }

  it('neither repeats nor skips an operation while others are created between pages, in both directions', async () => {
    for (const sort of ['-createdOn', 'createdOn']) {
      const before = await expected('true', [], sort);
      let batch = 0;
      const ids = await pageThrough({ sort, pageSize: 9 }, async () => {
        // New operations now, and some dated inside the range already paged through.
        await db.query(seedSql(3, 10_000 + batch * 3, new Date().toISOString()));
        await db.query(seedSql(2, 20_000 + batch * 2, '2026-11-01T00:00:20Z'));
        batch++;
      });
      expect(new Set(ids).size).toBe(ids.length);
      const seen = new Set(ids);
      expect(before.filter((id) => !seen.has(id))).toEqual([]);
      if (sort === 'createdOn') {
        // Ascending, what was created now comes after every page read so far: it is listed at the end.
        const { rows } = await db.query<{ id: string }>(
          `SELECT "id" FROM "executor"."async_operation" WHERE "created_on" > now() - interval '10 minutes' AND "process_key" ~ '^p1\\d{4}$'`,
        );
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.filter((row) => !seen.has(row.id)).length).toBeLessThanOrEqual(3);
      }
    }
  });

  it('refuses a token that was altered, belongs to another sort or filter, or is an old offset token, naming page.pageToken', async () => {
    const first = await get({ sort: '-createdOn', pageSize: 5 });
    const token = first.body.page.nextPageToken;
    expect(token).not.toBe('');
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k: string[] };
    decoded.k[1] = '1';
    const altered = Buffer.from(JSON.stringify(decoded)).toString('base64url');
    const refused: Array<Record<string, string>> = [
      { pageToken: altered },
      { pageToken: token, sort: 'createdOn' },
      { pageToken: token, state: '3' },
      { pageToken: Buffer.from('o:50').toString('base64url') },
      { pageToken: 'not a token!' },
      { pageToken: Buffer.from('{"v":1,"k":["x","y"],"c":"zz"}').toString('base64url') },
    ];
    for (const query of refused) {
      const { status, body } = await get({ pageSize: 5, ...query });
      expect({ query, status, code: body.error.code, fields: body.error.violations.map((v) => v.field) }).toEqual({
        query,
        status: 400,
        code: 'PAGE_TOKEN_INVALID',
        fields: ['page.pageToken'],
      });
    }
    // The same token with the same query goes on.
    expect((await get({ sort: '-createdOn', pageSize: 5, pageToken: token })).status).toBe(200);
  });

  it('refuses a sort it does not offer, naming sort, over REST and gRPC', async () => {
    const { status, body } = await get({ sort: 'owner' });
    expect(status).toBe(400);
    expect(body.error.violations.map((v) => v.field)).toEqual(['sort']);
    await expect(grpc.listOperations({ ...emptyRequest(), sort: 'createdOn;drop' })).rejects.toMatchObject({
      grpcCode: 3,
      violations: [expect.objectContaining({ field: 'sort' })],
    });
    const long = await get({ text: 'x'.repeat(201) });
    expect(long.status).toBe(400);
    expect(long.body.error.violations.map((v) => v.field)).toEqual(['text']);
  });

  it('pages the same way over gRPC, with the text filter and the sort', async () => {
    const ids: string[] = [];
    let pageToken = '';
    do {
      const answer = await grpc.listOperations({ ...emptyRequest(), text: 'onboarding', sort: 'name', page: { pageSize: 6, pageToken } });
      expect(answer.totalCountCapped).toBe(false);
      ids.push(...answer.operations.map((operation) => operation.id));
      pageToken = answer.page?.nextPageToken ?? '';
    } while (pageToken);
    expect(ids).toEqual(await expected(`"name" ILIKE '%onboarding%'`, [], 'name'));
  });

  it("answers a job's parent, its children and its trace id with the operation and its step log", async () => {
    const [parent, child1, child2] = [randomUUID(), randomUUID(), randomUUID()];
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const insert = (id: string, name: string, parentId: string | null, state: number, status: number, trace: object) =>
      db.query(
        `INSERT INTO "executor"."async_operation" ("id", "operation_type", "name", "process_key", "state", "status", "event_id",
           "correlation_id", "depth", "primary_entity", "regarding_id", "owner", "input", "postpone_until", "trace_context",
           "parent_operation_id", "completed_on", "row_version")
         VALUES ($1, 10, $2, $8, $3, $4, gen_random_uuid(), 'family', 1, 'account', 'rec-f', 'olga', '{}', now() + interval '30 days', $5, $6, $7, 1)`,
        [id, name, state, status, trace, parentId, state === 3 ? new Date() : null, `family-${id}`],
      );
    await insert(parent, 'Parent flow', null, 1, 10, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    await insert(child1, 'First child', parent, 3, 30, {});
    await insert(child2, 'Second child', parent, 1, 10, {});
    const read = async (id: string) => {
      const url = `/api/v1/operations/${id}`;
      const response = await fetch(`${executor.httpUrl}${url}`, { headers: { authorization: `Bearer ${testToken(['operator'])}` } });
      const body = (await response.json()) as Record<string, unknown>;
      api.check('GET', url, response.status, response.headers.get('content-type'), body);
      return body;
    };
    expect(await read(parent)).toMatchObject({
      operation: { id: parent },
      steps: [],
      children: [
        { id: child1, name: 'First child', state: 3, status: 30, stateName: 'Completed', statusName: 'Succeeded' },
        { id: child2, name: 'Second child', stateName: 'Suspended', statusName: 'Waiting', completedOn: '' },
      ],
      traceId,
      input: '{}',
    });
    expect((await read(parent))['parent']).toBeUndefined();
    expect(await read(child2)).toMatchObject({
      parent: { id: parent, name: 'Parent flow', stateName: 'Suspended' },
      children: [],
      traceId: '',
    });
    const detail = await grpc.getOperation({ id: child1 });
    expect(detail).toMatchObject({ parent: { id: parent }, children: [], traceId: '' });
  });

  it('counts up to 10,000 and beyond says so, with the planner’s estimate', async () => {
    await db.query(seedSql(10_100, 100_000, '2026-10-01T00:00:00Z'));
    await db.query('ANALYZE "executor"."async_operation"');
    const { body } = await get({ pageSize: 3 });
    expect(body.page.totalCount).toBe(10_000);
    expect(body.totalCountCapped).toBe(true);
    expect(body.estimatedTotalCount).toBeGreaterThan(10_000);
    // A narrow filter is still counted exactly.
    const narrow = await get({ pageSize: 3, recordId: 'rec-3', entity: 'account', createdAfter: '2026-11-01T00:00:00Z' });
    expect(narrow.body).toMatchObject({ totalCountCapped: false, estimatedTotalCount: 0 });
    expect(narrow.body.page.totalCount).toBe(
      (
        await expected(
          `"primary_entity" = 'account' AND "regarding_id" = 'rec-3' AND "created_on" >= '2026-11-01T00:00:00Z'`,
          [],
          '-createdOn',
        )
      ).length,
    );
  });
});

function emptyRequest(): ExecutorProto.ListOperationsRequest {
  return {
    page: { pageSize: 0, pageToken: '' },
    states: [],
    statuses: [],
    definitionId: '',
    name: '',
    primaryEntity: '',
    regardingId: '',
    correlationId: '',
    createdAfter: '',
    createdBefore: '',
    text: '',
    sort: '',
  };
}
