import { AsyncOperationStatus as Status } from '@flowline/contracts';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startChain, type Chain } from '../../test/chain';

/**
 * Consecutive update steps with relative operations: the executor passes them to the gateway,
 * which applies each to the stored record inside its transaction, and feeds the record it left
 * back to the run, so a step reads what earlier steps wrote (four increments give +1111, three
 * appends keep every letter). Needs the gateway's relative operations and the interpreter that
 * emits them and takes the record an effect result returns.
 */
const counter = `schemaVersion: 1
name: Counter steps
uniqueName: counter-steps
category: workflow
primaryEntity: account
triggers:
  - on: create
steps:
  - id: one
    type: updateRecord
    set:
      creditlimit: { op: increment, value: 1 }
      description: { op: append, value: A }
  - id: ten
    type: updateRecord
    set:
      creditlimit: { op: increment, value: 10 }
      description: { op: append, value: B }
  - id: hundred
    type: updateRecord
    set:
      creditlimit: { op: increment, value: 100 }
  - id: thousand
    type: updateRecord
    set:
      creditlimit: { op: increment, value: 1000 }
      description: { op: append, value: D }
  - id: read-back
    type: updateRecord
    set:
      name: 'Counted {{record.creditlimit}}'
`;

describe('relative updates are applied by the gateway, step after step', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain('relative', [{ source: counter, format: 'yaml' }], { WORKER_POLL_MS: '100' });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
  });

  it('gives 1111 for +1, +10, +100, +1000 and ABD for three appends, and later steps read what earlier ones wrote', async () => {
    const id = String((await chain.call('POST', '/api/v1/records/account', { name: 'Counter', creditlimit: 0, description: '' }))['id']);
    await waitFor(
      async () =>
        (await chain.sql.query(`SELECT status FROM "executor"."async_operation" WHERE regarding_id = $1 AND name = 'counter-steps'`, [id]))
          .rows[0]?.status === Status.Succeeded,
      { timeoutMs: 60_000, what: 'the counter workflow to succeed' },
    );
    const account = (await chain.call('GET', `/api/v1/records/account/${id}`))['record'] as Record<string, unknown>;
    expect(account).toMatchObject({ creditlimit: 1111, description: 'ABD', name: 'Counted 1111' });
  }, 120_000);
});
