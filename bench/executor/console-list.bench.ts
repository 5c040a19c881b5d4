/**
 * The operator console's system jobs list with a million operations in the table: the time of
 * GET /api/v1/operations (HTTP round trip, server side) for the first page, a page deep in the
 * list (followed by its tokens), and filtered pages (state, status, definition name, text,
 * record), each in the default sort and in another one; p50 and p95 over several tries after a
 * warm-up; then the same in the browser: the console served by a session service, in headless
 * Chromium, from navigation to the first row shown (a fresh load of the page, and a change of
 * filter in the open page); then the plan of each query shape (EXPLAIN of the keyset statement
 * the list issues).
 *   npm run bench:console-list -- [--operations 1000000] [--tries 7] [--page-size 50] [--deep 100]
 * The rows are inserted set-based (INSERT ... SELECT generate_series) with the table's indexes
 * dropped and built again afterwards (as a restore would), in a realistic mix: 85% Completed
 * (succeeded, failed, canceled), 8% Suspended, 4% Ready, 3% Locked, over 20 definitions of skewed
 * popularity, 5 entities, 50,000 records, a month of creation times. No worker runs
 * (WORKER_CONCURRENCY=0), so nothing moves while it measures.
 */
import * as path from 'node:path';
import { Client } from 'pg';
import { chromium } from 'playwright-core';
import { signToken } from '../../libs/auth/src';
import { buildConsole, consoleBuildNeeded, CONSOLE_OUTPUT } from '../../tools/launcher/src/console-build';
import { percentile } from '../support';
import { flag, printTable, Stack, startInfra, SECRET } from './stack';

const OPERATIONS = Number(flag('operations', '1000000'));
const TRIES = Number(flag('tries', '7'));
const PAGE_SIZE = Number(flag('page-size', '50'));
const DEEP = Number(flag('deep', '100'));
const REPO_ROOT = path.resolve(__dirname, '../..');
/** What the page's scripts below use of the browser (this file compiles without the DOM's types). */
interface Page {
  sessionStorage: { setItem(key: string, value: string): void };
  location: { hash: string };
  requestAnimationFrame(callback: (time: number) => void): number;
}
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ENTITIES = ['account', 'contact', 'lead', 'opportunity', 'incident'];
const NAMES = Array.from({ length: 20 }, (_, i) =>
  i === 3 ? 'Invoice reminder' : `${['Account', 'Contact', 'Lead', 'Opportunity', 'Case'][i % 5]} flow ${i}`,
);

/** The fill: a month of operations, newest first by i. */
function fillSql(from: number, to: number): string {
  return `
    INSERT INTO "executor"."async_operation"
      ("id", "operation_type", "name", "process_key", "definition_id", "definition_version", "state", "status", "event_id",
       "correlation_id", "depth", "primary_entity", "regarding_id", "owner", "input", "postpone_until", "trace_context",
       "created_on", "started_on", "completed_on", "execution_time_ms", "error_code", "friendly_message", "lease_expires_at", "host", "row_version")
    SELECT gen_random_uuid(), 10, (ARRAY['${NAMES.join("','")}'])[1 + d.n], 'bench:' || i,
           ('00000000-0000-4000-8000-' || lpad(d.n::text, 12, '0'))::uuid, 1 + (i % 3),
           s.state, s.status, gen_random_uuid(), 'corr-' || (i / 3), 1,
           (ARRAY['${ENTITIES.join("','")}'])[1 + (i % 5)], 'rec-' || (hashint4(i) & 65535) % 50000, 'owner-' || (i % 40), '{}'::jsonb,
           CASE WHEN s.state IN (0, 1) THEN now() + interval '60 days' ELSE now() - t.age END, '{}'::jsonb,
           now() - t.age, now() - t.age + interval '1 second',
           CASE WHEN s.state = 3 THEN now() - t.age + ((i % 600) * interval '1 second') END, i % 5000,
           CASE WHEN s.status = 31 THEN (ARRAY['STEP_FAILED', 'TIMEOUT', 'GATEWAY_REFUSED'])[1 + i % 3] END,
           CASE WHEN s.status = 31 THEN (ARRAY['timeout calling https://crm.example.com/hooks/' || (i % 97),
                                               'the record account ' || (i % 1000) || ' was not found',
                                               'credit limit exceeded for order ' || i])[1 + i % 3] END,
           CASE WHEN s.state = 2 THEN now() + interval '1 day' END, CASE WHEN s.state = 2 THEN 'bench-host' END, 1
      FROM generate_series(${from}, ${to}) AS i,
           LATERAL (SELECT (i::bigint * 2592000000 / ${OPERATIONS}) * interval '1 millisecond' AS age) t,
           -- Definitions of skewed popularity: a few run most of the time.
           LATERAL (SELECT (floor(20 * power(((hashint4(i + 7) & 1048575) / 1048576.0), 2)))::int AS n) d,
           LATERAL (SELECT r, CASE WHEN r < 85 THEN 3 WHEN r < 93 THEN 1 WHEN r < 97 THEN 0 ELSE 2 END AS state
                      FROM (SELECT (hashint4(i) & 2147483647) % 100 AS r) x) st,
           LATERAL (SELECT st.state, CASE st.state WHEN 0 THEN 0 WHEN 1 THEN 10 WHEN 2 THEN 20
                                        ELSE CASE WHEN st.r < 77 THEN 30 WHEN st.r < 83 THEN 31 ELSE 32 END END AS status) s`;
}

async function fill(sql: Client): Promise<number> {
  const started = Date.now();
  // Drop the secondary indexes, insert, build them again: what a restore does, and far faster than maintaining them row by row.
  const { rows: indexes } = await sql.query<{ name: string; definition: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = '"executor"."async_operation"'::regclass AND NOT i.indisprimary AND NOT i.indisunique`,
  );
  for (const index of indexes) await sql.query(`DROP INDEX "executor"."${index.name}"`);
  const batch = 200_000;
  for (let from = 0; from < OPERATIONS; from += batch) {
    await sql.query(fillSql(from, Math.min(OPERATIONS, from + batch) - 1));
    process.stderr.write(`\rinserted ${Math.min(OPERATIONS, from + batch)} of ${OPERATIONS}   `);
  }
  process.stderr.write('\nbuilding indexes\n');
  await sql.query(`SET maintenance_work_mem = '256MB'`);
  for (const index of indexes) await sql.query(index.definition);
  await sql.query('VACUUM ANALYZE "executor"."async_operation"');
  return (Date.now() - started) / 1000;
}

interface Answer {
  operations: unknown[];
  page: { nextPageToken: string; totalCount: number };
  totalCountCapped: boolean;
}

/**
 * The list in the console, in headless Chromium: from navigation until the first row is on the
 * screen. A fresh load (page, script, sign-in from the tab's token, the first page of the API)
 * and, in the open page, a change of filter (only the API call and the render).
 */
async function browserTimes(
  stack: Stack,
  executor: Awaited<ReturnType<Stack['startExecutor']>>,
  token: string,
  record: { entity: string; record: string },
): Promise<void> {
  if (consoleBuildNeeded(REPO_ROOT)) {
    const failed = await buildConsole(REPO_ROOT);
    if (failed) throw new Error(`the console did not build:\n${failed}`);
  }
  const sessions = await stack.startSessions(executor, path.join(REPO_ROOT, CONSOLE_OUTPUT));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((value) => (globalThis as unknown as Page).sessionStorage.setItem('flowline.console.token', value), token);
    const page = await context.newPage();
    const base = `http://127.0.0.1:${sessions.httpPort}/console/`;
    const firstRow = page.locator('tbody tr td a').first();
    const scenarios: Array<[string, string]> = [
      ['first page', ''],
      ['state Suspended', 'state=1'],
      ['definition name', `name=${encodeURIComponent('Invoice reminder')}`],
      ['text "timeout"', 'text=timeout'],
      ['record', `entity=${record.entity}&recordId=${encodeURIComponent(record.record)}`],
    ];
    const rows: string[][] = [];
    for (const [label, filter] of scenarios) {
      const load: number[] = [];
      const change: number[] = [];
      for (let i = 0; i <= TRIES; i++) {
        // A fresh load of the page at the filtered list.
        await page.goto('about:blank');
        let started = performance.now();
        await page.goto(`${base}#/jobs${filter ? `?${filter}` : ''}`);
        await firstRow.waitFor({ timeout: 60_000 });
        if (i > 0) load.push(performance.now() - started);
        // In the open page: from another list to this one, as a new filter does.
        await page.evaluate(() => ((globalThis as unknown as Page).location.hash = '#/jobs?state=2'));
        await page.locator('tbody tr .badge', { hasText: 'Locked' }).first().waitFor({ timeout: 60_000 });
        started = performance.now();
        const answered = page.waitForResponse(
          (response) => response.url().includes('/api/v1/operations?') && !response.url().includes('state=2'),
        );
        await page.evaluate((hash) => ((globalThis as unknown as Page).location.hash = hash), `#/jobs${filter ? `?${filter}` : ''}`);
        await answered;
        // The rows of the answer drawn: the next frame after it arrived.
        await page.evaluate(() => new Promise((resolve) => (globalThis as unknown as Page).requestAnimationFrame(resolve)));
        await firstRow.waitFor({ timeout: 60_000 });
        if (i > 0) change.push(performance.now() - started);
      }
      load.sort((a, b) => a - b);
      change.sort((a, b) => a - b);
      rows.push([
        label,
        percentile(load, 50).toFixed(0),
        percentile(load, 95).toFixed(0),
        percentile(change, 50).toFixed(0),
        percentile(change, 95).toFixed(0),
      ]);
    }
    console.log(
      `\nIn the browser (the console in headless Chromium, 25 rows a page): navigation to the first row shown, ${TRIES} tries each\n`,
    );
    printTable(['list', 'fresh load p50 ms', 'p95 ms', 'filter change p50 ms', 'p95 ms'], rows);
  } finally {
    await browser.close();
    await sessions.stop();
  }
}

async function main(): Promise<void> {
  const infra = await startInfra();
  const stack = new Stack(infra);
  const sql = new Client({ connectionString: infra.databaseUrl });
  try {
    await stack.startCore();
    const executor = await stack.startExecutor({ concurrency: 0, env: { WORKER_CONCURRENCY: '0' } });
    await sql.connect();
    const fillSeconds = await fill(sql);
    const { rows: sample } = await sql.query<{ entity: string; record: string }>(
      `SELECT "primary_entity" AS entity, "regarding_id" AS record FROM "executor"."async_operation" ORDER BY "sequence" LIMIT 1 OFFSET 4242`,
    );
    const record = sample[0]!;
    const token = signToken(SECRET, { subject: 'bench', roles: ['operator'], expiresInSeconds: 3600 });
    const get = async (query: Record<string, string>): Promise<{ ms: number; answer: Answer }> => {
      const url = `http://127.0.0.1:${executor.httpPort}/api/v1/operations?${new URLSearchParams(query).toString()}`;
      const started = performance.now();
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const answer = (await response.json()) as Answer;
      const ms = performance.now() - started;
      if (response.status !== 200) throw new Error(`${url}: ${response.status} ${JSON.stringify(answer)}`);
      return { ms, answer };
    };
    const scenarios: Array<[string, Record<string, string>]> = [
      ['first page', {}],
      [`page ${DEEP} (by tokens)`, {}],
      ['state Suspended', { state: '1' }],
      ['status Failed', { status: '31' }],
      ['definition name', { name: 'Invoice reminder' }],
      ['text "timeout"', { text: 'timeout' }],
      ['record', { entity: record.entity, recordId: record.record }],
    ];
    const rows: string[][] = [];
    for (const [label, filter] of scenarios) {
      for (const sort of ['-createdOn', label === 'first page' ? '-completedOn' : 'name']) {
        const base = { ...filter, sort, pageSize: String(PAGE_SIZE) };
        let query: Record<string, string> = base;
        if (label.startsWith('page ')) {
          let pageToken = '';
          for (let page = 1; page < DEEP; page++)
            pageToken = (await get({ ...base, ...(pageToken ? { pageToken } : {}) })).answer.page.nextPageToken;
          query = { ...base, pageToken };
        }
        await get(query);
        const times: number[] = [];
        let last: Answer | undefined;
        for (let i = 0; i < TRIES; i++) {
          const { ms, answer } = await get(query);
          times.push(ms);
          last = answer;
        }
        times.sort((a, b) => a - b);
        rows.push([
          label,
          sort,
          percentile(times, 50).toFixed(1),
          percentile(times, 95).toFixed(1),
          String(last!.operations.length),
          `${last!.totalCountCapped ? '>' : ''}${last!.page.totalCount}`,
        ]);
      }
    }
    console.log(
      `\n${OPERATIONS.toLocaleString('en')} operations (filled and indexed in ${fillSeconds.toFixed(0)} s); ${TRIES} tries each after a warm-up\n`,
    );
    printTable(['list', 'sort', 'p50 ms', 'p95 ms', 'rows', 'total'], rows);

    await browserTimes(stack, executor, token, record);

    // The plans of the statements' shapes: the list's keyset query as operation-page.ts builds it.
    console.log('\nPlans (EXPLAIN ANALYZE of the first page, the shapes the list issues):');
    const shapes: Array<[string, string]> = [
      ['first page, -createdOn', `TRUE ORDER BY o.created_on DESC, o.sequence DESC`],
      ['state 1, -createdOn', `o.state IN (1) ORDER BY o.created_on DESC, o.sequence DESC`],
      ['status 31, name', `o.status IN (31) ORDER BY o.name, o.created_on, o.sequence`],
      ['name, -createdOn', `o.name = 'Invoice reminder' ORDER BY o.created_on DESC, o.sequence DESC`],
      [
        'text, -createdOn',
        `(o.name || ' ' || coalesce(o.error_code, '') || ' ' || coalesce(o.friendly_message, '')) ILIKE '%timeout%' ORDER BY o.created_on DESC, o.sequence DESC`,
      ],
      [
        'record, -createdOn',
        `o.primary_entity = '${record.entity}' AND o.regarding_id = '${record.record}' ORDER BY o.created_on DESC, o.sequence DESC`,
      ],
      ['-completedOn', `o.state = 3 AND o.completed_on IS NOT NULL ORDER BY o.completed_on DESC, o.sequence DESC`],
    ];
    for (const [label, where] of shapes) {
      const { rows: plan } = await sql.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT o.* FROM "executor"."async_operation" o WHERE ${where} LIMIT ${PAGE_SIZE + 1}`,
      );
      console.log(`\n${label}:\n${plan.map((line) => `  ${line['QUERY PLAN']}`).join('\n')}`);
    }
  } finally {
    await sql.end().catch(() => undefined);
    await stack.stop();
    await infra.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
