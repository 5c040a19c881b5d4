/**
 * The whole chain for the executor's integration tests: a registry with some activated
 * definitions, a gateway and an executor, sharing one topic prefix, plus a REST helper for the
 * gateway and a SQL client on the executor's database.
 */
import { Client } from 'pg';
import { ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { testPrefix } from '@flowline/testing';

export interface Chain {
  registry: RunningService;
  gateway: RunningService;
  executor: RunningService;
  sql: Client;
  /** Another executor on the same database, topics and services (replicas, crash tests). */
  startExecutor(env?: Record<string, string>): Promise<RunningService>;
  /** Calls the gateway's REST API as the user alice. */
  call(method: string, url: string, body?: unknown): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

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
  const gateway = await startServiceForTest('apps/event-gateway/src/main.ts', {
    ...shared,
    REGISTRY_ADDRESS: registry.grpcAddress,
    ...serviceEnv('event-gateway'),
  });
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
  return {
    registry,
    gateway,
    executor,
    sql,
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
      await gateway.stop();
      await registry.stop();
    },
  };
}
