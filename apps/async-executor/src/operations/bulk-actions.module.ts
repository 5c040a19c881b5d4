/**
 * Bulk actions on system jobs: the REST API that starts them (or counts what they would touch)
 * and the runner that carries them out as async operations of type 13.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { BULK_OPTIONS, BulkActionRunner, type BulkActionOptions } from './bulk-action.runner';
import { BulkActionStore } from './bulk-action.store';
import { BulkActionsGrpcController } from './bulk-actions.grpc.controller';
import { BulkActionsHttpController } from './bulk-actions.http.controller';
import { BulkActionsService } from './bulk-actions.service';

@Module({})
export class BulkActionsModule {
  static forRoot(options: BulkActionOptions): DynamicModule {
    return {
      module: BulkActionsModule,
      controllers: [BulkActionsHttpController, BulkActionsGrpcController],
      providers: [{ provide: BULK_OPTIONS, useValue: options }, BulkActionStore, BulkActionRunner, BulkActionsService],
    };
  }
}
