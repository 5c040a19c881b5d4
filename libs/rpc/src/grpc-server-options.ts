/**
 * The NestJS gRPC transport options of a Flowline service: the standard health service plus
 * the service's own packages, and server reflection so tools like grpcurl can list and call
 * every method.
 */
import { ReflectionService } from '@grpc/reflection';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { PROTO_LOADER_OPTIONS, ProtoFiles, ProtoPackages } from './proto-files';

export interface GrpcServerSpec {
  host: string;
  port: number;
  /** The service's own proto packages and files (the health service is always added). */
  packages?: string[];
  protoFiles?: string[];
}

export function grpcServerOptions(spec: GrpcServerSpec): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      url: `${spec.host}:${spec.port}`,
      package: [ProtoPackages.health, ...(spec.packages ?? [])],
      protoPath: [ProtoFiles.health, ...(spec.protoFiles ?? [])],
      loader: PROTO_LOADER_OPTIONS,
      onLoadPackageDefinition: (definition, server) => {
        new ReflectionService(definition).addToServer(server);
      },
      gracefulShutdown: true,
    },
  };
}
