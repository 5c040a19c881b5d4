import type { StepLogRow } from './step-log.entity';
import { stepsToProto } from './operation.mapper';

const row = (id: number, attempt: number, seq: number | null, stepId: string): StepLogRow =>
  ({
    id: String(id),
    operationId: '00000000-0000-0000-0000-000000000001',
    attempt,
    seq,
    stepId,
    path: '$',
    stepType: 'customActivity',
    status: 2,
    message: null,
    startedOn: new Date('2026-12-01T00:00:00Z'),
    loggedOn: new Date('2026-12-01T00:00:01Z'),
  }) as StepLogRow;

describe('stepsToProto', () => {
  it('orders the step log by attempt, then by start number, entries without one last in writing order', () => {
    // Row ids follow writing order: an entry replaced later in an attempt keeps its first id.
    const rows = [
      row(1, 1, 1, 'call'),
      row(5, 3, 2, 'mark'),
      row(2, 2, 1, 'call'),
      row(4, 3, 1, 'call'),
      row(6, 3, null, 'hook'),
      row(3, 0, 7, 'old'),
    ];
    expect(stepsToProto(rows).map((step) => [step.attempt, step.stepId])).toEqual([
      [0, 'old'],
      [1, 'call'],
      [2, 'call'],
      [3, 'call'],
      [3, 'mark'],
      [3, 'hook'],
    ]);
  });
});
