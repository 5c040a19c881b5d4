/**
 * The whole chain for the executor's integration tests: a registry with some activated
 * definitions, a gateway and an executor, sharing one topic prefix, plus a REST helper for the
 * gateway and a SQL client on the executor's database.
 */
import { Client } from 'pg';
import { ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import { startServiceForTest, TEST_SECRET, testToken, type RunningService } from '@flowline/service-testing';
import { spawnService, testKafkaBrokers, testPrefix, type ServiceProcess } from '@flowline/testing';

export interface Chain {
  registry: RunningService;
  gateway: RunningService;
  executor: RunningService;
  sql: Client;
  /** The topic and consumer-group prefix the chain's services share. */
  prefix: string;
  /** Stops the gateway or the registry (its database stays), to play an outage. */
  stopService(service: Restartable, signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and database after stopService. */
  restartService(service: Restartable): Promise<void>;
  /** Another executor on the same database, topics and services (replicas, crash tests). */
  startExecutor(env?: Record<string, string>): Promise<RunningService>;
  /** Calls the gateway's REST API as the user alice. */
  call(method: string, url: string, body?: unknown): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export type Restartable = 'event-gateway' | 'process-registry';

export interface DefinitionSource {
  source: string;
  format: 'yaml' | 'json';
}

export async function startChain(
  name: string,
  definitions: DefinitionSource[],
  executorEnv: Record<string, string> = {},
  /** Settings for every service of the chain (e.g. tracing), by service name. */
  serviceEnv: (service: 'process-registry' | 'event-gateway' | 'async-executor') => Record<string, string> = () => ({}),
): Promise<Chain> {
  const shared = { KAFKA_TOPIC_PREFIX: `${testPrefix(name)}.` };
  const registry = await startServiceForTest('apps/process-registry/src/main.ts', { ...shared, ...serviceEnv('process-registry') });
  const client = registry.client<PromiseClient<RegistryProto.ProcessDefinitionServiceClient>>(
    ProtoFiles.registry,
    'flowline.registry.v1.ProcessDefinitionService',
    ['author'],
  );
  for (const definition of definitions) {
    const saved = await client.saveDefinition({
      source: definition.source,
      format:
        definition.format === 'yaml'
          ? RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML
          : RegistryProto.DefinitionFormat.DEFINITION_FORMAT_JSON,
      id: '',
      expectedRowVersion: 0,
    });
    await client.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
  }
  const gatewaySettings = { ...shared, REGISTRY_ADDRESS: registry.grpcAddress, ...serviceEnv('event-gateway') };
  const gateway = await startServiceForTest('apps/event-gateway/src/main.ts', gatewaySettings);
  const executorSettings = {
    ...shared,
    REGISTRY_ADDRESS: registry.grpcAddress,
    GATEWAY_ADDRESS: gateway.grpcAddress,
    ...serviceEnv('async-executor'),
    ...executorEnv,
  };
  const executor = await startServiceForTest('apps/async-executor/src/main.ts', executorSettings);
  const sql = new Client({ connectionString: executor.db.url });
  await sql.connect();
  // A service started again keeps the first one's ports and database; the first one's stop drops it.
  const restarted = new Map<Restartable, ServiceProcess>();
  const first = { 'event-gateway': gateway, 'process-registry': registry } as const;
  const settings = {
    'event-gateway': gatewaySettings,
    'process-registry': { ...shared, ...serviceEnv('process-registry') },
  } as const;
  const chain: Chain = {
    registry,
    gateway,
    executor,
    sql,
    prefix: shared.KAFKA_TOPIC_PREFIX,
    async stopService(service, signal = 'SIGTERM') {
      await (restarted.get(service) ?? first[service].process).stop(signal);
    },
    async restartService(service) {
      const original = first[service];
      const [httpPort, grpcPort] = [new URL(original.httpUrl).port, original.grpcAddress.split(':').at(-1)!];
      const again = spawnService(`apps/${service}/src/main.ts`, {
        DATABASE_URL: original.db.url,
        AUTH_JWT_SECRET: TEST_SECRET,
        KAFKA_BROKERS: testKafkaBrokers(),
        LOG_LEVEL: 'warn',
        ...settings[service],
        HTTP_PORT: httpPort,
        GRPC_PORT: grpcPort,
      });
      restarted.set(service, again);
      await again.waitForReady(original.httpUrl, 120_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${service}'s last lines:\n${again.output.slice(-30).join('\n')}`);
      });
    },
    startExecutor: (env = {}) => startServiceForTest('apps/async-executor/src/main.ts', { ...executorSettings, ...env }, executor.db),
    async call(method, url, body) {
      const response = await fetch(`${gateway.httpUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${testToken(['user'], 'alice')}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await response.json()) as Record<string, unknown>;
    },
    async stop() {
      await sql.end();
      await executor.stop();
      for (const again of restarted.values()) await again.stop();
      await gateway.stop();
      await registry.stop();
    },
  };
  return chain;
}
