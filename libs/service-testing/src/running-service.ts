/**
 * One real service process for a test file: its own database, free ports, the test token
 * secret, and gRPC clients that authenticate with tokens of the roles a test asks for.
 */
import { signToken, type Role } from '@flowline/auth';
import { createGrpcClient, type GrpcClientHandle } from '@flowline/rpc';
import {
  createTestDatabase,
  freePortForTests,
  spawnService,
  testKafkaBrokers,
  testPrefix,
  type ServiceProcess,
  type TestDatabase,
} from '@flowline/testing';

export const TEST_SECRET = 'flowline-test-secret-0123456789';

export function testToken(roles: Role[], subject = `test-${roles.join('-') || 'nobody'}`): string {
  return signToken(TEST_SECRET, { subject, roles, expiresInSeconds: 3600 });
}

export interface RunningService {
  readonly db: TestDatabase;
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly process: ServiceProcess;
  /** A gRPC client authenticated with the given roles (none: no token at all). */
  client<T>(protoFile: string, serviceName: string, roles?: Role[] | null): T;
  stop(): Promise<void>;
}

export async function startServiceForTest(
  mainPath: string,
  extraEnv: Record<string, string> = {},
  database?: TestDatabase,
): Promise<RunningService> {
  const db = database ?? (await createTestDatabase('svc'));
  let httpPort = 0;
  let grpcPort = 0;
  let process: ServiceProcess | undefined;
  let httpUrl = '';
  // A port found free can be taken by another process before the service binds it: try others.
  for (let attempt = 1; ; attempt++) {
    httpPort = await freePortForTests();
    grpcPort = await freePortForTests();
    process = spawnService(mainPath, {
      DATABASE_URL: db.url,
      AUTH_JWT_SECRET: TEST_SECRET,
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      LOG_LEVEL: extraEnv['LOG_LEVEL'] ?? 'warn',
      KAFKA_BROKERS: testKafkaBrokers(),
      // Services of one test share a prefix by passing KAFKA_TOPIC_PREFIX in extraEnv.
      KAFKA_TOPIC_PREFIX: `${testPrefix('svc')}.`,
      ...extraEnv,
    });
    httpUrl = `http://127.0.0.1:${httpPort}`;
    try {
      // Generous: on a loaded CI machine several services start at once.
      await process.waitForReady(httpUrl, 60_000);
      break;
    } catch (error) {
      const portTaken = process.output.some((line) => line.includes('EADDRINUSE'));
      await process.stop('SIGKILL');
      if (!portTaken || attempt >= 3) throw error;
    }
  }
  const handles: Array<GrpcClientHandle<unknown>> = [];
  return {
    db,
    httpUrl,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    process,
    client<T>(protoFile: string, serviceName: string, roles: Role[] | null = ['admin']): T {
      const handle = createGrpcClient<T>(protoFile, serviceName, {
        address: `127.0.0.1:${grpcPort}`,
        ...(roles ? { token: testToken(roles) } : {}),
      });
      handles.push(handle as GrpcClientHandle<unknown>);
      return handle.client as T;
    },
    async stop() {
      for (const handle of handles) handle.close();
      await process.stop();
      if (!database) await db.drop();
    },
  };
}
