/** gRPC: flowline.registry.v1.SubscriptionService, what the other services' caches call. */
import { GrpcMethod } from '@nestjs/microservices';
import { Roles } from '@flowline/auth';
import { RegistryProto } from '@flowline/rpc';
import { GrpcController, RequireRoles } from '@flowline/service-kit';
import { rowToProto as entityToProto } from '../entity-metadata/entity-metadata.mapper';
import { versionToProto } from '../process-definitions/process-definition.mapper';
import { rowToProto as stepToProto } from '../step-registrations/step-registration.mapper';
import { SubscriptionService } from './subscription.service';

const SERVICE = 'SubscriptionService';

@GrpcController()
export class SubscriptionGrpcController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @GrpcMethod(SERVICE, 'ResolveSubscriptions')
  @RequireRoles(Roles.service, Roles.author, Roles.operator)
  async resolveSubscriptions(request: RegistryProto.ResolveSubscriptionsRequest): Promise<RegistryProto.ResolveSubscriptionsResponse> {
    const resolved = await this.subscriptions.resolve(request.message, request.entity, request.changedAttributes);
    return {
      synchronous: resolved.synchronous,
      asynchronous: resolved.asynchronous,
      workflows: resolved.workflows.map((workflow, rank) => ({
        definitionId: workflow.definitionId,
        uniqueName: workflow.uniqueName,
        version: workflow.version,
        contentHash: workflow.contentHash,
        mode: workflow.mode,
        rank,
        activatedOn: workflow.activatedOn,
      })),
      metadataVersion: resolved.metadataVersion,
    };
  }

  /** Services (and admins) get secure step configuration: the gateway signs webhook calls with it. */
  @GrpcMethod(SERVICE, 'GetMetadataSnapshot')
  @RequireRoles(Roles.service)
  async getMetadataSnapshot(): Promise<RegistryProto.MetadataSnapshot> {
    const snapshot = await this.subscriptions.snapshot();
    return {
      version: snapshot.version,
      entities: snapshot.entities.map(entityToProto),
      steps: snapshot.steps.map((step) => stepToProto(step, { includeSecure: true })),
      activeDefinitions: snapshot.definitions.map(versionToProto),
    };
  }
}
