/** Pipeline events in, async operations out. */
import { Module } from '@nestjs/common';
import { OperationEvents } from '../operations/operation-events';
import { DispatcherService } from './dispatcher.service';

@Module({ providers: [DispatcherService, OperationEvents], exports: [DispatcherService, OperationEvents] })
export class DispatcherModule {}
