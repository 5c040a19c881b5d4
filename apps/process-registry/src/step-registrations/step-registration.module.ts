/** Plug-in step registrations over gRPC and REST. */
import { Module } from '@nestjs/common';
import { MetadataVersionModule } from '../metadata-version/metadata-version.module';
import { StepRegistrationGrpcController } from './step-registration.grpc.controller';
import { StepRegistrationHttpController } from './step-registration.http.controller';
import { StepRegistrationService } from './step-registration.service';

@Module({
  imports: [MetadataVersionModule],
  controllers: [StepRegistrationGrpcController, StepRegistrationHttpController],
  providers: [StepRegistrationService],
  exports: [StepRegistrationService],
})
export class StepRegistrationModule {}
