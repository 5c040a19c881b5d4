/** Entity metadata: entities and attributes, over gRPC and REST. */
import { Module } from '@nestjs/common';
import { MetadataVersionModule } from '../metadata-version/metadata-version.module';
import { EntityMetadataGrpcController } from './entity-metadata.grpc.controller';
import { EntityMetadataHttpController } from './entity-metadata.http.controller';
import { EntityMetadataService } from './entity-metadata.service';

@Module({
  imports: [MetadataVersionModule],
  controllers: [EntityMetadataGrpcController, EntityMetadataHttpController],
  providers: [EntityMetadataService],
  exports: [EntityMetadataService],
})
export class EntityMetadataModule {}
