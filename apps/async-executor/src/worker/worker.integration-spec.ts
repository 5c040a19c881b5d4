import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { REPO_ROOT, waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startChain, type Chain } from '../../test/chain';

describe('workers run workflows through the gateway', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain(
      'worker',
      ['account-onboarding.workflow.yaml', 'case-escalation.workflow.yaml', 'credit-check.workflow.yaml'].map((file) => ({
        source: readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8'),
        format: 'yaml' as const,
      })),
      { WORKER_POLL_MS: '100' },
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain.stop();
  });

  const call = (method: string, url: string, body?: unknown) => chain.call(method, url, body);
  const operation = (regardingId: string, name: string) =>
    waitFor(
      async () =>
        (await chain.sql.query(`SELECT * FROM "executor"."async_operation" WHERE regarding_id = $1 AND name = $2`, [regardingId, name]))
          .rows[0] as Record<string, unknown> | undefined,
      {
        timeoutMs: 20_000,
        what: `the ${name} operation`,
      },
    );

  it('runs account onboarding to completion: records created and updated through the pipeline, once each', async () => {
    const created = await call('POST', '/api/v1/records/account', { name: 'Contoso', emailaddress1: 'hi@contoso.test', creditlimit: 100 });
    const id = String(created['id']);
    await waitFor(async () => (await operation(id, 'account-onboarding'))['status'] === Status.Succeeded, {
      timeoutMs: 20_000,
      what: 'onboarding to succeed',
    });
    const account = (await call('GET', `/api/v1/records/account/${id}`))['record'] as Record<string, unknown>;
    expect(account['onboardingstatus']).toBe(3);
    const tasks = (await call('GET', `/api/v1/records/task?subject=${encodeURIComponent('Welcome call with Contoso')}`))[
      'records'
    ] as Array<Record<string, unknown>>;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ prioritycode: 1, regardingobjectid: { entity: 'account', id } });
    const emails = (await call('GET', `/api/v1/records/email?subject=${encodeURIComponent('Welcome to Flowline, Contoso')}`))[
      'records'
    ] as unknown[];
    expect(emails).toHaveLength(1);
    const row = await operation(id, 'account-onboarding');
    const log = (
      await chain.sql.query(`SELECT DISTINCT step_id FROM "executor"."operation_step_log" WHERE operation_id = $1`, [row['id']])
    ).rows.map((r: { step_id: string }) => r.step_id);
    expect(log).toEqual(expect.arrayContaining(['follow-up', 'mark-started', 'welcome', 'credit-check', 'done']));
  });

  it('suspends a case escalation while it waits, and a later update wakes it to completion', async () => {
    const created = await call('POST', '/api/v1/records/incident', { title: 'Printer on fire' });
    const id = String(created['id']);
    await waitFor(async () => (await operation(id, 'case-escalation'))['state'] === State.Suspended, {
      timeoutMs: 20_000,
      what: 'the escalation to wait',
    });
    const waiting = await operation(id, 'case-escalation');
    expect(waiting['status']).toBe(Status.Waiting);
    expect(new Date(String(waiting['postpone_until'])).getTime()).toBeGreaterThan(Date.now() + 2 * 24 * 3600 * 1000);
    const subscriptions = (
      await chain.sql.query(`SELECT entity, record_id FROM "executor"."wait_subscription" WHERE operation_id = $1`, [waiting['id']])
    ).rows;
    expect(subscriptions).toEqual([{ entity: 'incident', record_id: id }]);

    await call('POST', '/api/v1/messages/SetState', { entity: 'incident', id, parameters: { state: 1, status: 5 } });
    await waitFor(async () => (await operation(id, 'case-escalation'))['status'] === Status.Succeeded, {
      timeoutMs: 20_000,
      what: 'the escalation to complete',
    });
    expect((await operation(id, 'case-escalation'))['friendly_message']).toBe('resolved in time');
  });

  it('wakes a wait on a related record when that record changes, reading it as it is now', async () => {
    const customer = String((await call('POST', '/api/v1/records/account', { name: 'Fabrikam' }))['id']);
    // Inactive at first: a wait whose condition is already met when it begins does not wait.
    await call('POST', '/api/v1/messages/SetState', { entity: 'account', id: customer, parameters: { state: 1, status: 2 } });
    const opportunity = String(
      (await call('POST', '/api/v1/records/opportunity', { name: 'Fabrikam deal', customerid: { entity: 'account', id: customer } }))['id'],
    );
    // The credit check starts on a change of the estimated value, and waits on the customer (and the opportunity, and a timer).
    await call('PATCH', `/api/v1/records/opportunity/${opportunity}`, { estimatedvalue: 250000 });
    // Suspended with both records watched. (The PATCH's own pipeline event may reach the dispatcher
    // after the run first suspended: it wakes the run, which looks again and waits again.)
    const watched = await waitFor(
      async () => {
        const row = await operation(opportunity, 'credit-check');
        if (row['state'] !== State.Suspended) return undefined;
        const rows = (
          await chain.sql.query(`SELECT entity, record_id FROM "executor"."wait_subscription" WHERE operation_id = $1 ORDER BY entity`, [
            row['id'],
          ])
        ).rows as Array<{ entity: string; record_id: string }>;
        return rows.length > 0 ? rows : undefined;
      },
      { timeoutMs: 20_000, what: 'the credit check to wait' },
    );
    expect(watched).toEqual(
      expect.arrayContaining([
        { entity: 'account', record_id: customer },
        { entity: 'opportunity', record_id: opportunity },
      ]),
    );
    // The customer becomes active: the related wait is satisfied, the review branch wins.
    await call('POST', '/api/v1/messages/SetState', { entity: 'account', id: customer, parameters: { state: 0, status: 1 } });
    await waitFor(async () => (await operation(opportunity, 'credit-check'))['status'] === Status.Succeeded, {
      timeoutMs: 20_000,
      what: 'the credit check to complete',
    });
    const deal = (await call('GET', `/api/v1/records/opportunity/${opportunity}`))['record'] as Record<string, unknown>;
    expect(String(deal['description'])).toContain('Credit approved after review.');
    expect(String(deal['description'])).not.toContain('by an officer');
  });
});
