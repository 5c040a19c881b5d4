/** Plug-in step registrations over gRPC. */
import { Module } from '@nestjs/common';
import { MetadataVersionModule } from '../metadata-version/metadata-version.module';
import { StepRegistrationGrpcController } from './step-registration.grpc.controller';
import { StepRegistrationService } from './step-registration.service';

@Module({
  imports: [MetadataVersionModule],
  controllers: [StepRegistrationGrpcController],
  providers: [StepRegistrationService],
  exports: [StepRegistrationService],
})
export class StepRegistrationModule {}
