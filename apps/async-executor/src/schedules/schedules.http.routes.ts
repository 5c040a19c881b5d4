/**
 * The REST routes of schedules, `/api/v1/schedules`: list (with next and last firings), one
 * schedule, pause, resume and trigger-now, with the zod schemas the executor's OpenAPI document
 * is built from.
 */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import { defineRoute } from '@flowline/service-kit';

const TAG = 'schedules';
const BASE = '/api/v1/schedules';
const moment = (description: string) =>
  z
    .string()
    .nullable()
    .meta({ description: `RFC 3339, or null: ${description}` });

export const ScheduleSchema = z
  .object({
    id: z.string().meta({ description: '<definition id>:<trigger index>' }),
    definitionId: z.string(),
    definitionVersion: z.number().int(),
    uniqueName: z.string(),
    triggerIndex: z.number().int(),
    primaryEntity: z.string(),
    cron: z.string().nullable(),
    every: z.string().nullable().meta({ description: 'the interval in milliseconds followed by ms, or null for a cron schedule' }),
    timeZone: z.string(),
    overlap: z.enum(['skip', 'allow', 'bufferOne']),
    catchUp: z.enum(['skip', 'latest', 'all']),
    query: z.unknown().meta({ description: 'the query whose records each firing runs on, or null' }),
    paused: z.boolean(),
    pausedBy: z.string().nullable(),
    nextDueAt: moment('no further firing (past endAt)'),
    nextFireAt: moment('with jitter: when the next firing starts'),
    bufferedDueAt: moment('a due time held back until the open run ends (overlap bufferOne)'),
    lastDueAt: moment('never fired'),
    lastFiredAt: moment('never fired'),
    lastOutcome: z.string().nullable().meta({
      description:
        'fired, caught-up, buffered-fired, trigger-now, skipped-overlap, skipped-missed, buffered, failed (tried again 10 s later)',
    }),
    lastOperationIds: z.array(z.string()),
  })
  .meta({ id: 'Schedule' });

const idParams = z.object({ id: z.string().meta({ description: 'the schedule id, <definition id>:<trigger index>' }) });
const one = (description: string) => ({ 200: { description, schema: ScheduleSchema } });

export const ScheduleRoutes = {
  list: defineRoute({
    method: 'get',
    path: BASE,
    operationId: 'listSchedules',
    summary: 'Schedules of the active workflow versions, with their next and last firings',
    tag: TAG,
    access: [Roles.operator],
    responses: { 200: { description: 'every schedule', schema: z.object({ schedules: z.array(ScheduleSchema) }) } },
  }),
  get: defineRoute({
    method: 'get',
    path: `${BASE}/{id}`,
    operationId: 'getSchedule',
    summary: 'One schedule',
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    responses: one('the schedule'),
    refusals: [404],
  }),
  pause: defineRoute({
    method: 'post',
    path: `${BASE}/{id}/pause`,
    operationId: 'pauseSchedule',
    summary: 'Stop firing the schedule until it is resumed (409 SCHEDULE_PAUSED when it is paused already)',
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    responses: one('the schedule, paused'),
    refusals: [404, 409],
  }),
  resume: defineRoute({
    method: 'post',
    path: `${BASE}/{id}/resume`,
    operationId: 'resumeSchedule',
    summary: 'Fire the schedule again from its next due time after now; what fell due while paused is not caught up',
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    responses: one('the schedule, resumed'),
    refusals: [404, 409],
  }),
  trigger: defineRoute({
    method: 'post',
    path: `${BASE}/{id}/trigger`,
    operationId: 'triggerSchedule',
    summary: 'Start the schedule’s runs now (scheduled time: now), whatever its overlap policy; its next due time stays',
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    responses: {
      200: {
        description: 'the schedule and the operations started',
        schema: z.object({ schedule: ScheduleSchema, operationIds: z.array(z.string()) }),
      },
    },
    refusals: [404],
  }),
};
