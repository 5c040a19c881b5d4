/**
 * compile(definition, metadata): a valid definition as an immutable executable form, with a
 * content hash (SHA-256 of its canonical JSON), the triggers its subscriptions come from, the
 * entities it touches and the children it starts.
 */
import { createHash } from 'node:crypto';
import type { EntityMetadata } from '@flowline/contracts';
import { DefinitionSchema, type Definition } from './definition';
import { optionsFromQuery, type AuthoredOptionsFrom, type AuthoredStep } from './steps';
import { validateDefinition } from './validate';

export const COMPILED_FORMAT_VERSION = 1;

export interface CompiledTrigger {
  message: 'Create' | 'Update' | 'Delete' | 'Assign' | 'SetState';
  entity: string;
  attributes: string[];
}

export interface CompiledDefinition {
  readonly formatVersion: number;
  readonly contentHash: string;
  readonly definition: Definition;
  readonly triggers: readonly CompiledTrigger[];
  readonly referencedEntities: readonly string[];
  readonly children: readonly string[];
}

export class DefinitionInvalidError extends Error {
  constructor(readonly errors: ReturnType<typeof validateDefinition>) {
    super(`the definition has ${errors.length} error(s): ${errors.map((error) => `${error.path}: ${error.message}`).join('; ')}`);
    this.name = 'DefinitionInvalidError';
  }
}

const MESSAGES: Record<string, CompiledTrigger['message']> = {
  create: 'Create',
  update: 'Update',
  delete: 'Delete',
  assign: 'Assign',
  statusChange: 'SetState',
};

/** JSON with object keys sorted at every level: the same definition always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

function walk(steps: readonly AuthoredStep[], visit: (step: AuthoredStep) => void): void {
  for (const step of steps) {
    visit(step);
    for (const key of ['steps', 'otherwise']) if (Array.isArray(step[key])) walk(step[key] as AuthoredStep[], visit);
    if (Array.isArray(step['branches'])) {
      for (const branch of step['branches'] as Array<{ steps?: AuthoredStep[]; wait?: AuthoredStep }>) {
        if (branch.wait) visit(branch.wait);
        walk(branch.steps ?? [], visit);
      }
    }
  }
}

/**
 * A prompt's optionsFrom as compiled: the query variable, the entity its records are of, the
 * attribute holding each record's id and the one shown as its label. The runtime needs no
 * metadata to offer the choices.
 */
export interface ResolvedOptionsFrom {
  query: string;
  entity: string;
  idAttribute: string;
  label: string;
}

interface PromptResponse {
  type: string;
  optionsFrom?: AuthoredOptionsFrom | ResolvedOptionsFrom;
  entity?: string;
  label?: string;
  idAttribute?: string;
}

/** Fills in every prompt's optionsFrom (and each searched lookup's id and label attributes) from the metadata (the definition is valid, so each query exists). */
function resolveOptionsFrom(definition: Definition, metadata: readonly EntityMetadata[]): void {
  const byName = new Map(metadata.map((entity) => [entity.logicalName, entity]));
  const queries = new Map<string, string>();
  walk(definition.steps, (step) => {
    if (step['type'] === 'queryData') queries.set(String(step['saveAs']), String(step['entity']));
    if (step['type'] !== 'page') return;
    for (const prompt of step['prompts'] as Array<{ response: PromptResponse }>) {
      const from = prompt.response.optionsFrom;
      if (prompt.response.type === 'lookup' && from === undefined) {
        // A lookup the person searches: the attribute holding the id, and the one shown.
        const entity = byName.get(prompt.response.entity ?? '');
        if (!entity) continue;
        prompt.response.idAttribute = entity.primaryIdAttribute;
        prompt.response.label = prompt.response.label ?? entity.primaryNameAttribute;
        continue;
      }
      if (from === undefined) continue;
      const { query, label } = optionsFromQuery(from);
      const entity = byName.get(queries.get(query) ?? '');
      if (!entity) continue;
      prompt.response.optionsFrom = {
        query,
        entity: entity.logicalName,
        idAttribute: entity.primaryIdAttribute,
        label: label ?? entity.primaryNameAttribute,
      };
    }
  });
}

export function compileDefinition(value: unknown, metadata: readonly EntityMetadata[]): CompiledDefinition {
  const errors = validateDefinition(value, metadata);
  if (errors.length > 0) throw new DefinitionInvalidError(errors);
  const definition = DefinitionSchema.parse(value);
  resolveOptionsFrom(definition, metadata);
  const entities = new Set([definition.primaryEntity]);
  const children = new Set<string>();
  walk(definition.steps, (step) => {
    if (typeof step['entity'] === 'string') entities.add(step['entity']);
    if (typeof step['workflow'] === 'string') children.add(step['workflow']);
    if (typeof step['dialog'] === 'string') children.add(step['dialog']);
  });
  return deepFreeze({
    formatVersion: COMPILED_FORMAT_VERSION,
    contentHash: createHash('sha256').update(canonicalJson(definition)).digest('hex'),
    definition,
    // Record triggers become subscriptions; a webhook trigger is an endpoint on the gateway.
    triggers: definition.triggers.flatMap((trigger) =>
      trigger.on === 'webhook'
        ? []
        : [{ message: MESSAGES[trigger.on]!, entity: definition.primaryEntity, attributes: trigger.attributes }],
    ),
    referencedEntities: [...entities].sort(),
    children: [...children].sort(),
  });
}

/** What starts a compiled workflow, for the registry's subscription resolution. */
export function subscriptionsOf(compiled: CompiledDefinition): readonly CompiledTrigger[] {
  return compiled.triggers;
}
