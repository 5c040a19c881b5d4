/**
 * checkChildren(definition, findChild): the checks of a definition's children that need the
 * other definitions (the registry supplies them). A startChild step must name a workflow that
 * exists, is marked `availableAsChild: true` and runs on the same primary entity as the parent
 * (the child runs on the parent's record), and pass only the inputs the child declares,
 * including every required one. A linkChildDialog step must name a dialog on the same entity.
 * Each problem carries the path of the offending step.
 */
import type { DefinitionError } from './parse-source';

/** What a parent needs to know of a definition it starts or links to. */
export interface ChildSummary {
  uniqueName: string;
  category: string;
  primaryEntity: string;
  availableAsChild: boolean;
  inputs: Array<{ name: string; required: boolean }>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A summary of an authored definition (as stored: it may be a Draft), read leniently. */
export function childSummary(source: Record<string, unknown>): ChildSummary {
  const inputs = Array.isArray(source['inputs']) ? (source['inputs'] as unknown[]) : [];
  return {
    uniqueName: String(source['uniqueName'] ?? ''),
    category: String(source['category'] ?? ''),
    primaryEntity: String(source['primaryEntity'] ?? ''),
    availableAsChild: source['availableAsChild'] === true,
    inputs: inputs.flatMap((input) =>
      isObject(input) && typeof input['name'] === 'string' ? [{ name: input['name'], required: input['required'] === true }] : [],
    ),
  };
}

/** The unique names of the workflows and dialogs a definition starts or links to. */
export function childNames(definition: Record<string, unknown>): string[] {
  const names = new Set<string>();
  visitSteps(definition['steps'], '$.steps', (step) => {
    if (step['type'] === 'startChild' && typeof step['workflow'] === 'string') names.add(step['workflow']);
    if (step['type'] === 'linkChildDialog' && typeof step['dialog'] === 'string') names.add(step['dialog']);
  });
  return [...names].sort();
}

function visitSteps(list: unknown, path: string, visit: (step: Record<string, unknown>, path: string) => void): void {
  if (!Array.isArray(list)) return;
  list.forEach((step: unknown, index) => {
    if (!isObject(step)) return;
    const at = `${path}[${index}]`;
    visit(step, at);
    visitSteps(step['steps'], `${at}.steps`, visit);
    visitSteps(step['otherwise'], `${at}.otherwise`, visit);
    if (Array.isArray(step['branches']))
      (step['branches'] as unknown[]).forEach((branch, b) => {
        if (isObject(branch)) visitSteps(branch['steps'], `${at}.branches[${b}].steps`, visit);
      });
  });
}

export function checkChildren(
  definition: Record<string, unknown>,
  findChild: (uniqueName: string) => ChildSummary | undefined,
): DefinitionError[] {
  const errors: DefinitionError[] = [];
  const self = String(definition['uniqueName'] ?? '');
  const entity = String(definition['primaryEntity'] ?? '');
  visitSteps(definition['steps'], '$.steps', (step, at) => {
    if (step['type'] === 'startChild' && typeof step['workflow'] === 'string' && step['workflow'] !== self) {
      const name = step['workflow'];
      const child = findChild(name);
      const path = `${at}.workflow`;
      if (!child) {
        errors.push({
          path,
          message: `step '${String(step['id'])}' starts '${name}', but no workflow is named so: save it first`,
          code: 'UNKNOWN_CHILD',
        });
        return;
      }
      if (child.category !== 'workflow') {
        errors.push({
          path,
          message: `'${name}' is a ${child.category}, not a workflow: startChild starts workflows`,
          code: 'NOT_A_WORKFLOW',
        });
        return;
      }
      if (!child.availableAsChild)
        errors.push({
          path,
          message: `'${name}' is not available as a child workflow: set availableAsChild: true on it to let other workflows start it`,
          code: 'NOT_AVAILABLE_AS_CHILD',
        });
      if (child.primaryEntity !== entity)
        errors.push({
          path,
          message: `'${name}' runs on ${child.primaryEntity} records, but this step passes it the ${entity} record the workflow runs on`,
          code: 'CHILD_ENTITY_MISMATCH',
        });
      const passed = isObject(step['inputs']) ? Object.keys(step['inputs']) : [];
      const declared = child.inputs.map((input) => input.name);
      for (const input of passed)
        if (!declared.includes(input))
          errors.push({
            path: `${at}.inputs.${input}`,
            message: `'${name}' declares no input '${input}' (it declares ${declared.length > 0 ? declared.join(', ') : 'none'})`,
            code: 'UNKNOWN_CHILD_INPUT',
          });
      for (const input of child.inputs)
        if (input.required && !passed.includes(input.name))
          errors.push({
            path: `${at}.inputs`,
            message: `'${name}' requires the input '${input.name}': pass it in inputs`,
            code: 'CHILD_INPUT_REQUIRED',
          });
    }
    if (step['type'] === 'linkChildDialog' && typeof step['dialog'] === 'string' && step['dialog'] !== self) {
      const name = step['dialog'];
      const child = findChild(name);
      const path = `${at}.dialog`;
      if (!child)
        errors.push({
          path,
          message: `step '${String(step['id'])}' links to '${name}', but no dialog is named so: save it first`,
          code: 'UNKNOWN_CHILD',
        });
      else if (child.category !== 'dialog')
        errors.push({
          path,
          message: `'${name}' is a ${child.category}, not a dialog: linkChildDialog links dialogs`,
          code: 'NOT_A_DIALOG',
        });
      else if (child.primaryEntity !== entity)
        errors.push({
          path,
          message: `'${name}' runs on ${child.primaryEntity} records, but this dialog goes on with the ${entity} record it runs on`,
          code: 'CHILD_ENTITY_MISMATCH',
        });
    }
  });
  return errors;
}
