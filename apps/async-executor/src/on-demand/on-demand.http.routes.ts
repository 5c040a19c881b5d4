/** The REST route that starts an on-demand workflow, with the zod schema its controller parses the body with. */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import { defineRoute } from '@flowline/service-kit';
import { OperationSchema } from '../operations/operations.http.routes';

export const OnDemandRoutes = {
  start: defineRoute({
    method: 'post',
    path: '/api/v1/workflows/{definition}/start',
    operationId: 'startWorkflow',
    summary: 'Start an on-demand workflow on a record, as the calling user',
    description: 'A repeat with the same idempotency key (body or `Idempotency-Key` header) answers the same operation.',
    tag: 'workflows',
    access: [Roles.user],
    params: z.object({ definition: z.string().meta({ description: 'the definition id or unique name' }) }),
    headers: z.object({ 'idempotency-key': z.string().optional(), 'x-correlation-id': z.string().optional() }),
    body: {
      required: false,
      content: {
        'application/json': z.object({
          entity: z.string().optional(),
          recordId: z.string().optional(),
          inputs: z
            .record(z.string(), z.unknown(), { error: 'expected a JSON object of input names to values' })
            .optional()
            .meta({ description: "the workflow's input parameters" }),
          idempotencyKey: z.string().optional(),
        }),
      },
    },
    refusal: { body: { code: 'START_INVALID' } },
    responses: { 200: { description: 'the operation', schema: OperationSchema } },
    refusals: [404, 409],
  }),
};
