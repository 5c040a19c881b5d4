/**
 * The async-executor schema's own migrations, oldest first, after the shared service_instance one.
 * Generate a new one with: npx nx run async-executor:migration-generate --name=<Name>
 */
import { OutboxTable1764028900000 } from '@flowline/messaging';
import { AsyncOperations1795578877743 } from './1795578877743-AsyncOperations';
import { OperationControl1795600000000 } from './1795600000000-OperationControl';
import { DependencyWaits1795700000000 } from './1795700000000-DependencyWaits';
import { StepLogSeq1795800000000 } from './1795800000000-StepLogSeq';
import { SweepIndexes1795900000000 } from './1795900000000-SweepIndexes';
import { DeadLettersAndBulkActions1796175009315 } from './1796175009315-DeadLettersAndBulkActions';
import { StepLogAttempt1796200000000 } from './1796200000000-StepLogAttempt';
import { ConsoleListIndexes1796400000000 } from './1796400000000-ConsoleListIndexes';

export const ExecutorMigrations: Array<new () => unknown> = [
  OutboxTable1764028900000,
  AsyncOperations1795578877743,
  OperationControl1795600000000,
  DependencyWaits1795700000000,
  StepLogSeq1795800000000,
  SweepIndexes1795900000000,
  DeadLettersAndBulkActions1796175009315,
  StepLogAttempt1796200000000,
  ConsoleListIndexes1796400000000,
];
