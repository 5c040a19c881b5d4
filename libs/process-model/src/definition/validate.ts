/**
 * validate(definition, metadata): every problem of a definition at once, each with the JSON
 * path of the authored structure and a plain message. Checks the shape, and, over every part
 * whose shape is right (a step with a shape error is skipped, its nested steps still checked),
 * what only the metadata can tell (entities and attributes, with the nearest names), the kinds
 * of steps each category and mode allows, duplicate ids, unreachable steps, self-starting
 * children, that every expression compiles within its cost bounds, and that expressions and
 * `{{...}}` templates read only variables that exist (`record` and its attributes, `steps` and
 * their ids, `inputs` declared, `vars` assigned, `answers` to prompts) with no `{{` unclosed.
 */
import type { AttributeMetadata, EntityMetadata } from '@flowline/contracts';
import { compileExpression, ExpressionError } from '../expressions/expression';
import { expressionReferences, templateParts } from '../expressions/references';
import { DefinitionSchema } from './definition';
import { DefinitionHeaderSchema } from './header';
import { checkValueLimits } from './limits';
import type { DefinitionError } from './parse-source';
import {
  optionsFromQuery,
  StepSchema,
  TriggerSchema,
  type AuthoredOptionsFrom,
  type AuthoredStep,
  type Trigger,
  type WebhookTrigger,
} from './steps';

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
  text: string;
  response: {
    type: string;
    default?: unknown;
    options?: Array<{ value: string | number; label: string }>;
    optionsFrom?: AuthoredOptionsFrom;
    entity?: string;
    label?: string;
  };
}

/** A step whose own shape is wrong: skipped by the checks, its nested steps still checked. */
const MISSHAPEN = '(misshapen)';

/**
 * The parts of a definition whose shape is right: the header fields that parse (undefined for
 * the others), the triggers that parse, and every step (a misshapen one as a placeholder that
 * keeps its place, so paths stay those of the authored document).
 */
interface Checked {
  uniqueName?: string;
  category?: 'workflow' | 'dialog';
  primaryEntity?: string;
  mode?: 'background' | 'realTime';
  triggers: Array<Trigger | undefined>;
  inputs: string[];
  steps: AuthoredStep[];
}

/** The variables expressions may read, by category; CEL's own type names may appear as identifiers too. */
const VARIABLES = {
  workflow: ['record', 'pre', 'changed', 'steps', 'inputs', 'now'],
  dialog: ['record', 'steps', 'inputs', 'vars', 'answers', 'now'],
} as const;
const CEL_IDENTIFIERS = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

class Checker {
  readonly errors: DefinitionError[] = [];
  private readonly ids = new Map<string, string>();
  /** The lists of records queryData steps saved so far, in document order: saveAs → entity. */
  private readonly queries = new Map<string, string>();
  private readonly entities: Map<string, EntityMetadata>;
  /** Names expressions may select: every step id, variable (assignValue, queryData) and prompt id of the definition. */
  private readonly names = { steps: new Set<string>(), vars: new Set<string>(), answers: new Set<string>() };

  constructor(
    private readonly definition: Checked,
    metadata: readonly EntityMetadata[],
  ) {
    this.entities = new Map(metadata.map((entity) => [entity.logicalName, entity]));
    walkSteps(definition.steps, (step) => {
      if (step.type === MISSHAPEN) return;
      this.names.steps.add(step.id);
      if (step['type'] === 'assignValue') this.names.vars.add(String(step['variable']));
      if (step['type'] === 'queryData') this.names.vars.add(String(step['saveAs']));
      if (step['type'] === 'page') for (const prompt of step['prompts'] as Array<{ id: string }>) this.names.answers.add(prompt.id);
    });
  }

  get definitionSteps(): readonly AuthoredStep[] {
    return this.definition.steps;
  }

  private get primary(): EntityMetadata | undefined {
    return this.definition.primaryEntity === undefined ? undefined : this.entities.get(this.definition.primaryEntity);
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

  /**
   * An expression: it compiles within its bounds and reads only what exists. `record` is the
   * record the step reads (the primary one, or the related record a wait watches).
   */
  private expression(source: string, path: string, record: EntityMetadata | undefined = this.primary): void {
    try {
      compileExpression(source);
    } catch (error) {
      if (error instanceof ExpressionError) this.add(path, error.message, error.code);
      else throw error;
      return;
    }
    const variables: readonly string[] = this.definition.category ? VARIABLES[this.definition.category] : [];
    const reported = new Set<string>();
    const once = (key: string, message: string, code: string) => {
      if (reported.has(key)) return;
      reported.add(key);
      this.add(path, message, code);
    };
    for (const { variable, field } of expressionReferences(source)) {
      if (CEL_IDENTIFIERS.has(variable) || !this.definition.category) continue;
      if (!variables.includes(variable)) {
        once(
          variable,
          `'${source}' reads '${variable}', which is not a variable here${nearest(variable, variables)} (a ${this.definition.category} reads ${variables.join(', ')})`,
          'UNKNOWN_VARIABLE',
        );
        continue;
      }
      if (field === undefined) continue;
      const unknown = (what: string, names: Iterable<string>, code: string) =>
        once(`${variable}.${field}`, `'${source}' reads ${variable}.${field}, but ${what}${nearest(field, [...names])}`, code);
      switch (variable) {
        case 'record':
        case 'pre': {
          const entity = variable === 'record' ? record : this.primary;
          if (entity && field !== 'ref' && !entity.attributes.some((attribute) => attribute.logicalName === field))
            unknown(
              `entity '${entity.logicalName}' has no attribute '${field}'`,
              entity.attributes.map((a) => a.logicalName),
              'UNKNOWN_ATTRIBUTE',
            );
          break;
        }
        case 'steps':
          if (!this.names.steps.has(field)) unknown(`there is no step '${field}'`, this.names.steps, 'UNKNOWN_STEP');
          break;
        case 'inputs':
          if (!this.definition.inputs.includes(field))
            unknown(`the ${this.definition.category} declares no input '${field}' (see inputs)`, this.definition.inputs, 'UNKNOWN_INPUT');
          break;
        case 'vars':
          if (!this.names.vars.has(field))
            unknown(`no assignValue or queryData step sets a variable '${field}'`, this.names.vars, 'UNKNOWN_VARIABLE');
          break;
        case 'answers':
          if (!this.names.answers.has(field)) unknown(`no page has a prompt '${field}'`, this.names.answers, 'UNKNOWN_PROMPT');
          break;
        default:
          break;
      }
    }
  }

  /**
   * A value the runtime resolves: a string starting with `=` is an expression, one with `{{...}}`
   * a template whose parts are expressions; objects and lists are checked item by item.
   */
  private value(value: unknown, path: string, record?: EntityMetadata): void {
    if (typeof value === 'string') {
      if (value.startsWith('=')) {
        this.expression(value.slice(1), path, record);
        return;
      }
      const { expressions, unclosed } = templateParts(value);
      if (unclosed)
        this.add(path, `'${value}' has a '{{' without its '}}': write {{expression}}, e.g. {{record.name}}`, 'TEMPLATE_UNCLOSED');
      for (const expression of expressions) this.expression(expression, path, record);
      return;
    }
    if (Array.isArray(value)) value.forEach((item, index) => this.value(item, `${path}[${index}]`, record));
    else if (value && typeof value === 'object')
      for (const [key, item] of Object.entries(value)) this.value(item, `${path}.${key}`, record);
  }

  private values(entity: EntityMetadata | undefined, values: Record<string, unknown>, path: string): void {
    for (const [name, raw] of Object.entries(values)) {
      const attribute = entity ? this.attribute(entity, name, `${path}.${name}`) : undefined;
      const operation = typeof raw === 'object' && raw !== null && 'op' in raw ? (raw as { op: string; value?: unknown }) : undefined;
      const value = operation ? operation.value : raw;
      this.value(value, `${path}.${name}`);
      if (entity && attribute && value !== undefined && !fits(attribute, value)) {
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
    const primary = this.primary;
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
    if (type === MISSHAPEN) {
      // Its shape errors are reported already; what it holds is still checked.
      for (const key of ['steps', 'otherwise']) if (Array.isArray(step[key])) this.steps(step[key] as AuthoredStep[], `${at}.${key}`);
      (step['branches'] as Array<{ steps?: AuthoredStep[] }> | undefined)?.forEach((branch, index) => {
        if (Array.isArray(branch.steps)) this.steps(branch.steps, `${at}.branches[${index}].steps`);
      });
      return;
    }
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
        this.values(entity, step['set'] as Record<string, unknown>, `${at}.set`);
        break;
      }
      case 'updateRecord': {
        const entity = this.recordEntity(step['record'], at);
        this.values(entity, step['set'] as Record<string, unknown>, `${at}.set`);
        break;
      }
      case 'assign':
        this.recordEntity(step['record'], at);
        this.value(step['owner'], `${at}.owner`);
        break;
      case 'sendEmail':
        for (const key of ['to', 'subject', 'body']) this.value(step[key], `${at}.${key}`);
        break;
      case 'customActivity':
        this.value(step['inputs'], `${at}.inputs`);
        break;
      case 'assignValue':
        this.value(step['value'], `${at}.value`);
        break;
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
      case 'waitCondition': {
        // `record` in the condition is the record waited on: the primary one, or the related one.
        const entity = this.recordEntity(step['record'], at);
        this.expression(String(step['until']), `${at}.until`, entity);
        break;
      }
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
        this.value(step['inputs'], `${at}.inputs`);
        break;
      case 'linkChildDialog':
        if (step['dialog'] === this.definition.uniqueName)
          this.add(`${at}.dialog`, `'${this.definition.uniqueName}' links to itself: a child-dialog cycle`, 'CHILD_CYCLE');
        break;
      case 'queryData':
        this.entity(String(step['entity']), `${at}.entity`);
        this.value(step['conditions'], `${at}.conditions`);
        this.queries.set(String(step['saveAs']), String(step['entity']));
        break;
      case 'page':
        if (step['title'] !== undefined) this.value(step['title'], `${at}.title`);
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
      this.value(prompt.text, `${path}.text`);
      if (prompt.response.default !== undefined) this.value(prompt.response.default, `${response}.default`);
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
    const primary = this.definition.primaryEntity === undefined ? undefined : this.entity(this.definition.primaryEntity, '$.primaryEntity');
    if (this.definition.category === 'dialog' && this.definition.triggers.length > 0) {
      this.add('$.triggers', 'dialogs are started by people, not by events: remove the triggers', 'DIALOG_TRIGGERS');
    }
    let webhooks = 0;
    this.definition.triggers.forEach((trigger, index) => {
      if (!trigger) return;
      if (trigger.on === 'webhook') {
        webhooks += 1;
        this.webhook(trigger, index, webhooks);
        return;
      }
      if (trigger.attributes.length > 0 && trigger.on !== 'update')
        this.add(`$.triggers[${index}].attributes`, `only update triggers have attributes, not ${trigger.on}`, 'TRIGGER_ATTRIBUTES');
      if (primary) trigger.attributes.forEach((name, i) => this.attribute(primary, name, `$.triggers[${index}].attributes[${i}]`));
    });
  }

  /** A webhook trigger: background workflows only, one per definition, its record input declared. */
  private webhook(trigger: WebhookTrigger, index: number, seen: number): void {
    const at = `$.triggers[${index}]`;
    if (seen > 1) this.add(at, 'a workflow has at most one webhook trigger (one endpoint)', 'DUPLICATE_WEBHOOK');
    if (this.definition.mode === 'realTime')
      this.add(
        `${at}.on`,
        'real-time workflows run inside a record operation; a webhook starts a background run: remove mode: realTime',
        'WEBHOOK_REAL_TIME',
      );
    if (trigger.record !== undefined && !this.definition.inputs.includes(trigger.record))
      this.add(
        `${at}.record`,
        `the workflow declares no input '${trigger.record}' (see inputs): record names the input holding the record id${nearest(trigger.record, this.definition.inputs)}`,
        'UNKNOWN_INPUT',
      );
  }
}

/** Calls visit for every step of a tree (nested lists, branches and their waits). */
function walkSteps(steps: readonly AuthoredStep[], visit: (step: AuthoredStep) => void): void {
  for (const step of steps) {
    visit(step);
    for (const key of ['steps', 'otherwise']) if (Array.isArray(step[key])) walkSteps(step[key] as AuthoredStep[], visit);
    for (const branch of (step['branches'] as Array<{ wait?: AuthoredStep; steps?: AuthoredStep[] }> | undefined) ?? []) {
      if (branch.wait) visit(branch.wait);
      if (Array.isArray(branch.steps)) walkSteps(branch.steps, visit);
    }
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A step whose own fields are right, with its nested steps salvaged one by one; a step whose
 * own fields are wrong becomes a placeholder holding its salvaged nested steps.
 */
function salvageStep(raw: unknown): AuthoredStep {
  if (!isObject(raw)) return { id: '', type: MISSHAPEN } as AuthoredStep;
  const list = (value: unknown) => (Array.isArray(value) ? value.map(salvageStep) : undefined);
  const branches = Array.isArray(raw['branches']) ? (raw['branches'] as unknown[]) : undefined;
  // The step's own fields, with its nested lists emptied: their steps are salvaged apart.
  const shell: Record<string, unknown> = { ...raw };
  if (Array.isArray(raw['steps'])) shell['steps'] = [];
  if (Array.isArray(raw['otherwise'])) shell['otherwise'] = [];
  if (branches)
    shell['branches'] = branches.map((branch) => (isObject(branch) && Array.isArray(branch['steps']) ? { ...branch, steps: [] } : branch));
  const parsed = StepSchema.safeParse(shell);
  const step = (parsed.success ? parsed.data : { id: typeof raw['id'] === 'string' ? raw['id'] : '', type: MISSHAPEN }) as AuthoredStep;
  if (Array.isArray(raw['steps'])) step['steps'] = list(raw['steps']);
  if (Array.isArray(raw['otherwise'])) step['otherwise'] = list(raw['otherwise']);
  if (branches) {
    const parsedBranches = parsed.success ? (step['branches'] as Array<Record<string, unknown>>) : undefined;
    step['branches'] = branches.map((branch, index) => ({
      ...(parsedBranches?.[index] ?? {}),
      steps: isObject(branch) ? (list(branch['steps']) ?? []) : [],
    }));
  }
  return step;
}

function salvage(value: Record<string, unknown>): Checked {
  const field = <T>(schema: { safeParse(input: unknown): { success: true; data: T } | { success: false } }, input: unknown) => {
    const result = schema.safeParse(input);
    return result.success ? result.data : undefined;
  };
  const shape = DefinitionHeaderSchema.shape;
  const inputs = Array.isArray(value['inputs']) ? (value['inputs'] as unknown[]) : [];
  return {
    uniqueName: field(shape.uniqueName, value['uniqueName']),
    category: field(shape.category, value['category']),
    primaryEntity: field(shape.primaryEntity, value['primaryEntity']),
    mode: field(shape.mode, value['mode']),
    triggers: Array.isArray(value['triggers']) ? (value['triggers'] as unknown[]).map((trigger) => field(TriggerSchema, trigger)) : [],
    inputs: inputs.flatMap((input) => (isObject(input) && typeof input['name'] === 'string' ? [input['name']] : [])),
    steps: Array.isArray(value['steps']) ? (value['steps'] as unknown[]).map(salvageStep) : [],
  };
}

export function validateDefinition(value: unknown, metadata: readonly EntityMetadata[]): DefinitionError[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ path: '$', message: 'a definition is an object (a mapping in YAML)', code: 'TYPE' }];
  }
  // The limits first: nothing below reads a value nested too deep, too big, or holding a NUL.
  const limits = checkValueLimits(value);
  if (limits.some((error) => error.code !== 'BAD_CHARACTER')) return limits;
  const errors: DefinitionError[] = [...limits];
  const parsed = DefinitionSchema.safeParse(value);
  if (!parsed.success) {
    errors.push(
      ...parsed.error.issues.map((issue) => ({
        path: jsonPath(issue.path),
        message:
          issue.code === 'invalid_type' &&
          issue.path.length === 1 &&
          (value as Record<string, unknown>)[String(issue.path[0])] === undefined
            ? `is required: ${issue.message}`
            : issue.message,
        code: issue.code === 'invalid_type' ? 'REQUIRED' : 'INVALID',
      })),
    );
  }
  // Every part whose shape is right is checked too, so one save reports every mistake.
  const checker = new Checker(salvage(value as Record<string, unknown>), metadata);
  checker.header();
  checker.steps(checker.definitionSteps, '$.steps');
  const seen = new Set<string>();
  return [...errors, ...checker.errors].filter((error) => {
    const key = `${error.path}\u0000${error.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
