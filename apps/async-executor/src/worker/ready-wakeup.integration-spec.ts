import { Client } from 'pg';
import { AsyncOperationState } from '@flowline/contracts';
import { SERVICE_START_TIMEOUT_MS, waitFor } from '@flowline/testing';
import { startChain, type Chain } from '../../test/chain';
import { READY_CHANNEL } from '../operations/operation-store';

/**
 * Workers hear of new work without waiting for their poll (set to a minute here): the
 * dispatcher wakes the workers of its own process directly, with no NOTIFY, and tells the other
 * replicas' workers with one when its own cannot take the work (here: it runs none).
 */
describe('workers are woken by the dispatcher', () => {
  let chain: Chain;
  let listener: Client;
  let notifications = 0;
  const definition = {
    source: JSON.stringify({
      schemaVersion: 1,
      name: 'Wake-up',
      uniqueName: 'wake-up',
      category: 'workflow',
      primaryEntity: 'contact',
      triggers: [{ on: 'create' }],
      steps: [{ id: 'done', type: 'stop' }],
    }),
    format: 'json' as const,
  };

  beforeAll(async () => {
    chain = await startChain('wakeup', [definition], { WORKER_POLL_MS: '60000' });
    listener = new Client({ connectionString: chain.executor.db.url });
    await listener.connect();
    listener.on('notification', () => void (notifications += 1));
    await listener.query(`LISTEN ${READY_CHANNEL}`);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await listener?.end();
    await chain?.stop();
  });

  const completedWithin = async (lastname: string, timeoutMs: number): Promise<void> => {
    const id = String((await chain.call('POST', '/api/v1/records/contact', { lastname }))['id']);
    await waitFor(
      async () =>
        (
          await chain.sql.query(`SELECT 1 FROM "executor"."async_operation" WHERE regarding_id = $1 AND state = $2`, [
            id,
            AsyncOperationState.Completed,
          ])
        ).rowCount === 1,
      { timeoutMs, what: `the workflow on ${lastname} to complete` },
    );
  };

  it('runs each workflow at once in the dispatcher’s own process, and sends no NOTIFY for it', async () => {
    // Warm: the first event also waits for the dispatcher's partitions to be assigned.
    await completedWithin('First', 30_000);
    notifications = 0;
    for (const name of ['Second', 'Third', 'Fourth']) await completedWithin(name, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(notifications).toBe(0);
  });

  it('wakes another replica’s workers with a NOTIFY when the dispatching process runs none', async () => {
    // A second dispatcher with no workers shares the partitions: what it dispatches reaches the
    // chain's executor's workers only by its NOTIFY (their poll is a minute).
    const dispatcherOnly = await chain.startExecutor({ WORKER_CONCURRENCY: '0', LOG_LEVEL: 'info' });
    try {
      notifications = 0;
      const dispatchedThere = () => dispatcherOnly.process.output.some((line) => line.includes('"msg":"dispatched"'));
      for (let i = 0; i < 40 && !dispatchedThere(); i++) await completedWithin(`Spread ${i}`, 10_000);
      expect(dispatchedThere()).toBe(true);
      expect(notifications).toBeGreaterThan(0);
    } finally {
      await dispatcherOnly.stop();
    }
  });
});
