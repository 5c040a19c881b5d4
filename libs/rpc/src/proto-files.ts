/**
 * Where the .proto files live at run time (libs/contracts/proto, copied beside the built
 * libraries by tools/build) and how they are loaded, identically for servers and clients.
 */
import * as path from 'node:path';
import type { Options } from '@grpc/proto-loader';

export const PROTO_ROOT = path.resolve(__dirname, '../../contracts/proto');

export const ProtoFiles = {
  health: 'grpc/health/v1/health.proto',
  registry: 'flowline/registry/v1/registry.proto',
  gateway: 'flowline/gateway/v1/gateway.proto',
  executor: 'flowline/executor/v1/executor.proto',
  session: 'flowline/session/v1/session.proto',
} as const;

export const ProtoPackages = {
  health: 'grpc.health.v1',
  registry: 'flowline.registry.v1',
  gateway: 'flowline.gateway.v1',
  executor: 'flowline.executor.v1',
  session: 'flowline.session.v1',
} as const;

/** proto-loader options matching the generated TypeScript (camelCase, int64 as string, enums as numbers). */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: String,
  enums: Number,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};
