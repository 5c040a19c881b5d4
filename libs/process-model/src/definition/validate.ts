/**
 * validate(definition, metadata): every problem of a definition, each with the JSON path of
 * the authored structure and a plain message. Checks the shape, then what only the metadata
 * can tell (entities and attributes, with the nearest names), the kinds of steps each
 * category and mode allows, duplicate ids, unreachable steps, self-starting children, and that
 * every expression compiles within its cost bounds.
 */
import type { AttributeMetadata, EntityMetadata } from '@flowline/contracts';
import { compileExpression, ExpressionError } from '../expressions/expression';
import { DefinitionSchema, type Definition } from './definition';
import type { DefinitionError } from './parse-source';
import { optionsFromQuery, type AuthoredOptionsFrom, type AuthoredStep } from './steps';

const jsonPath = (path: ReadonlyArray<PropertyKey>) =>
  `$${path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('')}`;

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function nearest(name: string, candidates: readonly string[]): string {
  const close = candidates
    .map((candidate) => ({ candidate, score: distance(name, candidate) }))
    .filter(({ candidate, score }) => score <= Math.max(2, Math.floor(candidate.length / 3)))
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, 3)
    .map(({ candidate }) => `'${candidate}'`);
  return close.length > 0 ? `; did you mean ${close.join(', ')}?` : '';
}

const WAITS = new Set(['waitCondition', 'waitTimeout', 'parallelWait']);
const DIALOG_ONLY = new Set(['page', 'queryData', 'assignValue', 'linkChildDialog']);
const WORKFLOW_ONLY = new Set([
  'waitCondition',
  'waitTimeout',
  'parallelWait',
  'startChild',
  'customActivity',
  'sendEmail',
  'assign',
  'setState',
  'stage',
]);
const ENDS = new Set(['stop', 'linkChildDialog']);

function literalType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'whole number' : 'number') : typeof value;
}

/** Whether a literal fits an attribute type; expressions and templates are checked at run time. */
function fits(attribute: AttributeMetadata, value: unknown): boolean {
  if (value === null) return true;
  if (typeof value === 'string' && (value.startsWith('=') || value.includes('{{'))) return true;
  switch (attribute.type) {
    case 'string':
    case 'memo':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'decimal':
    case 'money':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'datetime':
      return typeof value === 'string';
    case 'optionset':
    case 'state':
    case 'status':
      return typeof value === 'number';
    case 'lookup':
    case 'owner':
      return typeof value === 'object' && !Array.isArray(value);
    case 'uniqueidentifier':
      return typeof value === 'string';
  }
}

interface AuthoredPrompt {
  id: string;
  response: {
    type: string;
    options?: Array<{ value: string | number; label: string }>;
    optionsFrom?: AuthoredOptionsFrom;
    entity?: string;
    label?: string;
  };
}

class Checker {
  readonly errors: DefinitionError[] = [];
  private readonly ids = new Map<string, string>();
  /** The lists of records queryData steps saved so far, in document order: saveAs → entity. */
  private readonly queries = new Map<string, string>();
  private readonly entities: Map<string, EntityMetadata>;

  constructor(
    private readonly definition: Definition,
    metadata: readonly EntityMetadata[],
  ) {
    this.entities = new Map(metadata.map((entity) => [entity.logicalName, entity]));
  }

  private add(path: string, message: string, code: string): void {
    this.errors.push({ path, message, code });
  }

  private entity(name: string, path: string): EntityMetadata | undefined {
    const found = this.entities.get(name);
    if (!found) this.add(path, `no entity '${name}'${nearest(name, [...this.entities.keys()])}`, 'UNKNOWN_ENTITY');
    return found;
  }

  private attribute(entity: EntityMetadata, name: string, path: string): AttributeMetadata | undefined {
    const found = entity.attributes.find((attribute) => attribute.logicalName === name);
    if (!found) {
      this.add(
        path,
        `entity '${entity.logicalName}' has no attribute '${name}'${nearest(
          name,
          entity.attributes.map((a) => a.logicalName),
        )}`,
        'UNKNOWN_ATTRIBUTE',
      );
    }
    return found;
  }

  private expression(source: string, path: string): void {
    try {
      compileExpression(source);
    } catch (error) {
      if (error instanceof ExpressionError) this.add(path, error.message, error.code);
      else throw error;
    }
  }

  private values(entity: EntityMetadata, values: Record<string, unknown>, path: string): void {
    for (const [name, raw] of Object.entries(values)) {
      const attribute = this.attribute(entity, name, `${path}.${name}`);
      const operation = typeof raw === 'object' && raw !== null && 'op' in raw ? (raw as { op: string; value?: unknown }) : undefined;
      const value = operation ? operation.value : raw;
      if (typeof value === 'string' && value.startsWith('=')) this.expression(value.slice(1), `${path}.${name}`);
      if (attribute && value !== undefined && !fits(attribute, value)) {
        this.add(
          `${path}.${name}`,
          `attribute '${name}' of ${entity.logicalName} is ${attribute.type}; got a ${literalType(value)}`,
          'TYPE_MISMATCH',
        );
      }
    }
  }

  /** The entity a step acts on: the primary one, or the target of a lookup of it. */
  private recordEntity(record: unknown, path: string): EntityMetadata | undefined {
    const primary = this.entities.get(this.definition.primaryEntity);
    if (!primary || record === 'primary' || record === undefined) return primary;
    const lookupName = (record as { lookup: string }).lookup;
    const lookup = this.attribute(primary, lookupName, `${path}.record.lookup`);
    if (!lookup) return undefined;
    if (lookup.type !== 'lookup' && lookup.type !== 'owner') {
      this.add(`${path}.record.lookup`, `'${lookupName}' is a ${lookup.type} attribute, not a lookup`, 'NOT_A_LOOKUP');
      return undefined;
    }
    return this.entities.get(lookup.targets?.[0] ?? '');
  }

  steps(steps: readonly AuthoredStep[], path: string): void {
    let endedBy: string | undefined;
    steps.forEach((step, index) => {
      const at = `${path}[${index}]`;
      if (endedBy)
        this.add(
          at,
          `step '${step.id}' can never run: it comes after '${endedBy}', which ends the ${this.definition.category}`,
          'UNREACHABLE',
        );
      this.step(step, at);
      if (ENDS.has(String(step['type']))) endedBy = step.id;
    });
  }

  private step(step: AuthoredStep, at: string): void {
    const type = String(step['type']);
    const earlier = this.ids.get(step.id);
    if (earlier) this.add(`${at}.id`, `the step id '${step.id}' is already used at ${earlier}`, 'DUPLICATE_ID');
    else this.ids.set(step.id, at);
    if (this.definition.category === 'workflow' && DIALOG_ONLY.has(type))
      this.add(`${at}.type`, `'${type}' is a dialog step; workflows cannot use it`, 'WRONG_CATEGORY');
    if (this.definition.category === 'dialog' && WORKFLOW_ONLY.has(type))
      this.add(`${at}.type`, `'${type}' is a workflow step; dialogs cannot use it`, 'WRONG_CATEGORY');
    if (this.definition.mode === 'realTime' && WAITS.has(type)) {
      this.add(
        `${at}.type`,
        `a real-time workflow cannot wait ('${type}'): it runs inside the operation; use mode background`,
        'WAIT_IN_REAL_TIME',
      );
    }
    const nested = (key: string, list: unknown) => Array.isArray(list) && this.steps(list as AuthoredStep[], `${at}.${key}`);
    switch (type) {
      case 'stage':
        nested('steps', step['steps']);
        break;
      case 'condition':
        (step['branches'] as Array<{ when: string; steps: AuthoredStep[] }>).forEach((branch, index) => {
          this.expression(branch.when, `${at}.branches[${index}].when`);
          this.steps(branch.steps, `${at}.branches[${index}].steps`);
        });
        nested('otherwise', step['otherwise']);
        break;
      case 'createRecord': {
        const entity = this.entity(String(step['entity']), `${at}.entity`);
        if (entity) this.values(entity, step['set'] as Record<string, unknown>, `${at}.set`);
        break;
      }
      case 'updateRecord': {
        const entity = this.recordEntity(step['record'], at);
        if (entity) this.values(entity, step['set'] as Record<string, unknown>, `${at}.set`);
        break;
      }
      case 'setState': {
        const entity = this.recordEntity(step['record'], at);
        const state = entity?.attributes.find((attribute) => attribute.type === 'state');
        if (entity && !state) this.add(`${at}.state`, `entity '${entity.logicalName}' has no state`, 'NO_STATE');
        else if (state && !(state.options ?? []).some((option) => option.value === step['state'])) {
          this.add(
            `${at}.state`,
            `expected one of ${(state.options ?? []).map((o) => `${o.value} (${o.label})`).join(', ')}, got ${String(step['state'])}`,
            'OPTION',
          );
        }
        break;
      }
      case 'waitCondition':
        this.recordEntity(step['record'], at);
        this.expression(String(step['until']), `${at}.until`);
        break;
      case 'waitTimeout':
        if (Boolean(step['duration']) === Boolean(step['until']))
          this.add(at, 'a waitTimeout takes either duration (e.g. P3D) or until (an expression giving a date)', 'WAIT_TIMEOUT');
        if (typeof step['until'] === 'string') this.expression(step['until'], `${at}.until`);
        break;
      case 'parallelWait':
        (step['branches'] as Array<{ id: string; wait: AuthoredStep; steps: AuthoredStep[] }>).forEach((branch, index) => {
          this.step(branch.wait, `${at}.branches[${index}].wait`);
          this.steps(branch.steps, `${at}.branches[${index}].steps`);
        });
        break;
      case 'startChild':
        if (step['workflow'] === this.definition.uniqueName)
          this.add(`${at}.workflow`, `'${this.definition.uniqueName}' starts itself: a child-workflow cycle`, 'CHILD_CYCLE');
        break;
      case 'linkChildDialog':
        if (step['dialog'] === this.definition.uniqueName)
          this.add(`${at}.dialog`, `'${this.definition.uniqueName}' links to itself: a child-dialog cycle`, 'CHILD_CYCLE');
        break;
      case 'queryData':
        this.entity(String(step['entity']), `${at}.entity`);
        this.queries.set(String(step['saveAs']), String(step['entity']));
        break;
      case 'page':
        this.prompts(step['prompts'] as AuthoredPrompt[], at);
        break;
      default:
        break;
    }
  }

  /** A page's prompts: unique ids, and choices that exist for every optionSet or lookup that offers them. */
  private prompts(prompts: readonly AuthoredPrompt[], at: string): void {
    const seen = new Map<string, number>();
    prompts.forEach((prompt, index) => {
      const path = `${at}.prompts[${index}]`;
      const earlier = seen.get(prompt.id);
      if (earlier !== undefined)
        this.add(`${path}.id`, `the prompt id '${prompt.id}' is already used on this page at prompts[${earlier}]`, 'DUPLICATE_ID');
      else seen.set(prompt.id, index);
      const { type, options, optionsFrom, entity, label } = prompt.response;
      const response = `${path}.response`;
      if (type === 'lookup' && optionsFrom === undefined) {
        // A lookup the person searches: the entity is needed, the label must be one of its attributes.
        if (entity === undefined)
          this.add(
            response,
            'a lookup response needs the entity to search (entity) or optionsFrom (the records of a queryData step)',
            'LOOKUP_ENTITY',
          );
        else {
          const found = this.entity(entity, `${response}.entity`);
          if (found && label !== undefined) this.attribute(found, label, `${response}.label`);
        }
      } else if (entity !== undefined || label !== undefined) {
        this.add(
          `${response}.${entity !== undefined ? 'entity' : 'label'}`,
          type === 'lookup'
            ? 'a lookup filled from a query takes its entity from the query, and its label from optionsFrom.label'
            : `only lookup responses have an entity and a label; this response is ${type}`,
          'LOOKUP_ENTITY',
        );
      }
      if (optionsFrom !== undefined) {
        if (type !== 'optionSet' && type !== 'lookup')
          this.add(
            `${response}.optionsFrom`,
            `only optionSet and lookup responses take their choices from a query, not ${type}`,
            'OPTIONS_FROM',
          );
        else if (options !== undefined) this.add(response, 'give either options or optionsFrom, not both', 'OPTIONS_FROM');
        else this.optionsFrom(optionsFrom, `${response}.optionsFrom`);
      } else if (type === 'optionSet' && (options === undefined || options.length === 0)) {
        this.add(
          `${response}.options`,
          'an optionSet response needs options (each a value and a label) or optionsFrom (the records of a queryData step)',
          'NO_OPTIONS',
        );
      } else if (options !== undefined && type !== 'optionSet') {
        this.add(`${response}.options`, `only optionSet responses have options; this response is ${type}`, 'OPTIONS_FROM');
      }
      const values = new Set<string>();
      (options ?? []).forEach((option, i) => {
        if (values.has(String(option.value)))
          this.add(
            `${response}.options[${i}].value`,
            `the option value '${String(option.value)}' is already used by another option`,
            'DUPLICATE_OPTION',
          );
        values.add(String(option.value));
      });
    });
  }

  private optionsFrom(value: AuthoredOptionsFrom, path: string): void {
    const { query, label } = optionsFromQuery(value);
    const entityName = this.queries.get(query);
    if (entityName === undefined) {
      this.add(
        typeof value === 'string' ? path : `${path}.query`,
        `no queryData step before this page saves its records as '${query}'${nearest(query, [...this.queries.keys()])}`,
        'UNKNOWN_QUERY',
      );
      return;
    }
    const entity = this.entities.get(entityName);
    if (entity && label !== undefined) this.attribute(entity, label, `${path}.label`);
  }

  header(): void {
    const primary = this.entity(this.definition.primaryEntity, '$.primaryEntity');
    if (this.definition.category === 'dialog' && this.definition.triggers.length > 0) {
      this.add('$.triggers', 'dialogs are started by people, not by events: remove the triggers', 'DIALOG_TRIGGERS');
    }
    this.definition.triggers.forEach((trigger, index) => {
      if (trigger.attributes.length > 0 && trigger.on !== 'update')
        this.add(`$.triggers[${index}].attributes`, `only update triggers have attributes, not ${trigger.on}`, 'TRIGGER_ATTRIBUTES');
      if (primary) trigger.attributes.forEach((name, i) => this.attribute(primary, name, `$.triggers[${index}].attributes[${i}]`));
    });
  }
}

export function validateDefinition(value: unknown, metadata: readonly EntityMetadata[]): DefinitionError[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ path: '$', message: 'a definition is an object (a mapping in YAML)', code: 'TYPE' }];
  }
  const parsed = DefinitionSchema.safeParse(value);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => ({
      path: jsonPath(issue.path),
      message:
        issue.code === 'invalid_type' && issue.path.length === 1 && (value as Record<string, unknown>)[String(issue.path[0])] === undefined
          ? `is required: ${issue.message}`
          : issue.message,
      code: issue.code === 'invalid_type' ? 'REQUIRED' : 'INVALID',
    }));
  }
  const checker = new Checker(parsed.data, metadata);
  checker.header();
  checker.steps(parsed.data.steps, '$.steps');
  return checker.errors;
}
