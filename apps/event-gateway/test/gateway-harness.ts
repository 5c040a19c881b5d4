/** A registry and a gateway as real processes, with REST helpers, for the gateway's integration tests. */
import { Client } from 'pg';
import type { Role } from '@flowline/auth';
import { ProtoFiles, RegistryProto, type PromiseClient } from '@flowline/rpc';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { testPrefix, waitFor } from '@flowline/testing';

export interface GatewayHarness {
  registry: RunningService;
  gateway: RunningService;
  /** The topic prefix both services use. */
  prefix: string;
  steps: PromiseClient<RegistryProto.StepRegistrationServiceClient>;
  /** Saves a process definition (JSON) in the registry, activates it and waits until the gateway has it. */
  activate(definition: Record<string, unknown>): Promise<RegistryProto.DefinitionVersion>;
  deactivate(uniqueName: string): Promise<void>;
  /** Waits until the gateway's metadata cache holds everything the registry has now. */
  metadataCaughtUp(): Promise<void>;
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    roles?: Role[],
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  outbox(): Promise<Array<{ topic: string; message_key: string; envelope: { id: string; payload: Record<string, unknown> } }>>;
  stop(): Promise<void>;
}

export async function startGateway(extraEnv: Record<string, string> = {}): Promise<GatewayHarness> {
  // One topic prefix for both: the gateway hears the registry's changes.
  const shared = { KAFKA_TOPIC_PREFIX: `${testPrefix('gw')}.` };
  const registry = await startServiceForTest('apps/process-registry/src/main.ts', shared);
  const gateway = await startServiceForTest('apps/event-gateway/src/main.ts', {
    ...shared,
    REGISTRY_ADDRESS: registry.grpcAddress,
    METADATA_REFRESH_INTERVAL_MS: '100',
    ...extraEnv,
  });
  const steps = registry.client<PromiseClient<RegistryProto.StepRegistrationServiceClient>>(
    ProtoFiles.registry,
    'flowline.registry.v1.StepRegistrationService',
    ['admin'],
  );
  const subscriptions = registry.client<PromiseClient<RegistryProto.SubscriptionServiceClient>>(
    ProtoFiles.registry,
    'flowline.registry.v1.SubscriptionService',
    ['admin'],
  );
  const definitions = registry.client<PromiseClient<RegistryProto.ProcessDefinitionServiceClient>>(
    ProtoFiles.registry,
    'flowline.registry.v1.ProcessDefinitionService',
    ['author'],
  );
  const harness: GatewayHarness = {
    registry,
    gateway,
    prefix: shared.KAFKA_TOPIC_PREFIX,
    steps,
    async activate(definition) {
      const saved = await definitions.saveDefinition({
        source: JSON.stringify(definition),
        format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_JSON,
        id: '',
        expectedRowVersion: 0,
      });
      const version = await definitions.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
      await harness.metadataCaughtUp();
      return version;
    },
    async deactivate(uniqueName) {
      await definitions.deactivateDefinition({ ref: { id: '', uniqueName } });
      await harness.metadataCaughtUp();
    },
    async metadataCaughtUp() {
      const { metadataVersion } = await subscriptions.resolveSubscriptions({ message: 'Create', entity: 'account', changedAttributes: [] });
      await waitFor(
        async () => {
          const stats = (await (await harness.call('GET', '/api/v1/metadata')).body) as { version?: string };
          return BigInt(stats.version ?? '0') >= BigInt(metadataVersion);
        },
        { what: `the gateway metadata to reach version ${metadataVersion}` },
      );
    },
    async call(method, path, body, headers = {}, roles = ['user']) {
      const response = await fetch(`${gateway.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${testToken(roles, 'alice')}`, 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
    },
    async outbox() {
      const client = new Client({ connectionString: gateway.db.url });
      await client.connect();
      try {
        return (await client.query(`SELECT "topic", "message_key", "envelope" FROM "gateway"."outbox" ORDER BY "id"`)).rows;
      } finally {
        await client.end();
      }
    },
    async stop() {
      await gateway.stop();
      await registry.stop();
    },
  };
  return harness;
}
