/** Create and Update: the target checked against the metadata, and every lookup it sets found. */
import { invalidArgument } from '@flowline/rpc';
import { validateTarget, type ValidatedTarget } from '../../records/attribute-validation';
import { RecordRow } from '../../records/record.entity';
import { PipelineErrorCode as Code } from '../pipeline.errors';
import type { MainOperationContext } from './main-operation';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NO_RECORD = '00000000-0000-0000-0000-000000000000';

export async function checkTarget(context: MainOperationContext, creating: boolean): Promise<void> {
  const checked = validateTarget(context.entity, context.target, { creating });
  for (const lookup of checked.lookups) {
    const found = await context.manager.getRepository(RecordRow).existsBy({
      entity: lookup.value.entity,
      id: UUID.test(lookup.value.id) ? lookup.value.id : NO_RECORD,
    });
    if (!found)
      checked.violations.push({
        field: lookup.field,
        description: `no ${lookup.value.entity} with id ${lookup.value.id}`,
        code: 'LOOKUP_NOT_FOUND',
      });
  }
  refuseViolations(context, checked);
}

/** Refuses the target when it has violations, each at its field (`operations.<name>` for what a relative operation computed). */
export function refuseViolations(
  context: Pick<MainOperationContext, 'entity' | 'input' | 'fromOperations'>,
  checked: Pick<ValidatedTarget, 'violations'>,
): void {
  for (const violation of checked.violations) {
    const name = violation.field.slice('target.'.length);
    if (context.fromOperations.has(name) && !(context.input.target && name in context.input.target)) {
      violation.field = `operations.${name}`;
      violation.description = `the result ${violation.description}`;
    }
  }
  if (checked.violations.length > 0) {
    throw invalidArgument(
      Code.InvalidTarget,
      `${context.input.message} of ${context.entity.logicalName} has ${checked.violations.length} invalid field(s)`,
      checked.violations,
    );
  }
}
