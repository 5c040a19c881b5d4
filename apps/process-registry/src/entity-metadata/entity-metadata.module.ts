/** Entity metadata: entities and attributes, over gRPC. */
import { Module } from '@nestjs/common';
import { MetadataVersionModule } from '../metadata-version/metadata-version.module';
import { EntityMetadataGrpcController } from './entity-metadata.grpc.controller';
import { EntityMetadataService } from './entity-metadata.service';

@Module({
  imports: [MetadataVersionModule],
  controllers: [EntityMetadataGrpcController],
  providers: [EntityMetadataService],
  exports: [EntityMetadataService],
})
export class EntityMetadataModule {}
