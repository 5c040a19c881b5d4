import { RegistryProto } from '@flowline/rpc';
import { startGateway, type GatewayHarness } from '../../test/gateway-harness';

/** Real-time workflows (mode realTime) run inside the gateway's pipeline, in the operation's transaction. */
describe('real-time workflows', () => {
  let harness: GatewayHarness;
  beforeAll(async () => {
    harness = await startGateway();
  });
  afterAll(async () => {
    await harness.stop();
  });

  const workflow = (uniqueName: string, primaryEntity: string, trigger: Record<string, unknown>, steps: unknown[]) => ({
    schemaVersion: 1,
    name: uniqueName,
    uniqueName,
    category: 'workflow',
    primaryEntity,
    mode: 'realTime',
    triggers: [trigger],
    steps,
  });

  const eventsOf = async (correlationId: string) =>
    (await harness.outbox())
      .map(
        (row) =>
          row.envelope.payload as {
            entity: string;
            message: string;
            depth: number;
            correlationId: string;
            postImage: Record<string, unknown> | null;
          },
      )
      .filter((event) => event.correlationId === correlationId);

  it('a PreOperation workflow sets fields on create before the record is written, ahead of plug-in steps of a later rank', async () => {
    await harness.activate(
      workflow('rt-account-defaults', 'account', { on: 'create', stage: 'preOperation' }, [
        {
          id: 'describe',
          type: 'updateRecord',
          set: { description: 'Checked before creation: {{record.name}}', numberofemployees: { op: 'increment', value: 1 } },
        },
      ]),
    );
    // A plug-in step of rank 2 sees what the workflow (rank 1) put in the target.
    await harness.steps.registerStep({
      step: {
        id: '',
        name: 'description required',
        message: 'Create',
        primaryEntity: 'account',
        stage: 20,
        mode: 0,
        rank: 2,
        filteringAttributes: [],
        images: [],
        handler: { builtIn: { name: 'flowline.validation-rule' } },
        enabled: true,
        unsecureConfiguration: JSON.stringify({
          rules: [{ attribute: 'description', operator: 'present', message: 'a description is required' }],
        }),
        secureConfiguration: '',
        hasSecureConfiguration: false,
        registeredOn: '',
        registrationSequence: '',
        rowVersion: 0,
      } satisfies RegistryProto.StepRegistration,
    });
    await harness.metadataCaughtUp();

    const created = await harness.call('POST', '/api/v1/records/account', { name: 'Contoso' }, { 'x-correlation-id': 'rt-pre' });
    expect(created.status).toBe(201);
    expect(created.body['record']).toMatchObject({
      name: 'Contoso',
      description: 'Checked before creation: Contoso',
      numberofemployees: 1,
      versionnumber: 1,
    });
    const events = await eventsOf('rt-pre');
    // One operation: the workflow's change joined the Create instead of following it.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ message: 'Create', depth: 1, postImage: { description: 'Checked before creation: Contoso' } });

    await harness.deactivate('rt-account-defaults');
    const later = await harness.call('POST', '/api/v1/records/account', { name: 'Fabrikam', description: 'by hand' });
    expect(later.body['record']).toMatchObject({ description: 'by hand' });
    expect(later.body['record']).not.toHaveProperty('numberofemployees');
  });

  it('a PostOperation workflow creates a related task in the same transaction, through the pipeline at depth 2', async () => {
    await harness.activate(
      workflow('rt-lead-follow-up', 'lead', { on: 'create' }, [
        {
          id: 'call',
          type: 'createRecord',
          entity: 'task',
          set: { subject: 'Call about {{record.subject}}', regardingobjectid: '=record.ref' },
        },
        { id: 'mark', type: 'updateRecord', set: { companyname: 'follow-up planned' } },
      ]),
    );
    const created = await harness.call('POST', '/api/v1/records/lead', { subject: 'Printers' }, { 'x-correlation-id': 'rt-post' });
    expect(created.status).toBe(201);
    const leadId = String(created.body['id']);
    // The answer shows the record as the workflow left it.
    expect(created.body['record']).toMatchObject({ subject: 'Printers', companyname: 'follow-up planned', versionnumber: 2 });
    const tasks = await harness.call('GET', `/api/v1/records/task?regardingobjectid=${leadId}`);
    expect(tasks.body['records']).toEqual([
      expect.objectContaining({ subject: 'Call about Printers', regardingobjectid: { entity: 'lead', id: leadId } }),
    ]);
    const events = await eventsOf('rt-post');
    // In the order the operations ran, so the lead's Create reaches Kafka before its Update.
    expect(events.map((event) => [event.message, event.entity, event.depth])).toEqual([
      ['Create', 'lead', 1],
      ['Create', 'task', 2],
      ['Update', 'lead', 2],
    ]);
  });

  it('a workflow that stops as canceled, or whose step fails, rolls the whole operation back and the caller gets its message', async () => {
    await harness.activate(
      workflow('rt-contact-check', 'contact', { on: 'create' }, [
        {
          id: 'follow-up',
          type: 'createRecord',
          entity: 'task',
          set: { subject: 'Follow up {{record.lastname}}', regardingobjectid: '=record.ref' },
        },
        {
          id: 'check',
          type: 'condition',
          branches: [
            {
              when: 'record.lastname == "Refused"',
              steps: [{ id: 'refuse', type: 'stop', outcome: 'canceled', message: 'Contacts named Refused need approval' }],
            },
            {
              when: 'record.lastname == "Broken"',
              steps: [{ id: 'bad-task', type: 'createRecord', entity: 'task', set: { subject: 'Broken', percentcomplete: '=150' } }],
            },
          ],
        },
      ]),
    );
    const before = (await harness.outbox()).length;
    const refused = await harness.call('POST', '/api/v1/records/contact', { lastname: 'Refused' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: {
        code: 'REALTIME_WORKFLOW_REFUSED',
        message: "real-time workflow 'rt-contact-check' refused Create of contact: Contacts named Refused need approval",
      },
    });
    const broken = await harness.call('POST', '/api/v1/records/contact', { lastname: 'Broken' });
    expect(broken.status).toBe(409);
    expect(broken.body).toMatchObject({
      error: {
        code: 'REALTIME_WORKFLOW_REFUSED',
        message: expect.stringContaining(
          "step 'bad-task' failed: INVALID_TARGET: Create of task has 1 invalid field(s): target.percentcomplete: is 150; the maximum is 100",
        ),
      },
    });
    // Nothing of either: no contact, no follow-up task, no event.
    expect((await harness.call('GET', '/api/v1/records/contact?lastname=Refused')).body['records']).toEqual([]);
    expect((await harness.call('GET', '/api/v1/records/task?subject=Follow%20up%20Refused')).body['records']).toEqual([]);
    expect((await harness.call('GET', '/api/v1/records/task?subject=Follow%20up%20Broken')).body['records']).toEqual([]);
    expect((await harness.outbox()).length).toBe(before);

    const accepted = await harness.call('POST', '/api/v1/records/contact', { lastname: 'Accepted' });
    expect(accepted.status).toBe(201);
    expect(
      (await harness.call('GET', `/api/v1/records/task?regardingobjectid=${String(accepted.body['id'])}`)).body['records'],
    ).toHaveLength(1);
    const metrics = await (await fetch(`${harness.gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/flowline_gateway_realtime_workflow_runs_total\{stage="40",outcome="refused",service="event-gateway"\} 2/);
  });

  it('a PreOperation workflow on Update changes the target; one that updates its own record after every update is stopped as a loop', async () => {
    await harness.activate(
      workflow('rt-credit-hold', 'account', { on: 'update', attributes: ['creditlimit'], stage: 'preOperation' }, [
        {
          id: 'hold',
          type: 'condition',
          branches: [{ when: 'record.creditlimit > 10000', steps: [{ id: 'on-hold', type: 'updateRecord', set: { creditonhold: true } }] }],
        },
      ]),
    );
    const id = String((await harness.call('POST', '/api/v1/records/account', { name: 'Woodgrove', description: 'x' })).body['id']);
    const raised = await harness.call('PATCH', `/api/v1/records/account/${id}`, { creditlimit: 20000 }, { 'x-correlation-id': 'rt-hold' });
    expect(raised.body['record']).toMatchObject({ creditlimit: 20000, creditonhold: true, versionnumber: 2 });
    expect((await eventsOf('rt-hold')).map((event) => event.message)).toEqual(['Update']);

    await harness.activate(
      workflow('rt-revenue-echo', 'account', { on: 'update', attributes: ['revenue'] }, [
        { id: 'echo', type: 'updateRecord', set: { revenue: { op: 'increment', value: 1 } } },
      ]),
    );
    const looping = await harness.call('PATCH', `/api/v1/records/account/${id}`, { revenue: 1 });
    expect(looping.status).toBe(429);
    expect(looping.body).toMatchObject({
      error: {
        code: 'LOOP_DETECTED',
        message: expect.stringMatching(/^Update of account reached depth 8 within 60 minute\(s\) of correlation .* \(the limit is 8\)/),
      },
    });
    expect((await harness.call('GET', `/api/v1/records/account/${id}`)).body['record']).toMatchObject({ versionnumber: 2 });
    await harness.deactivate('rt-revenue-echo');
  });
});
