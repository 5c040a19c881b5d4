/**
 * The steps of workflows and dialogs, as authored. Values written to records are literals,
 * text templates (`Hello {{record.firstname}}`) or expressions (a string starting with `=`,
 * e.g. `=record.creditlimit * 2`).
 */
import { z } from 'zod';
import { CATCH_UP_POLICIES, CONDITION_OPERATORS, OVERLAP_POLICIES } from './schedule';

const id = z
  .string({ error: 'expected a step id' })
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, { error: 'expected a step id: letters, digits, - or _, starting with a letter' });
const expression = z.string({ error: 'expected a CEL expression' }).min(1, { error: 'expected a CEL expression' });
const attributeValues = z.record(z.string(), z.unknown(), { error: 'expected attribute: value pairs' });
const updateOperation = z.object({
  op: z.enum(['set', 'append', 'increment', 'decrement', 'multiply', 'clear']),
  value: z.unknown().optional(),
});
const recordRef = z.union(
  [z.literal('primary'), z.object({ lookup: z.string({ error: 'expected a lookup attribute of the primary entity' }) })],
  {
    error: "expected 'primary' or { lookup: <attribute> }",
  },
);
const duration = z
  .string()
  .regex(/^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/, { error: 'expected an ISO 8601 duration such as P3D or PT4H' });

/**
 * Where an optionSet or lookup prompt takes its choices from: the records an earlier queryData
 * step saved (`optionsFrom: openCases`), each offered under its primary name, or under another
 * attribute (`optionsFrom: { query: openCases, label: title }`). The answer is the chosen
 * record: its id for an optionSet, a record reference for a lookup.
 */
const optionsFrom = z.union(
  [
    z.string().min(1),
    z.object({
      query: z.string({ error: 'expected the name a queryData step saved its records as (its saveAs)' }).min(1),
      label: z.string({ error: 'expected the attribute to show for each record' }).optional(),
    }),
  ],
  { error: 'expected the saveAs name of a queryData step, or { query: <saveAs>, label: <attribute> }' },
);

/** optionsFrom as authored: a query's saveAs name, or { query, label }. */
export type AuthoredOptionsFrom = z.infer<typeof optionsFrom>;

/** The query and the optional label attribute of an authored optionsFrom, whichever form it takes. */
export function optionsFromQuery(value: AuthoredOptionsFrom): { query: string; label?: string | undefined } {
  return typeof value === 'string' ? { query: value } : value;
}

type Step = z.infer<typeof BaseStep> & Record<string, unknown>;
const BaseStep = z.object({ id, name: z.string().optional() });

export const WaitSchema = z.union([
  BaseStep.extend({ type: z.literal('waitCondition'), record: recordRef.default('primary'), until: expression }),
  BaseStep.extend({ type: z.literal('waitTimeout'), duration: duration.optional(), until: expression.optional() }).refine(
    (step) => Boolean(step.duration) !== Boolean(step.until),
    {
      error: 'a waitTimeout takes either duration or until',
    },
  ),
]);

/** The schema of each step type (nested steps are checked by StepSchema). */
function stepSchemas() {
  return [
    BaseStep.extend({ type: z.literal('stage'), name: z.string(), steps: z.array(StepSchema) }),
    BaseStep.extend({
      type: z.literal('condition'),
      branches: z
        .array(z.object({ when: expression, steps: z.array(StepSchema) }))
        .min(1, { error: 'a condition needs at least one branch' }),
      otherwise: z.array(StepSchema).default([]),
    }),
    BaseStep.extend({ type: z.literal('createRecord'), entity: z.string(), set: attributeValues, saveAs: z.string().optional() }),
    BaseStep.extend({
      type: z.literal('updateRecord'),
      record: recordRef.default('primary'),
      set: z.record(z.string(), z.union([updateOperation, z.unknown()])),
    }),
    BaseStep.extend({ type: z.literal('assign'), record: recordRef.default('primary'), owner: z.unknown() }),
    BaseStep.extend({
      type: z.literal('setState'),
      record: recordRef.default('primary'),
      state: z.number().int(),
      status: z.number().int().optional(),
    }),
    BaseStep.extend({ type: z.literal('sendEmail'), to: z.string(), subject: z.string(), body: z.string() }),
    BaseStep.extend({
      type: z.literal('startChild'),
      workflow: z.string(),
      wait: z.boolean().default(false),
      inputs: attributeValues.default({}),
    }),
    BaseStep.extend({ type: z.literal('waitCondition'), record: recordRef.default('primary'), until: expression }),
    BaseStep.extend({ type: z.literal('waitTimeout'), duration: duration.optional(), until: expression.optional() }),
    BaseStep.extend({
      type: z.literal('parallelWait'),
      branches: z
        .array(z.object({ id, wait: WaitSchema, steps: z.array(StepSchema).default([]) }))
        .min(2, { error: 'a parallelWait needs at least two branches' }),
    }),
    BaseStep.extend({
      type: z.literal('stop'),
      outcome: z.enum(['succeeded', 'canceled']).default('succeeded'),
      message: z.string().default(''),
    }),
    BaseStep.extend({
      type: z.literal('customActivity'),
      handler: z.string(),
      inputs: attributeValues.default({}),
      outputs: z.record(z.string(), z.enum(['string', 'number', 'boolean', 'object'])).default({}),
    }),
    // Dialog steps
    BaseStep.extend({
      type: z.literal('page'),
      title: z.string().optional(),
      prompts: z
        .array(
          z.object({
            id,
            text: z.string(),
            response: z
              .object({
                type: z.enum(['none', 'text', 'multilineText', 'optionSet', 'integer', 'decimal', 'date', 'dateTime', 'lookup']),
                required: z.boolean().default(false),
                default: z.unknown().optional(),
                display: z.enum(['list', 'radio']).optional(),
                options: z.array(z.object({ value: z.union([z.string(), z.number()]), label: z.string() })).optional(),
                optionsFrom: optionsFrom.optional(),
                /** lookup the person searches: the entity of its records, and the attribute shown (its primary name by default). */
                entity: z.string().optional(),
                label: z.string().optional(),
              })
              .default({ type: 'none', required: false }),
          }),
        )
        .min(1, { error: 'a page needs at least one prompt' }),
    }),
    BaseStep.extend({
      type: z.literal('queryData'),
      entity: z.string(),
      conditions: z.array(z.unknown()).default([]),
      saveAs: z.string(),
    }),
    BaseStep.extend({
      type: z.literal('assignValue'),
      variable: z.string(),
      op: z.enum(['set', 'increment', 'decrement', 'multiply', 'append', 'clear']).default('set'),
      value: z.unknown().optional(),
    }),
    BaseStep.extend({ type: z.literal('linkChildDialog'), dialog: z.string() }),
  ] as const;
}

export const StepSchema: z.ZodType<Step> = z.lazy(() =>
  z.discriminatedUnion('type', stepSchemas(), {
    error: 'expected a step type such as condition, createRecord, updateRecord, waitCondition, stop, page',
  }),
) as z.ZodType<Step>;

/**
 * A step as compiled (parsed, defaults filled in), typed by its `type`: what the interpreter's
 * step handlers take. Nested steps are AuthoredSteps; the interpreter reaches them by path.
 */
export type CompiledStep = z.output<ReturnType<typeof stepSchemas>[number]>;
export type StepType = CompiledStep['type'];
export type StepOfType<T extends StepType> = Extract<CompiledStep, { type: T }>;

/** Every step type of the language, in the schema's order. */
export function stepTypes(): StepType[] {
  return stepSchemas().map((schema) => schema.shape.type.value);
}

/** Triggers on a record's changes (create ... statusChange) and on a schedule (`on: schedule`, schedule.ts). */
export const RecordTriggerSchema = z.object({
  on: z.enum(['create', 'update', 'delete', 'assign', 'statusChange', 'schedule'], {
    error: 'expected create, update, delete, assign, statusChange, schedule or webhook',
  }),
  attributes: z.array(z.string()).default([]),
  // Schedule triggers (on: schedule): their fields are checked in schedule.ts, at their paths.
  cron: z.string({ error: 'expected a cron expression as text' }).optional(),
  every: z.string({ error: 'expected an interval such as 5m' }).optional(),
  timeZone: z.string({ error: 'expected an IANA time zone name' }).optional(),
  startAt: z.string({ error: 'expected an RFC 3339 date and time' }).optional(),
  endAt: z.string({ error: 'expected an RFC 3339 date and time' }).optional(),
  jitter: z.string({ error: 'expected a duration such as 30s' }).optional(),
  overlap: z.enum(OVERLAP_POLICIES, { error: `expected ${OVERLAP_POLICIES.join(', ')}` }).optional(),
  catchUp: z.enum(CATCH_UP_POLICIES, { error: `expected ${CATCH_UP_POLICIES.join(', ')}` }).optional(),
  query: z
    .object({
      entity: z.string({ error: 'expected the logical name of an entity' }),
      conditions: z
        .array(
          z.object({
            attribute: z.string({ error: 'expected an attribute name' }),
            operator: z.enum(CONDITION_OPERATORS, { error: 'expected eq, ne, gt, ge, lt, le, like, null, notnull or in' }),
            value: z.unknown().optional(),
          }),
        )
        .default([]),
    })
    .optional(),
  /**
   * Real-time workflows: the pipeline stage they run at, before the operation (preOperation, 20:
   * an update of the primary record changes the operation's target) or after it (postOperation, 40).
   */
  stage: z.enum(['preOperation', 'postOperation'], { error: 'expected preOperation or postOperation' }).optional(),
});

/** How an inbound webhook call proves who sent it. */
export const WEBHOOK_AUTH = ['signature', 'token'] as const;

/**
 * `on: webhook`: an inbound endpoint on the gateway, `POST /api/v1/hooks/{path}`, for the
 * active version. `secret` names a secret the gateway holds (WEBHOOK_SECRET_<NAME>), never the
 * secret itself; `record` names the input that holds the id of the primary record to run on.
 */
export const WebhookTriggerSchema = z.object({
  on: z.literal('webhook'),
  path: z
    .string({ error: 'expected a path such as orders-created' })
    .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, {
      error: 'expected lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit (at most 100 characters)',
    })
    .optional(),
  auth: z.enum(WEBHOOK_AUTH, { error: 'expected signature or token' }).default('signature'),
  secret: z.string({ error: 'expected the name of a secret, such as orders-hook' }).regex(/^[a-z][a-z0-9_-]{1,63}$/, {
    error:
      'expected the name of a secret (lowercase letters, digits, dashes or underscores): the gateway reads it from WEBHOOK_SECRET_<NAME>',
  }),
  record: z.string({ error: 'expected the name of an input' }).optional(),
});

export const TriggerSchema = z.discriminatedUnion('on', [RecordTriggerSchema, WebhookTriggerSchema], {
  error: 'expected create, update, delete, assign, statusChange, schedule or webhook',
});

/** The endpoint path of a definition's webhook trigger (default: its unique name); undefined without one. */
export function webhookPathOf(definition: { uniqueName: string; triggers: readonly Trigger[] }): string | undefined {
  const trigger = definition.triggers.find((candidate): candidate is WebhookTrigger => candidate.on === 'webhook');
  return trigger ? (trigger.path ?? definition.uniqueName) : undefined;
}

/** The environment variable that holds the secret a webhook trigger names. */
export function webhookSecretVariable(secret: string): string {
  return `WEBHOOK_SECRET_${secret.toUpperCase().replace(/-/g, '_')}`;
}

export type AuthoredStep = z.infer<typeof StepSchema>;
export type Trigger = z.infer<typeof TriggerSchema>;
export type RecordTrigger = z.infer<typeof RecordTriggerSchema>;
export type WebhookTrigger = z.infer<typeof WebhookTriggerSchema>;
