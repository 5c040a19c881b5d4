/**
 * The executor with the production default of the outbound-call policy (no OUTBOUND_ALLOW):
 * a workflow's `http` activity aimed at a loopback address fails at once and for good, with a
 * message naming the address and the setting, and nothing is called.
 */
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { ActivityServer } from '../../test/activity-server';
import { startChain, type Chain } from '../../test/chain';

const definition = (url: string) => `schemaVersion: 1
name: Call inside
uniqueName: call-inside
category: workflow
primaryEntity: account
triggers:
  - on: create
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/inside'
`;

describe('the executor refuses outbound calls to special-purpose addresses by default', () => {
  const server = new ActivityServer();
  let chain: Chain;

  beforeAll(async () => {
    await server.start();
    // An empty OUTBOUND_ALLOW is unset: public addresses only. The gateway keeps the harness's loopback.
    chain = await startChain('outbound', [{ source: definition(server.url), format: 'yaml' }], {
      OUTBOUND_ALLOW: '',
      WORKER_POLL_MS: '100',
      RETRY_BASE_MS: '50',
    });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
    await server.stop();
  });

  it('fails the workflow at once and for good (no retry), the step log naming 127.0.0.1 and OUTBOUND_ALLOW, and calls nothing', async () => {
    const id = String((await chain.call('POST', '/api/v1/records/account', { name: 'Inside' }))['id']);
    const failed = await waitFor(
      async () => {
        const row = (await chain.sql.query(`SELECT * FROM "executor"."async_operation" WHERE regarding_id = $1`, [id])).rows[0] as
          Record<string, unknown> | undefined;
        return row && row['state'] === State.Completed ? row : undefined;
      },
      { timeoutMs: 30_000, what: 'the workflow to end' },
    );
    expect(failed['status']).toBe(Status.Failed);
    expect(Number(failed['retry_count'])).toBe(0);
    expect(failed['error_code']).toBe('STEP_FAILED');
    const steps = (
      await chain.sql.query(`SELECT status, message FROM "executor"."operation_step_log" WHERE operation_id = $1 ORDER BY id`, [
        failed['id'],
      ])
    ).rows as Array<{ status: number; message: string | null }>;
    expect(steps.map((step) => step.message ?? '').join('\n')).toContain('127.0.0.1 is a loopback address');
    const message = String(failed['friendly_message']);
    expect(message).toContain('127.0.0.1 is a loopback address');
    expect(message).toContain('OUTBOUND_ALLOW');
    expect(server.requestsFor('inside')).toHaveLength(0);
  });
});
