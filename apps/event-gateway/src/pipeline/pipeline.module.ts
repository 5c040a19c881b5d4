/** The event pipeline: Execute over gRPC and REST. */
import { Module } from '@nestjs/common';
import { ExecuteGrpcController } from '../api/execute.grpc.controller';
import { MetadataHttpController } from '../api/metadata.http.controller';
import { RecordsHttpController } from '../api/records.http.controller';
import { DomainEventsConsumer } from '../domain-events/domain-events.consumer';
import { PipelineService } from './pipeline.service';

@Module({
  controllers: [ExecuteGrpcController, RecordsHttpController, MetadataHttpController],
  providers: [PipelineService, DomainEventsConsumer],
  exports: [PipelineService],
})
export class PipelineModule {}
