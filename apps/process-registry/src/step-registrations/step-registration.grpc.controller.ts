/** gRPC: flowline.registry.v1.StepRegistrationService. */
import { GrpcMethod } from '@nestjs/microservices';
import { Roles } from '@flowline/auth';
import { correlationIdOf, pageWindow, RegistryProto, type Metadata } from '@flowline/rpc';
import { GrpcController, RequireRoles } from '@flowline/service-kit';
import { draftFromProto, rowToProto } from './step-registration.mapper';
import { StepRegistrationService, type StepWrite } from './step-registration.service';

const SERVICE = 'StepRegistrationService';

function writeFromProto(step: RegistryProto.StepRegistration | undefined): StepWrite {
  return {
    ...draftFromProto(step),
    enabled: step?.enabled ?? false,
    unsecureConfiguration: step?.unsecureConfiguration ?? '',
    secureConfiguration: step?.secureConfiguration ?? '',
  };
}

@GrpcController()
export class StepRegistrationGrpcController {
  constructor(private readonly steps: StepRegistrationService) {}

  @GrpcMethod(SERVICE, 'RegisterStep')
  @RequireRoles(Roles.admin)
  async registerStep(request: RegistryProto.RegisterStepRequest, metadata: Metadata): Promise<RegistryProto.StepRegistration> {
    return rowToProto(await this.steps.register(writeFromProto(request.step), correlationIdOf(metadata)));
  }

  @GrpcMethod(SERVICE, 'UpdateStep')
  @RequireRoles(Roles.admin)
  async updateStep(request: RegistryProto.UpdateStepRequest, metadata: Metadata): Promise<RegistryProto.StepRegistration> {
    const row = await this.steps.update(
      request.step?.id ?? '',
      writeFromProto(request.step),
      request.expectedRowVersion,
      request.keepSecureConfiguration,
      correlationIdOf(metadata),
    );
    return rowToProto(row);
  }

  @GrpcMethod(SERVICE, 'GetStep')
  @RequireRoles(Roles.author, Roles.operator, Roles.service)
  async getStep(request: RegistryProto.GetStepRequest): Promise<RegistryProto.StepRegistration> {
    return rowToProto(await this.steps.get(request.id));
  }

  @GrpcMethod(SERVICE, 'ListSteps')
  @RequireRoles(Roles.author, Roles.operator, Roles.service)
  async listSteps(request: RegistryProto.ListStepsRequest): Promise<RegistryProto.ListStepsResponse> {
    const { rows, page } = await this.steps.list(pageWindow(request.page), {
      message: request.message,
      primaryEntity: request.primaryEntity,
    });
    return { steps: rows.map((row) => rowToProto(row)), page };
  }

  @GrpcMethod(SERVICE, 'UnregisterStep')
  @RequireRoles(Roles.admin)
  async unregisterStep(request: RegistryProto.UnregisterStepRequest, metadata: Metadata): Promise<RegistryProto.UnregisterStepResponse> {
    await this.steps.unregister(request.id, correlationIdOf(metadata));
    return {};
  }
}
