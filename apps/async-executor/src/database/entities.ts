/** Every TypeORM entity of the executor schema; the migrations must create exactly these. */
import { OutboxMessageRow } from '@flowline/messaging';
import { DeadLetterAuditRow } from '../dead-letters/dead-letter-audit.entity';
import { DeadLetterRow } from '../dead-letters/dead-letter.entity';
import { AsyncOperationRow } from '../operations/async-operation.entity';
import { BulkActionItemRow, BulkActionRow } from '../operations/bulk-action.entity';
import { DefinitionThrottleRow } from '../operations/definition-throttle.entity';
import { StepLogRow } from '../operations/step-log.entity';
import { WaitSubscriptionRow } from '../operations/wait-subscription.entity';
import { ScheduleRow } from '../schedules/schedule.entity';

export const ExecutorEntities: Array<new () => unknown> = [
  AsyncOperationRow,
  WaitSubscriptionRow,
  StepLogRow,
  OutboxMessageRow,
  DefinitionThrottleRow,
  DeadLetterRow,
  DeadLetterAuditRow,
  BulkActionRow,
  BulkActionItemRow,
  ScheduleRow,
];
