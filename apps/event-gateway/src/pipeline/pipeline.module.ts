/** The event pipeline: Execute over gRPC and REST, and domain events from Kafka. */
import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { METRICS_REGISTRY } from '@flowline/service-kit';
import { ExecuteGrpcController } from '../api/execute.grpc.controller';
import { MetadataHttpController } from '../api/metadata.http.controller';
import { RecordsHttpController } from '../api/records.http.controller';
import { DomainEventsConsumer } from '../domain-events/domain-events.consumer';
import { LoopGuard, type LoopProtectionOptions } from '../loop-protection/loop-guard';
import { RealTimeRunner } from '../real-time/real-time-runner';
import { RealTimeWorkflows } from '../real-time/real-time-workflows';
import { PipelineService } from './pipeline.service';

export interface PipelineOptions {
  loopProtection: LoopProtectionOptions;
}

@Module({})
export class PipelineModule {
  static forRoot(options: PipelineOptions): DynamicModule {
    return {
      module: PipelineModule,
      controllers: [ExecuteGrpcController, RecordsHttpController, MetadataHttpController],
      providers: [
        {
          provide: LoopGuard,
          inject: [getDataSourceToken(), METRICS_REGISTRY],
          useFactory: (dataSource: DataSource, metrics: Registry) => new LoopGuard(dataSource, options.loopProtection, metrics),
        },
        RealTimeWorkflows,
        RealTimeRunner,
        PipelineService,
        DomainEventsConsumer,
      ],
      exports: [PipelineService],
    };
  }
}
