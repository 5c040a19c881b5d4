/** The REST route of the executor's recent health (`/api/v1/health/history`), for the console's charts. */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import { defineRoute } from '@flowline/service-kit';

const count = (description: string) => z.number().int().min(0).meta({ description });

export const HealthSampleSchema = z
  .object({
    at: z.string().meta({ format: 'date-time', description: 'when the sample was taken' }),
    ready: count('operations Ready (due or postponed)'),
    readyDue: count('operations Ready and due now: waiting for a worker'),
    suspended: count('operations Suspended (waiting or paused)'),
    locked: count('operations Locked (in progress, pausing or canceling)'),
    oldestReadyAgeSeconds: z.number().min(0).meta({ description: 'how long the oldest due Ready operation has waited' }),
    completedPerMinute: count('operations completed (any outcome) in the minute before the sample, by every replica'),
    failedPerMinute: count('of those, Failed'),
    consumerLag: z.number().int().min(0).nullable().meta({
      description: "pipeline events the dispatcher's consumer group has not yet committed; null when the broker could not be asked",
    }),
  })
  .meta({ id: 'HealthSample' });

export const HealthHistoryRoutes = {
  history: defineRoute({
    method: 'get',
    path: '/api/v1/health/history',
    operationId: 'getHealthHistory',
    summary: "The executor's queue, throughput and consumer lag over the last hour, sampled in memory by the replica that answers",
    tag: 'health',
    access: [Roles.operator],
    query: z.object({
      window: z.string().optional().meta({ description: 'how far back: 1m to 1h, such as 15m or 1h (default 1h)' }),
    }),
    refusal: { query: { code: 'HEALTH_WINDOW_INVALID', violationCode: '' } },
    responses: {
      200: {
        description: 'the samples of the window, oldest first (a replica started less than the window ago has fewer)',
        schema: z.object({
          intervalSeconds: z.number().meta({ description: 'how often samples are taken' }),
          since: z.string().meta({ format: 'date-time', description: 'the start of the window' }),
          replica: z.string().meta({ description: 'the host name of the replica that answered (each keeps its own history)' }),
          samples: z.array(HealthSampleSchema),
        }),
      },
    },
  }),
};
