// gRPC for every service: proto files, server options with health and reflection, typed
// promise clients, and errors with codes and field violations.
export * from './proto-files';
export * from './grpc-server-options';
export * from './grpc-client';
export * from './rpc-error';
export * as HealthProto from './generated/grpc/health/v1/health';
export * as RegistryProto from './generated/flowline/registry/v1/registry';
export * as CommonProto from './generated/flowline/common/v1/common';
export * from './paging';
export * from './call-metadata';
export * as GatewayProto from './generated/flowline/gateway/v1/gateway';
export * from './reflection-client';
export * as ExecutorProto from './generated/flowline/executor/v1/executor';
export * as SessionProto from './generated/flowline/session/v1/session';
