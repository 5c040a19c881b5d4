/** gRPC: flowline.registry.v1.EntityMetadataService. */
import { GrpcMethod } from '@nestjs/microservices';
import { Roles } from '@flowline/auth';
import { correlationIdOf, pageWindow, RegistryProto, type Metadata } from '@flowline/rpc';
import { GrpcController, RequireRoles } from '@flowline/service-kit';
import { entityFromProto, rowToProto } from './entity-metadata.mapper';
import { EntityMetadataService } from './entity-metadata.service';

const SERVICE = 'EntityMetadataService';

@GrpcController()
export class EntityMetadataGrpcController {
  constructor(private readonly entities: EntityMetadataService) {}

  @GrpcMethod(SERVICE, 'CreateEntity')
  @RequireRoles(Roles.admin)
  async createEntity(request: RegistryProto.CreateEntityRequest, metadata: Metadata): Promise<RegistryProto.Entity> {
    return rowToProto(await this.entities.create(entityFromProto(request.entity), correlationIdOf(metadata)));
  }

  @GrpcMethod(SERVICE, 'UpdateEntity')
  @RequireRoles(Roles.admin)
  async updateEntity(request: RegistryProto.UpdateEntityRequest, metadata: Metadata): Promise<RegistryProto.Entity> {
    return rowToProto(await this.entities.update(entityFromProto(request.entity), request.expectedVersion, correlationIdOf(metadata)));
  }

  @GrpcMethod(SERVICE, 'GetEntity')
  async getEntity(request: RegistryProto.GetEntityRequest): Promise<RegistryProto.Entity> {
    return rowToProto(await this.entities.get(request.logicalName));
  }

  @GrpcMethod(SERVICE, 'ListEntities')
  async listEntities(request: RegistryProto.ListEntitiesRequest): Promise<RegistryProto.ListEntitiesResponse> {
    const { rows, page } = await this.entities.list(pageWindow(request.page));
    return { entities: rows.map(rowToProto), page };
  }

  @GrpcMethod(SERVICE, 'DeleteEntity')
  @RequireRoles(Roles.admin)
  async deleteEntity(request: RegistryProto.DeleteEntityRequest, metadata: Metadata): Promise<RegistryProto.DeleteEntityResponse> {
    await this.entities.delete(request.logicalName, correlationIdOf(metadata));
    return {};
  }
}
