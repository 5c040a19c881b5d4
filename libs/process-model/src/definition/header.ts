/**
 * The header every definition starts with: what it is, what it runs on and who it runs as.
 * Checked field by field with JSON paths and plain messages.
 */
import { z } from 'zod';
import type { DefinitionError } from './parse-source';

export const DEFINITION_SCHEMA_VERSION = 1;
export const SCOPES = ['user', 'businessUnit', 'parentChildBusinessUnits', 'organization'] as const;
export const CATEGORIES = ['workflow', 'dialog'] as const;

export const DefinitionHeaderSchema = z.object({
  schemaVersion: z.literal(DEFINITION_SCHEMA_VERSION, { error: `expected schemaVersion ${DEFINITION_SCHEMA_VERSION}` }),
  name: z
    .string({ error: 'expected a name' })
    .trim()
    .min(1, { error: 'expected a name' })
    .max(200, { error: 'expected at most 200 characters' }),
  uniqueName: z.string({ error: 'expected a unique name' }).regex(/^[a-z][a-z0-9_.-]{1,99}$/, {
    error: 'expected lowercase letters, digits, dots, dashes or underscores, starting with a letter (2 to 100 characters)',
  }),
  description: z.string().max(2000, { error: 'expected at most 2000 characters' }).optional(),
  category: z.enum(CATEGORIES, { error: `expected one of ${CATEGORIES.join(', ')}` }),
  primaryEntity: z
    .string({ error: 'expected the logical name of an entity' })
    .regex(/^[a-z][a-z0-9_]{1,63}$/, { error: 'expected the logical name of an entity' }),
  scope: z.enum(SCOPES, { error: `expected one of ${SCOPES.join(', ')}` }).default('organization'),
  runAs: z.enum(['owner', 'callingUser'], { error: 'expected owner or callingUser' }).default('owner'),
  mode: z.enum(['background', 'realTime'], { error: 'expected background or realTime' }).default('background'),
  availableOnDemand: z.boolean({ error: 'expected true or false' }).default(false),
  availableAsChild: z.boolean({ error: 'expected true or false' }).default(false),
  /**
   * Background workflows: `record` runs this definition's operations on one record one at a
   * time, in the order their events arrived (dependency token `entity:recordId`).
   */
  dependencyToken: z.enum(['none', 'record'], { error: 'expected none or record' }).optional(),
});

export type DefinitionHeader = z.infer<typeof DefinitionHeaderSchema>;

const jsonPath = (path: ReadonlyArray<PropertyKey>) =>
  `$${path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('')}`;

/** The header of a parsed definition, or every problem with it. */
export function readHeader(value: unknown): { ok: true; header: DefinitionHeader } | { ok: false; errors: DefinitionError[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [{ path: '$', message: 'a definition is an object (a mapping in YAML)', code: 'TYPE' }] };
  }
  const result = DefinitionHeaderSchema.safeParse(value);
  if (result.success) return { ok: true, header: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({
      path: jsonPath(issue.path),
      message:
        issue.code === 'invalid_type' && (value as Record<string, unknown>)[String(issue.path[0])] === undefined
          ? `is required: ${issue.message}`
          : issue.message,
      code: issue.code === 'invalid_type' ? 'REQUIRED' : 'INVALID',
    })),
  };
}
