/** Subscription resolution and the metadata snapshot for caches. */
import { Module } from '@nestjs/common';
import { MetadataVersionModule } from '../metadata-version/metadata-version.module';
import { SubscriptionGrpcController } from './subscription.grpc.controller';
import { SubscriptionService } from './subscription.service';

@Module({
  imports: [MetadataVersionModule],
  controllers: [SubscriptionGrpcController],
  providers: [SubscriptionService],
  exports: [SubscriptionService],
})
export class SubscriptionModule {}
