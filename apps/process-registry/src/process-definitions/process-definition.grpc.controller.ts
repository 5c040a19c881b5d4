/** gRPC: flowline.registry.v1.ProcessDefinitionService. */
import { Ctx, GrpcMethod, Payload } from '@nestjs/microservices';
import { Roles, type Principal } from '@flowline/auth';
import { correlationIdOf, pageWindow, RegistryProto, type Metadata } from '@flowline/rpc';
import { CurrentPrincipal, GrpcController, RequireRoles } from '@flowline/service-kit';
import { definitionToProto, versionToProto } from './process-definition.mapper';
import { ProcessDefinitionService, type DefinitionRef } from './process-definition.service';

const SERVICE = 'ProcessDefinitionService';
const formatOf = (format: RegistryProto.DefinitionFormat): 'json' | 'yaml' =>
  format === RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML ? 'yaml' : 'json';
const refOf = (ref: RegistryProto.DefinitionRef | undefined): DefinitionRef => ({
  ...(ref?.id ? { id: ref.id } : {}),
  ...(ref?.uniqueName ? { uniqueName: ref.uniqueName } : {}),
});

@GrpcController()
export class ProcessDefinitionGrpcController {
  constructor(private readonly definitions: ProcessDefinitionService) {}

  @GrpcMethod(SERVICE, 'SaveDefinition')
  @RequireRoles(Roles.author)
  async saveDefinition(
    @Payload() request: RegistryProto.SaveDefinitionRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RegistryProto.ProcessDefinition> {
    const row = await this.definitions.save(
      request.source,
      formatOf(request.format),
      request.id || undefined,
      request.expectedRowVersion,
      principal,
    );
    return definitionToProto(row);
  }

  @GrpcMethod(SERVICE, 'ValidateDefinition')
  async validateDefinition(request: RegistryProto.ValidateDefinitionRequest): Promise<RegistryProto.ValidateDefinitionResponse> {
    const violations = await this.definitions.check(request.source, formatOf(request.format));
    return {
      valid: violations.length === 0,
      violations: violations.map((v) => ({ field: v.field, description: v.description, code: v.code ?? '' })),
    };
  }

  @GrpcMethod(SERVICE, 'ActivateDefinition')
  @RequireRoles(Roles.author)
  async activateDefinition(
    @Payload() request: RegistryProto.ActivateDefinitionRequest,
    @Ctx() metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RegistryProto.DefinitionVersion> {
    return versionToProto(await this.definitions.activate(refOf(request.ref), principal, correlationIdOf(metadata)));
  }

  @GrpcMethod(SERVICE, 'DeactivateDefinition')
  @RequireRoles(Roles.author)
  async deactivateDefinition(
    @Payload() request: RegistryProto.DeactivateDefinitionRequest,
    @Ctx() metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RegistryProto.ProcessDefinition> {
    return definitionToProto(await this.definitions.deactivate(refOf(request.ref), principal, correlationIdOf(metadata)));
  }

  @GrpcMethod(SERVICE, 'GetDefinition')
  async getDefinition(request: RegistryProto.GetDefinitionRequest): Promise<RegistryProto.ProcessDefinition> {
    return definitionToProto(await this.definitions.get(refOf(request.ref)));
  }

  @GrpcMethod(SERVICE, 'GetDefinitionVersion')
  async getDefinitionVersion(request: RegistryProto.GetDefinitionVersionRequest): Promise<RegistryProto.DefinitionVersion> {
    return versionToProto(await this.definitions.getVersion(refOf(request.ref), request.version));
  }

  @GrpcMethod(SERVICE, 'ListDefinitions')
  async listDefinitions(request: RegistryProto.ListDefinitionsRequest): Promise<RegistryProto.ListDefinitionsResponse> {
    const { rows, page } = await this.definitions.list(pageWindow(request.page), {
      ...(request.filterByCategory ? { category: request.category } : {}),
      ...(request.primaryEntity ? { primaryEntity: request.primaryEntity } : {}),
      ...(request.filterByState ? { state: request.state } : {}),
      ...(request.nameContains ? { nameContains: request.nameContains } : {}),
    });
    return { definitions: rows.map(definitionToProto), page };
  }

  @GrpcMethod(SERVICE, 'DeleteDefinition')
  @RequireRoles(Roles.author)
  async deleteDefinition(
    request: RegistryProto.DeleteDefinitionRequest,
    metadata: Metadata,
  ): Promise<RegistryProto.DeleteDefinitionResponse> {
    await this.definitions.delete(refOf(request.ref), correlationIdOf(metadata));
    return {};
  }

  @GrpcMethod(SERVICE, 'ExportDefinitions')
  async exportDefinitions(request: RegistryProto.ExportDefinitionsRequest): Promise<RegistryProto.ExportDefinitionsResponse> {
    return { document: await this.definitions.export(request.uniqueNames, formatOf(request.format)) };
  }

  @GrpcMethod(SERVICE, 'ImportDefinitions')
  @RequireRoles(Roles.author)
  async importDefinitions(
    @Payload() request: RegistryProto.ImportDefinitionsRequest,
    @Ctx() metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RegistryProto.ImportDefinitionsResponse> {
    const rows = await this.definitions.import(
      request.document,
      formatOf(request.format),
      request.activate,
      principal,
      correlationIdOf(metadata),
    );
    return { definitions: rows.map(definitionToProto) };
  }
}
