/**
 * Language conformance through the running services: one case per step type and per semantic rule
 * of docs/language.md, each written from that page alone, run through the registry, the gateway
 * and the executor as real processes on records with only their required attributes, and checked
 * by the record as the gateway stores it, the operation's state and status reason, and its step
 * log (exactly one entry per step that started, with its final status).
 *
 * Every definition is active at once and triggers on account creation; each case's steps sit
 * behind a guard on the account's name, so a case sees only its own run.
 */
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { testToken } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startChain, type Chain } from '../../test/chain';

const StepStatus = { InProgress: 1, Succeeded: 2, Failed: 3, Canceled: 4, Waiting: 5 } as const;

interface Case {
  /** The account name that selects this case (and the definition's unique name). */
  name: string;
  rule: string;
  /** The steps run when the guard holds, as YAML indented for the guard's branch. */
  steps: string;
  header?: string;
  /** Definitions the case needs besides its own (children). */
  extra?: string[];
  expect: {
    state: number;
    status: number;
    record?: Record<string, unknown>;
    /** Final status of each step that started, by step id (the guard included). */
    steps?: Record<string, number>;
    /** Text the operation's message or error contains. */
    message?: string;
  };
}

const indent = (text: string, spaces: number) =>
  text
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');

function definition(test: Case): string {
  return `schemaVersion: 1
name: Conformance ${test.name}
uniqueName: ${test.name}
category: workflow
primaryEntity: account
${test.header ?? ''}
triggers:
  - on: create
steps:
  - id: guard
    type: condition
    branches:
      - when: 'record.name == "${test.name}"'
        steps:
${indent(test.steps, 10)}
`;
}

const CHILD_OK = `schemaVersion: 1
name: Conformance child
uniqueName: conformance-child
category: workflow
primaryEntity: account
availableAsChild: true
inputs:
  - { name: note, type: string, required: true }
steps:
  - id: write
    type: updateRecord
    set:
      description: { op: append, value: '{{inputs.note}}' }
`;

const CHILD_FAILS = `schemaVersion: 1
name: Conformance failing child
uniqueName: conformance-failing-child
category: workflow
primaryEntity: account
availableAsChild: true
steps:
  - id: impossible
    type: createRecord
    entity: contact
    set:
      firstname: 'no last name, which a contact requires'
`;

const CASES: Case[] = [
  {
    name: 'null-semantics',
    rule: 'an unset optional attribute reads as null: empty text in a template, absent for has()',
    steps: `
- id: greet
  type: createRecord
  entity: task
  set:
    subject: 'Call {{record.name}} at [{{record.telephone1}}]'
- id: phone
  type: condition
  branches:
    - when: 'has(record.telephone1)'
      steps:
        - { id: has-phone, type: updateRecord, set: { description: has a phone } }
  otherwise:
    - { id: no-phone, type: updateRecord, set: { description: no phone } }`,
    expect: {
      state: State.Completed,
      status: Status.Succeeded,
      record: { description: 'no phone' },
      steps: { guard: StepStatus.Succeeded, greet: StepStatus.Succeeded, phone: StepStatus.Succeeded, 'no-phone': StepStatus.Succeeded },
    },
  },
  {
    name: 'relative-updates',
    rule: 'increment, decrement, multiply and append are applied by the gateway to the stored record, one after the other',
    steps: `
- { id: one, type: updateRecord, set: { creditlimit: { op: increment, value: 1 }, description: { op: append, value: A } } }
- { id: ten, type: updateRecord, set: { creditlimit: { op: increment, value: 10 }, description: { op: append, value: B } } }
- { id: hundred, type: updateRecord, set: { creditlimit: { op: increment, value: 100 }, description: { op: append, value: C } } }
- { id: thousand, type: updateRecord, set: { creditlimit: { op: increment, value: 1000 }, description: { op: append, value: D } } }
- { id: double, type: updateRecord, set: { creditlimit: { op: multiply, value: 2 } } }
- { id: less, type: updateRecord, set: { creditlimit: { op: decrement, value: 2 } } }`,
    expect: { state: State.Completed, status: Status.Succeeded, record: { creditlimit: 2220, description: 'ABCD' } },
  },
  {
    name: 'reads-what-it-wrote',
    rule: 'a step reads what earlier steps wrote',
    steps: `
- { id: mark, type: updateRecord, set: { description: marked } }
- id: check
  type: condition
  branches:
    - when: 'record.description == "marked"'
      steps:
        - { id: seen, type: updateRecord, set: { onboardingstatus: 3 } }
  otherwise:
    - { id: not-seen, type: updateRecord, set: { onboardingstatus: 1 } }`,
    expect: { state: State.Completed, status: Status.Succeeded, record: { onboardingstatus: 3 } },
  },
  {
    name: 'create-then-use',
    rule: "createRecord's output is the new id, read by later steps as steps.<id>.id",
    steps: `
- id: follow-up
  type: createRecord
  entity: task
  set: { subject: 'Follow up {{record.name}}', regardingobjectid: '=record.ref' }
- { id: remember, type: updateRecord, set: { description: 'task {{steps["follow-up"].id}}' } }`,
    expect: {
      state: State.Completed,
      status: Status.Succeeded,
      steps: { 'follow-up': StepStatus.Succeeded, remember: StepStatus.Succeeded },
    },
  },
  {
    name: 'stop-canceled',
    rule: 'a stop with outcome canceled ends the run Canceled, and is logged Canceled',
    steps: `
- { id: before, type: updateRecord, set: { description: before the stop } }
- { id: halt, type: stop, outcome: canceled, message: nothing to do for this account }`,
    expect: {
      state: State.Completed,
      status: Status.Canceled,
      message: 'nothing to do for this account',
      record: { description: 'before the stop' },
      steps: { before: StepStatus.Succeeded, halt: StepStatus.Canceled },
    },
  },
  {
    name: 'failed-step',
    rule: 'a step the gateway refuses fails the run, and is logged Failed with its error',
    steps: `
- id: bad-contact
  type: createRecord
  entity: contact
  set: { firstname: 'without the required last name' }`,
    expect: { state: State.Completed, status: Status.Failed, steps: { 'bad-contact': StepStatus.Failed }, message: 'lastname' },
  },
  {
    name: 'set-state',
    rule: 'setState changes the record state and status',
    steps: `
- { id: deactivate, type: setState, state: 1, status: 2 }`,
    expect: { state: State.Completed, status: Status.Succeeded, record: { statecode: 1, statuscode: 2 } },
  },
  {
    name: 'noop-activity',
    rule: "a custom activity's outputs are read as steps.<id>.<output>",
    steps: `
- id: echo
  type: customActivity
  handler: noop
  inputs: { word: echoed }
  outputs: { word: string }
- { id: use, type: updateRecord, set: { description: '{{steps.echo.word}}' } }`,
    expect: { state: State.Completed, status: Status.Succeeded, record: { description: 'echoed' } },
  },
  {
    name: 'wait-already-met',
    rule: 'a wait is evaluated when it begins: a condition that holds does not wait',
    steps: `
- id: until-named
  type: waitCondition
  until: 'record.name == "wait-already-met"'
- { id: after, type: updateRecord, set: { description: went on at once } }`,
    expect: {
      state: State.Completed,
      status: Status.Succeeded,
      record: { description: 'went on at once' },
      steps: { 'until-named': StepStatus.Succeeded, after: StepStatus.Succeeded },
    },
  },
  {
    name: 'wait-timeout',
    rule: 'a waitTimeout suspends the run and resumes it when the timer fires',
    steps: `
- { id: a-second, type: waitTimeout, duration: PT1S }
- { id: after, type: updateRecord, set: { description: { op: append, value: resumed } } }`,
    expect: {
      state: State.Completed,
      status: Status.Succeeded,
      record: { description: 'resumed' },
      steps: { 'a-second': StepStatus.Succeeded, after: StepStatus.Succeeded },
    },
  },
  {
    name: 'parallel-wait',
    rule: 'a parallelWait runs the first branch whose wait is satisfied',
    steps: `
- id: first-of
  type: parallelWait
  branches:
    - id: never
      wait: { id: until-inactive, type: waitCondition, until: 'record.statecode == 1' }
      steps:
        - { id: inactive, type: updateRecord, set: { description: inactive } }
    - id: soon
      wait: { id: one-second, type: waitTimeout, duration: PT1S }
      steps:
        - { id: timed-out, type: updateRecord, set: { description: timed out } }`,
    expect: { state: State.Completed, status: Status.Succeeded, record: { description: 'timed out' } },
  },
  {
    name: 'child-waited-for',
    rule: 'startChild with wait suspends the parent until the child completes, then goes on after it',
    extra: [CHILD_OK],
    steps: `
- id: child
  type: startChild
  workflow: conformance-child
  wait: true
  inputs: { note: from the child }
- { id: after-child, type: updateRecord, set: { description: { op: append, value: ' then the parent' } } }`,
    expect: {
      state: State.Completed,
      status: Status.Succeeded,
      record: { description: 'from the child then the parent' },
      steps: { child: StepStatus.Succeeded, 'after-child': StepStatus.Succeeded },
    },
  },
  {
    name: 'child-failed',
    rule: "a failed child fails the waiting parent's step",
    extra: [CHILD_FAILS],
    steps: `
- { id: child, type: startChild, workflow: conformance-failing-child, wait: true }
- { id: never-reached, type: updateRecord, set: { description: should not happen } }`,
    expect: { state: State.Completed, status: Status.Failed, steps: { child: StepStatus.Failed } },
  },
];

/** Real-time: runs inside the gateway's pipeline, before the create commits, on the same guard. */
const REAL_TIME = `schemaVersion: 1
name: Conformance real-time
uniqueName: conformance-real-time
category: workflow
primaryEntity: account
mode: realTime
triggers:
  - on: create
    stage: preOperation
steps:
  - id: guard
    type: condition
    branches:
      - when: 'record.name == "real-time"'
        steps:
          - { id: in-pipeline, type: updateRecord, set: { description: set before the create } }
      - when: 'record.name == "real-time-refused"'
        steps:
          - { id: refuse, type: stop, outcome: canceled, message: accounts of this name are refused }
`;

/** On demand: no trigger, started by a call on a record as the caller. */
const ON_DEMAND = `schemaVersion: 1
name: Conformance on demand
uniqueName: conformance-on-demand
category: workflow
primaryEntity: account
availableOnDemand: true
inputs:
  - { name: note, type: string }
steps:
  - { id: note, type: updateRecord, set: { description: 'started on demand: {{inputs.note}}' } }
`;

describe('the process language, conformance through registry, gateway and executor', () => {
  let chain: Chain;
  const operator = { authorization: `Bearer ${testToken(['operator'])}` };

  beforeAll(async () => {
    const sources = [...new Set([...CASES.flatMap((test) => [...(test.extra ?? []), definition(test)]), REAL_TIME, ON_DEMAND])];
    chain = await startChain(
      'conformance',
      sources.map((source) => ({ source, format: 'yaml' as const })),
      { WORKER_POLL_MS: '100' },
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
  });

  interface OperationView {
    operation: { id: string; name: string; state: number; status: number; friendlyMessage: string; errorCode: string };
    steps: Array<{ stepId: string; status: number; message: string }>;
  }

  const operationsOf = async (recordId: string) =>
    (
      (await (
        await fetch(`${chain.executor.httpUrl}/api/v1/operations?recordId=${recordId}&pageSize=50`, { headers: operator })
      ).json()) as {
        operations: Array<{ id: string; name: string; state: number }>;
      }
    ).operations;

  it.each(CASES.map((test) => [test.name, test.rule, test] as const))(
    '%s: %s',
    async (_name, _rule, test) => {
      const created = await chain.call('POST', '/api/v1/records/account', { name: test.name });
      const id = String(created['id']);
      // The case's own operation (other definitions run too, and stop at their guard).
      const view = await waitFor(
        async () => {
          const mine = (await operationsOf(id)).find((operation) => operation.name === test.name);
          if (!mine || mine.state !== State.Completed) return undefined;
          return (await (
            await fetch(`${chain.executor.httpUrl}/api/v1/operations/${mine.id}`, { headers: operator })
          ).json()) as OperationView;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: `the ${test.name} run to complete` },
      );
      expect({ state: view.operation.state, status: view.operation.status }).toEqual({
        state: test.expect.state,
        status: test.expect.status,
      });
      if (test.expect.message) expect(`${view.operation.errorCode} ${view.operation.friendlyMessage}`).toContain(test.expect.message);
      // Exactly one entry per step that started, and none stays In Progress or Waiting once the run ended.
      const ids = view.steps.map((step) => step.stepId);
      expect(ids).toEqual([...new Set(ids)]);
      for (const step of view.steps) expect([StepStatus.Succeeded, StepStatus.Failed, StepStatus.Canceled]).toContain(step.status);
      if (test.expect.steps) {
        const statuses = Object.fromEntries(view.steps.map((step) => [step.stepId, step.status]));
        expect(statuses).toMatchObject(test.expect.steps);
      }
      if (test.expect.record) {
        const record = (await chain.call('GET', `/api/v1/records/account/${id}`))['record'] as Record<string, unknown>;
        expect(record).toMatchObject(test.expect.record);
      }
    },
    90_000,
  );

  const gateway = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${chain.gateway.httpUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${testToken(['user'], 'alice')}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('realTime: runs inside the create before it commits, and a canceled stop refuses the create with its message', async () => {
    const created = await gateway('POST', '/api/v1/records/account', { name: 'real-time' });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { record: Record<string, unknown> }).record).toMatchObject({ description: 'set before the create' });
    const refused = await gateway('POST', '/api/v1/records/account', { name: 'real-time-refused' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      error: { code: 'REALTIME_WORKFLOW_REFUSED', message: expect.stringContaining('accounts of this name are refused') },
    });
    const found = (await (await gateway('GET', '/api/v1/records/account?name=real-time-refused')).json()) as { records: unknown[] };
    expect(found.records).toEqual([]);
  }, 90_000);

  it('availableOnDemand: a call starts it on a record as the caller, once per idempotency key; others are refused', async () => {
    const id = String((await chain.call('POST', '/api/v1/records/account', { name: 'on-demand' }))['id']);
    const start = (definition: string, key: string) =>
      fetch(`${chain.executor.httpUrl}/api/v1/workflows/${definition}/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${testToken(['user'], 'alice')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ entity: 'account', recordId: id, inputs: { note: 'by alice' }, idempotencyKey: key }),
      });
    const first = await start('conformance-on-demand', 'k1');
    expect(first.status).toBeLessThan(300);
    // The answer is the operation (Ready), bare or under `operation`.
    const idOf = (body: { id?: string; operation?: { id: string } }) => body.operation?.id ?? body.id;
    const operationId = idOf((await first.json()) as { id?: string; operation?: { id: string } });
    expect(operationId).toBeTruthy();
    expect(idOf((await (await start('conformance-on-demand', 'k1')).json()) as { id?: string })).toBe(operationId);
    await waitFor(
      async () => {
        const record = (await chain.call('GET', `/api/v1/records/account/${id}`))['record'] as Record<string, unknown>;
        return record['description'] === 'started on demand: by alice';
      },
      { timeoutMs: 60_000, what: 'the on-demand run to write its note' },
    );
    const notOnDemand = await start('null-semantics', 'k2');
    expect(notOnDemand.status).toBe(409);
    expect(await notOnDemand.json()).toMatchObject({ error: { code: 'NOT_AVAILABLE_ON_DEMAND' } });
  }, 90_000);
});
