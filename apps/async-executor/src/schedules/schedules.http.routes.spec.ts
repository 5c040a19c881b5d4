import { compileSchedule } from '@flowline/process-model';
import { buildOpenApiDocument } from '@flowline/service-kit';
import { OpenApiConformance } from '@flowline/service-testing';
import { EXECUTOR_OPENAPI } from '../openapi';
import type { ScheduleRow } from './schedule.entity';
import { scheduleToJson } from './schedule.mapper';

/** What the schedules' mapper answers conforms to the executor's OpenAPI document (the integration spec calls the real routes). */
describe('the schedules REST routes', () => {
  const document = buildOpenApiDocument(EXECUTOR_OPENAPI);
  const conformance = new OpenApiConformance(document as unknown as Record<string, unknown>, 'http://executor.test');
  const row: ScheduleRow = {
    id: '0d249b86-3087-4acc-a7aa-f15389e894a1:0',
    definitionId: '0d249b86-3087-4acc-a7aa-f15389e894a1',
    triggerIndex: 0,
    uniqueName: 'nightly',
    definitionVersion: 2,
    primaryEntity: 'account',
    spec: compileSchedule(
      {
        cron: '0 2 * * *',
        timeZone: 'Europe/Berlin',
        query: { entity: 'account', conditions: [{ attribute: 'name', operator: 'like', value: 'a%' }] },
      },
      0,
    ),
    specHash: 'h',
    owner: 'alice',
    nextDueAt: new Date('2026-03-29T00:00:00Z'),
    nextFireAt: new Date('2026-03-29T00:00:00Z'),
    bufferedDueAt: null,
    lastDueAt: null,
    lastFiredAt: null,
    lastOutcome: null,
    lastOperationIds: [],
    paused: false,
    pausedBy: null,
    syncedVersion: '4',
    createdOn: new Date(),
    updatedOn: new Date(),
  };

  it('describes a schedule as the mapper answers it: listed, one, and after trigger-now', () => {
    const json = scheduleToJson(row);
    expect(json).toMatchObject({ cron: '0 2 * * *', every: null, timeZone: 'Europe/Berlin', overlap: 'skip', catchUp: 'latest' });
    expect(() => conformance.check('GET', '/api/v1/schedules', 200, 'application/json', { schedules: [json] })).not.toThrow();
    expect(() =>
      conformance.check('POST', `/api/v1/schedules/${row.id}/pause`, 200, 'application/json', { ...json, paused: true, pausedBy: 'olga' }),
    ).not.toThrow();
    expect(() =>
      conformance.check('POST', `/api/v1/schedules/${row.id}/trigger`, 200, 'application/json', { schedule: json, operationIds: ['x'] }),
    ).not.toThrow();
    expect(() => conformance.check('GET', `/api/v1/schedules/${row.id}`, 200, 'application/json', { ...json, extra: 1 })).toThrow(
      /additionalProperties|must NOT have additional properties/,
    );
  });
});
