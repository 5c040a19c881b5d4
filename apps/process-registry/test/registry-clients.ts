/** Typed gRPC clients of the registry for its integration tests. */
import type { Role } from '@flowline/auth';
import { ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import type { RunningService } from '@flowline/service-testing';

export type EntityClient = PromiseClient<RegistryProto.EntityMetadataServiceClient>;
export type DefinitionClient = PromiseClient<RegistryProto.ProcessDefinitionServiceClient>;
export type StepClient = PromiseClient<RegistryProto.StepRegistrationServiceClient>;
export type SubscriptionClient = PromiseClient<RegistryProto.SubscriptionServiceClient>;

export function registryClients(service: RunningService, roles: Role[] | null = ['admin']) {
  return {
    entities: service.client<EntityClient>(ProtoFiles.registry, 'flowline.registry.v1.EntityMetadataService', roles),
    definitions: service.client<DefinitionClient>(ProtoFiles.registry, 'flowline.registry.v1.ProcessDefinitionService', roles),
    steps: service.client<StepClient>(ProtoFiles.registry, 'flowline.registry.v1.StepRegistrationService', roles),
    subscriptions: service.client<SubscriptionClient>(ProtoFiles.registry, 'flowline.registry.v1.SubscriptionService', roles),
  };
}

export const REGISTRY_MAIN = 'apps/process-registry/src/main.ts';

/** A valid step registration to vary in tests. */
export function step(overrides: Partial<RegistryProto.StepRegistration> = {}): RegistryProto.StepRegistration {
  return {
    id: '',
    name: 'audit account changes',
    message: 'Update',
    primaryEntity: 'account',
    stage: 40,
    mode: 0,
    rank: 1,
    filteringAttributes: [],
    images: [],
    handler: { webhook: { url: 'http://127.0.0.1:9/hook', timeoutMs: 5000 } },
    enabled: true,
    unsecureConfiguration: '',
    secureConfiguration: '',
    hasSecureConfiguration: false,
    registeredOn: '',
    registrationSequence: '',
    rowVersion: 0,
    ...overrides,
  };
}
