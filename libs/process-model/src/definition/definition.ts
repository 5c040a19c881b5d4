/** The whole authored definition: header, triggers, inputs and steps. */
import { z } from 'zod';
import { DefinitionHeaderSchema } from './header';
import { StepSchema, TriggerSchema } from './steps';

export const DefinitionSchema = DefinitionHeaderSchema.extend({
  triggers: z.array(TriggerSchema).default([]),
  inputs: z
    .array(z.object({ name: z.string(), type: z.enum(['string', 'number', 'boolean', 'record']), required: z.boolean().default(false) }))
    .default([]),
  steps: z.array(StepSchema).min(1, { error: 'a definition needs at least one step' }),
});

export type Definition = z.infer<typeof DefinitionSchema>;

/** JSON Schema of the definition format, for editors and other tools. */
export function definitionJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DefinitionSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** The checked-in text of libs/process-model/schema/process-definition.schema.json. */
export function definitionJsonSchemaText(): string {
  return `${JSON.stringify({ title: 'Flowline process definition', ...definitionJsonSchema() }, null, 2)}\n`;
}
