import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AsyncOperationState, AsyncOperationStatus } from '@flowline/contracts';
import { REPO_ROOT, waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startChain, type Chain } from '../../test/chain';

describe('the dispatcher turns pipeline events into async operations', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain(
      'dispatch',
      [
        { source: readFileSync(path.join(REPO_ROOT, 'examples/account-onboarding.workflow.yaml'), 'utf8'), format: 'yaml' },
        {
          source: JSON.stringify({
            schemaVersion: 1,
            name: 'Credit watch',
            uniqueName: 'credit-watch',
            category: 'workflow',
            primaryEntity: 'account',
            triggers: [{ on: 'update', attributes: ['creditlimit'] }],
            steps: [{ id: 'done', type: 'stop' }],
          }),
          format: 'json',
        },
        {
          // Only the outage test below triggers it: its version is not in the dispatcher's cache yet.
          source: JSON.stringify({
            schemaVersion: 1,
            name: 'Contact intake',
            uniqueName: 'contact-intake',
            category: 'workflow',
            primaryEntity: 'contact',
            triggers: [{ on: 'create' }],
            steps: [{ id: 'done', type: 'stop' }],
          }),
          format: 'json',
        },
      ],
      // No workers: this test looks at what the dispatcher creates, before anything runs it.
      { WORKER_CONCURRENCY: '0' },
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain.stop();
  });

  const call = async (method: string, url: string, body: unknown) =>
    (await chain.call(method, url, body)) as { id: string; eventId: string };
  const operations = async (eventId: string) =>
    (
      await chain.sql.query(
        `SELECT name, state, status, definition_version, regarding_id, depth, input FROM "executor"."async_operation" WHERE event_id = $1 ORDER BY sequence`,
        [eventId],
      )
    ).rows as Array<{
      name: string;
      state: number;
      status: number;
      definition_version: number;
      regarding_id: string;
      depth: number;
      input: { postImage: { name: string } };
    }>;

  it('creates one Ready operation per activated workflow the event triggers, with the version and event snapshotted', async () => {
    const created = await call('POST', '/api/v1/records/account', { name: 'Contoso', creditlimit: 100 });
    const rows = await waitFor(
      async () => {
        const found = await operations(created.eventId);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 15_000, what: 'the onboarding operation' },
    );
    expect(rows).toMatchObject([
      {
        name: 'account-onboarding',
        state: AsyncOperationState.Ready,
        status: AsyncOperationStatus.WaitingForResources,
        definition_version: 1,
        regarding_id: created.id,
        depth: 1,
      },
    ]);
    expect(rows[0]!.input.postImage.name).toBe('Contoso');
  });

  it('starts an update workflow only when one of its filtering attributes changed', async () => {
    const created = await call('POST', '/api/v1/records/account', { name: 'Fabrikam', creditlimit: 100 });
    const renamed = await call('PATCH', `/api/v1/records/account/${created.id}`, { name: 'Fabrikam Ltd' });
    const raised = await call('PATCH', `/api/v1/records/account/${created.id}`, { creditlimit: 900 });
    await waitFor(async () => (await operations(raised.eventId)).length > 0, { timeoutMs: 15_000, what: 'the credit-watch operation' });
    expect((await operations(raised.eventId)).map((row) => row.name)).toEqual(['credit-watch']);
    // One record's events are consumed in order: the rename was dispatched before the raise, and created nothing.
    expect(await operations(renamed.eventId)).toEqual([]);
  });

  it('keeps an event while the registry is down for longer than its retries, and dispatches it when the registry is back', async () => {
    // The dispatcher asks the registry for a version it has not compiled yet; the registry is
    // down for 8 s, well past the 5 tries (3 s) a failing message gets before the dead letters.
    await chain.stopService('process-registry', 'SIGKILL');
    const created = await call('POST', '/api/v1/records/contact', { lastname: 'Outage' });
    expect(created.eventId).toEqual(expect.any(String));
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect(await operations(created.eventId)).toEqual([]);
    await chain.restartService('process-registry');
    const rows = await waitFor(
      async () => {
        const found = await operations(created.eventId);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 30_000, what: 'the contact-intake operation after the registry came back' },
    );
    expect(rows.map((row) => row.name)).toEqual(['contact-intake']);
  }, 90_000);
});
