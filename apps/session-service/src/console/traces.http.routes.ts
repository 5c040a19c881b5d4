/**
 * `GET /api/v1/traces/{traceId}`: one trace as the console's job page shows it, a timeline of
 * its spans, read from the OTLP JSON files the services write (`FLOWLINE_TRACE_FILE`, as
 * `npm start -- --traces` sets) in CONSOLE_TRACE_DIR; and the link to the deployment's own
 * trace viewer when CONSOLE_TRACE_URL names one.
 */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import { defineRoute } from '@flowline/service-kit';

const SpanRowSchema = z
  .object({
    service: z.string(),
    name: z.string(),
    kind: z.string().meta({ description: 'server, client, producer, consumer, or empty for an internal span' }),
    depth: z.number().int().meta({ description: 'how deep in the tree of spans: 0 for a root' }),
    offsetMs: z.number().meta({ description: "from the trace's first span" }),
    durationMs: z.number(),
    error: z.boolean(),
  })
  .meta({ id: 'TraceSpan' });

export const TraceRoutes = {
  get: defineRoute({
    method: 'get',
    path: '/api/v1/traces/{traceId}',
    operationId: 'getTrace',
    summary: "One trace's spans as a timeline (when traces are kept), and the trace viewer's link",
    tag: 'traces',
    access: [Roles.operator],
    params: z.object({
      traceId: z.string().regex(/^[0-9a-f]{32}$/, { error: 'expected a W3C trace id: 32 lowercase hex digits' }),
    }),
    refusal: { params: { code: 'TRACE_ID_INVALID' } },
    responses: {
      200: {
        description: 'the trace: its spans in tree order (none when the files hold none of it, or traces are not kept here)',
        schema: z.object({
          traceId: z.string(),
          kept: z.boolean().meta({ description: 'whether this service reads trace files (CONSOLE_TRACE_DIR)' }),
          link: z.string().meta({ description: "the trace in the deployment's trace viewer (CONSOLE_TRACE_URL); empty without one" }),
          spans: z.array(SpanRowSchema),
        }),
      },
    },
    refusals: [400, 403],
  }),
};
