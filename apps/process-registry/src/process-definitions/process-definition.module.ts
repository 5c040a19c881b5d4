/** Process definitions and their versions over gRPC and REST. */
import { Module } from '@nestjs/common';
import { MetadataVersionModule } from '../metadata-version/metadata-version.module';
import { ProcessDefinitionGrpcController } from './process-definition.grpc.controller';
import { ProcessDefinitionHttpController } from './process-definition.http.controller';
import { ProcessDefinitionService } from './process-definition.service';
import { PROCESS_LANGUAGE } from './process-language';
import { ProcessModelLanguage } from './process-model.language';

@Module({
  imports: [MetadataVersionModule],
  controllers: [ProcessDefinitionGrpcController, ProcessDefinitionHttpController],
  providers: [ProcessDefinitionService, { provide: PROCESS_LANGUAGE, useClass: ProcessModelLanguage }],
  exports: [ProcessDefinitionService],
})
export class ProcessDefinitionModule {}
