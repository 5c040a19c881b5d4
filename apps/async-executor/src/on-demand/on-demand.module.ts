/** On-demand workflows: StartWorkflow over gRPC and REST (the clients and store come from the global OperationsModule). */
import { Module } from '@nestjs/common';
import { OnDemandGrpcController } from './on-demand.grpc.controller';
import { OnDemandHttpController } from './on-demand.http.controller';
import { StartWorkflow } from './start-workflow.use-case';

@Module({ controllers: [OnDemandHttpController, OnDemandGrpcController], providers: [StartWorkflow] })
export class OnDemandModule {}
