/** Every TypeORM entity of the executor schema; the migrations must create exactly these. */
import { OutboxMessageRow } from '@flowline/messaging';
import { AsyncOperationRow } from '../operations/async-operation.entity';
import { DefinitionThrottleRow } from '../operations/definition-throttle.entity';
import { StepLogRow } from '../operations/step-log.entity';
import { WaitSubscriptionRow } from '../operations/wait-subscription.entity';

export const ExecutorEntities: Array<new () => unknown> = [
  AsyncOperationRow,
  WaitSubscriptionRow,
  StepLogRow,
  OutboxMessageRow,
  DefinitionThrottleRow,
];
