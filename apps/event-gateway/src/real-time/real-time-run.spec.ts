import { DEFAULT_ENTITIES, PipelineStage } from '@flowline/contracts';
import { compileDefinition } from '@flowline/process-model';
import { FlowlineError } from '@flowline/rpc';
import type { ExecuteInput, ExecuteResult } from '../pipeline/pipeline.types';
import { inRankOrder } from '../pipeline/synchronous-stage';
import { runRealTimeWorkflow, type RealTimeRun } from './real-time-run';
import type { RealTimeWorkflow } from './real-time-workflows';

const ACCOUNT = '6a1b4f5e-0000-4000-8000-000000000001';

function workflow(steps: unknown[]): RealTimeWorkflow {
  const compiled = compileDefinition(
    {
      schemaVersion: 1,
      name: 'rt',
      uniqueName: 'rt-test',
      category: 'workflow',
      primaryEntity: 'account',
      mode: 'realTime',
      triggers: [{ on: 'create' }],
      steps,
    },
    DEFAULT_ENTITIES,
  );
  return { definitionId: 'd1', uniqueName: 'rt-test', version: 1, compiled, rank: 1 };
}

function context(stage: RealTimeRun['stage'], executed: ExecuteInput[], targets: Array<Record<string, unknown>>): RealTimeRun {
  return {
    stage,
    message: 'Create',
    entity: 'account',
    recordId: ACCOUNT,
    record: { name: 'Contoso' },
    pre: null,
    changed: ['name'],
    depth: 3,
    correlationId: 'c1',
    initiatingUserId: 'alice',
    changeTarget: (target) => {
      targets.push(target);
      return { name: 'Contoso', ...target };
    },
    execute: async (input): Promise<ExecuteResult> => {
      executed.push(input);
      if (input.target['subject'] === 'refused')
        throw new FlowlineError('INVALID_ARGUMENT', 'INVALID_TARGET', 'Create of task has 1 invalid field(s)');
      return { id: 'task-1', version: 1, record: { subject: String(input.target['subject']) }, output: {}, replayed: false };
    },
  };
}

describe('a real-time workflow run', () => {
  it('at PreOperation turns an update of its own record into a target change that later steps read, and runs other record steps one level deeper', async () => {
    const executed: ExecuteInput[] = [];
    const targets: Array<Record<string, unknown>> = [];
    const outcome = await runRealTimeWorkflow(
      workflow([
        { id: 'mark', type: 'updateRecord', set: { description: 'seen {{record.name}}' } },
        { id: 'task', type: 'createRecord', entity: 'task', set: { subject: 'Call {{record.description}}' } },
      ]),
      context(PipelineStage.PreOperation, executed, targets),
    );
    expect(targets).toEqual([{ description: 'seen Contoso' }]);
    expect(executed).toEqual([
      expect.objectContaining({
        message: 'Create',
        entity: 'task',
        target: { subject: 'Call seen Contoso' },
        depth: 4,
        correlationId: 'c1',
      }),
    ]);
    expect(outcome.actedOnRecords).toBe(true);
  });

  it('refuses the operation with the message of a canceled stop, a failed step, a child or an unsupported activity', async () => {
    const run = (steps: unknown[], stage: RealTimeRun['stage'] = PipelineStage.PostOperation) =>
      runRealTimeWorkflow(workflow(steps), context(stage, [], []));
    await expect(run([{ id: 'no', type: 'stop', outcome: 'canceled', message: 'Not today' }])).rejects.toThrow(
      "real-time workflow 'rt-test' refused Create of account: Not today",
    );
    await expect(run([{ id: 'bad', type: 'createRecord', entity: 'task', set: { subject: 'refused' } }])).rejects.toThrow(
      "step 'bad' failed: INVALID_TARGET: Create of task has 1 invalid field(s)",
    );
    await expect(run([{ id: 'child', type: 'startChild', workflow: 'other' }])).rejects.toThrow(
      "a real-time workflow cannot start the child workflow 'other'",
    );
    await expect(run([{ id: 'call', type: 'customActivity', handler: 'http', inputs: {} }])).rejects.toThrow(
      "the custom activity 'http' runs only in background workflows",
    );
    await expect(run([{ id: 'own', type: 'setState', state: 1 }], PipelineStage.PreOperation)).rejects.toThrow(
      'a PreOperation real-time workflow changes its own record only by updating it',
    );
  });
});

describe('the order of a stage', () => {
  it('merges workflows into the plug-in steps by rank, steps first at equal rank', () => {
    const step = (name: string, rank: number) => ({ name, rank }) as never;
    const flow = (uniqueName: string, rank: number) => ({ uniqueName, rank }) as RealTimeWorkflow;
    const order = inRankOrder([step('a', 1), step('b', 2), step('c', 5)], [flow('w3', 3), flow('w1', 1), flow('w9', 9)]);
    expect(order.map((item) => ('step' in item ? item.step.name : item.workflow.uniqueName))).toEqual(['a', 'w1', 'b', 'w3', 'c', 'w9']);
  });
});
