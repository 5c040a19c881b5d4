import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition, parseSource } from '@flowline/process-model';
import type { InstanceState } from '@flowline/process-runtime';
import { FlowlineError } from '@flowline/rpc';
import { RecordGateway, type ExecuteCall, type ExecuteOutcome } from '../clients/gateway-client';
import { SessionRunner, type RunContext, type RunResult } from './session-runner';

const parsed = parseSource(readFileSync(path.resolve(__dirname, '../../../../examples/customer-survey.dialog.yaml'), 'utf8'), 'yaml');
if (!parsed.ok) throw new Error('the survey example does not parse');
const survey = compileDefinition(parsed.value, DEFAULT_ENTITIES);

class FakeGateway extends RecordGateway {
  readonly calls: ExecuteCall[] = [];
  constructor(private readonly answer: (call: ExecuteCall) => ExecuteOutcome) {
    super();
  }
  async execute(call: ExecuteCall): Promise<ExecuteOutcome> {
    this.calls.push(call);
    return this.answer(call);
  }
}

const context = (pageToken: number): RunContext => ({
  sessionId: 's-1',
  compiled: survey,
  actor: 'alice',
  correlationId: 'c-1',
  pageToken,
  now: () => new Date('2026-11-25T10:00:00Z'),
});
const record = { ref: { entity: 'contact', id: 'c1' }, firstname: 'Ada', fullname: 'Ada Ng' };

async function unhappyUntilDetails(gateway: RecordGateway): Promise<InstanceState> {
  const runner = new SessionRunner(gateway);
  const started = await runner.run(context(0), undefined, {
    type: 'start',
    operationId: 's-1',
    now: '2026-11-25T10:00:00Z',
    depth: 1,
    record,
  });
  const first = (started as { result: RunResult }).result;
  const second = await runner.run(context(1), first.state, {
    type: 'pageAnswers',
    pageId: 'satisfaction',
    answers: { score: 1 },
    now: '2026-11-25T10:00:00Z',
  });
  return (second as { result: RunResult }).result.state;
}

describe('SessionRunner', () => {
  it('runs to the first page without touching the gateway, and logs the page shown', async () => {
    const gateway = new FakeGateway(() => {
      throw new Error('no call expected');
    });
    const outcome = await new SessionRunner(gateway).run(context(0), undefined, {
      type: 'start',
      operationId: 's-1',
      now: '2026-11-25T10:00:00Z',
      depth: 1,
      record,
    });
    expect(outcome.ok && outcome.result.page).toMatchObject({ id: 'satisfaction', last: false, canGoBack: false });
    expect(outcome.ok && outcome.result.actions).toEqual([
      { kind: 'pageShown', stepId: 'satisfaction', entity: null, recordId: null, detail: { title: 'How did we do?' } },
    ]);
    expect(gateway.calls).toEqual([]);
  });

  it('gives refused answers back per prompt', async () => {
    const runner = new SessionRunner(new FakeGateway(() => ({ ok: true, id: '', record: null, records: [], replayed: false })));
    const started = await runner.run(context(0), undefined, {
      type: 'start',
      operationId: 's-1',
      now: '2026-11-25T10:00:00Z',
      depth: 1,
      record,
    });
    const refused = await runner.run(context(1), (started as { result: RunResult }).result.state, {
      type: 'pageAnswers',
      pageId: 'satisfaction',
      answers: { score: 'lots' },
      now: '2026-11-25T10:00:00Z',
    });
    expect(refused).toEqual({ ok: false, invalid: { score: "expected one of 1 (Unhappy), 2 (Fine), 3 (Delighted), got 'lots'" } });
  });

  it('creates records with an idempotency key made of the step and the page token, as the person, at depth 1', async () => {
    const gateway = new FakeGateway(() => ({ ok: true, id: 'case-9', record: null, records: null, replayed: false }));
    const state = await unhappyUntilDetails(gateway);
    const done = await new SessionRunner(gateway).run(context(2), state, {
      type: 'pageAnswers',
      pageId: 'what-went-wrong',
      answers: { details: 'late' },
      now: '2026-11-25T10:00:00Z',
    });
    expect(gateway.calls).toEqual([
      {
        message: 'Create',
        entity: 'incident',
        target: { title: 'Unhappy customer Ada Ng', prioritycode: 1, description: 'late', customerid: { entity: 'contact', id: 'c1' } },
        parameters: {},
        idempotencyKey: 's-1:$.steps[1].branches[0].steps[1]@2',
        depth: 1,
        correlationId: 'c-1',
        initiatingUserId: 'alice',
      },
    ]);
    expect(done.ok && done.result.ending).toEqual({ status: 'completed', message: '', code: null });
    expect(done.ok && done.result.actions.map((action) => [action.kind, action.recordId])).toEqual([
      ['recordCreated', 'case-9'],
      ['completed', null],
    ]);
  });

  it('ends the session as failed when the gateway refuses a record, with its reason', async () => {
    const gateway = new FakeGateway(() => ({
      ok: false,
      transient: false,
      grpcCode: 3,
      code: 'INVALID_TARGET',
      message: 'title is too long',
    }));
    const state = await unhappyUntilDetails(gateway);
    const done = await new SessionRunner(gateway).run(context(2), state, {
      type: 'pageAnswers',
      pageId: 'what-went-wrong',
      answers: { details: 'late' },
      now: '2026-11-25T10:00:00Z',
    });
    expect(done.ok && done.result.ending).toEqual({
      status: 'failed',
      code: 'STEP_FAILED',
      message: "step 'open-case' failed: INVALID_TARGET: title is too long",
    });
  });

  it('refuses the whole request as unavailable when the gateway is down, so that nothing is saved and a retry acts once', async () => {
    const gateway = new FakeGateway(() => ({ ok: false, transient: true, grpcCode: 14, code: 'GRPC_14', message: 'connection refused' }));
    const state = await unhappyUntilDetails(gateway);
    const attempt = new SessionRunner(gateway).run(context(2), state, {
      type: 'pageAnswers',
      pageId: 'what-went-wrong',
      answers: { details: 'late' },
      now: '2026-11-25T10:00:00Z',
    });
    await expect(attempt).rejects.toBeInstanceOf(FlowlineError);
    await expect(attempt).rejects.toMatchObject({ kind: 'UNAVAILABLE', code: 'GATEWAY_UNAVAILABLE' });
  });

  it('queries without an idempotency key and feeds the records to the next page', async () => {
    const gateway = new FakeGateway(() => ({
      ok: true,
      id: '',
      record: null,
      records: [{ title: 'a' }, { title: 'b' }, { title: 'c' }],
      replayed: false,
    }));
    const runner = new SessionRunner(gateway);
    const started = await runner.run(context(0), undefined, {
      type: 'start',
      operationId: 's-1',
      now: '2026-11-25T10:00:00Z',
      depth: 1,
      record,
    });
    const fine = await runner.run(context(1), (started as { result: RunResult }).result.state, {
      type: 'pageAnswers',
      pageId: 'satisfaction',
      answers: { score: 2 },
      now: '2026-11-25T10:00:00Z',
    });
    expect(gateway.calls[0]).toMatchObject({ message: 'RetrieveMultiple', entity: 'incident', idempotencyKey: '' });
    expect(fine.ok && fine.result.page?.prompts[0]?.text).toBe('You have 3 open case(s) with us. Would you like a call back?');
    expect(fine.ok && fine.result.actions[0]).toMatchObject({ kind: 'recordsQueried', entity: 'incident', detail: { count: 3 } });
  });

  it('sends relative updates as operations and shows the record the gateway answered with on the next page', async () => {
    const counter = compileDefinition(
      {
        schemaVersion: 1,
        name: 'Counter',
        uniqueName: 'counter',
        category: 'dialog',
        primaryEntity: 'contact',
        steps: [
          { id: 'ask', type: 'page', prompts: [{ id: 'go', text: 'Go?' }] },
          { id: 'note', type: 'updateRecord', set: { description: { op: 'append', value: ' Called.' }, jobtitle: 'Buyer' } },
          { id: 'after', type: 'page', prompts: [{ id: 'seen', text: 'Now: {{record.description}} ({{record.jobtitle}})' }] },
        ],
      },
      DEFAULT_ENTITIES,
    );
    const gateway = new FakeGateway(() => ({
      ok: true,
      id: 'c1',
      record: { firstname: 'Ada', description: 'Earlier. Called.', jobtitle: 'Buyer' },
      records: null,
      replayed: false,
    }));
    const runner = new SessionRunner(gateway);
    const dialog = (pageToken: number): RunContext => ({ ...context(pageToken), compiled: counter });
    const started = await runner.run(dialog(0), undefined, {
      type: 'start',
      operationId: 's-1',
      now: '2026-11-25T10:00:00Z',
      depth: 1,
      record,
    });
    const answered = await runner.run(dialog(1), (started as { result: RunResult }).result.state, {
      type: 'pageAnswers',
      pageId: 'ask',
      answers: {},
      now: '2026-11-25T10:00:00Z',
    });
    expect(gateway.calls).toMatchObject([
      {
        message: 'Update',
        recordId: 'c1',
        target: { jobtitle: 'Buyer' },
        operations: { description: { op: 'append', value: ' Called.' } },
      },
    ]);
    expect(answered.ok && answered.result.page?.prompts[0]?.text).toBe('Now: Earlier. Called. (Buyer)');
    expect(answered.ok && answered.result.state.record).toEqual({
      ref: record.ref,
      firstname: 'Ada',
      description: 'Earlier. Called.',
      jobtitle: 'Buyer',
    });
  });
});
