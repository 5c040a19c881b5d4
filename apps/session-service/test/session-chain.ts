/**
 * The chain the session service's integration tests run against: a registry with the example
 * dialog (and a workflow) activated, a gateway, and the session service, as real processes
 * sharing one topic prefix; REST helpers that call as a given user, a gRPC client factory, and
 * a Kafka reader for the topics they publish.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs';
import type { Role } from '@flowline/auth';
import { createGrpcClient, ProtoFiles, RegistryProto, type GrpcClientHandle, type PromiseClient, type SessionProto } from '@flowline/rpc';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { REPO_ROOT, testKafkaBrokers, testPrefix, waitFor } from '@flowline/testing';

export interface Caller {
  user: string;
  roles?: Role[];
}

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export interface SessionChain {
  registry: RunningService;
  gateway: RunningService;
  sessions: RunningService;
  prefix: string;
  /** The session service's REST API, as a user (default alice, role user). */
  api(method: string, url: string, body?: unknown, caller?: Caller): Promise<HttpAnswer>;
  /** The gateway's REST API, as a user. */
  gateway$(method: string, url: string, body?: unknown, caller?: Caller): Promise<HttpAnswer>;
  grpc(caller?: Caller): PromiseClient<SessionProto.SessionServiceClient>;
  /** Reads a topic (under the chain's prefix) from the start until `until` holds. */
  read(topic: string, until: (messages: KafkaMessage[]) => boolean): Promise<KafkaMessage[]>;
  /** Creates a contact through the gateway and returns its id. */
  contact(firstname: string, lastname: string, caller?: Caller): Promise<string>;
  stop(): Promise<void>;
}

export interface KafkaMessage {
  key: string;
  envelope: { id: string; type: string; correlationId: string; payload: Record<string, unknown> };
}

export const ALICE: Caller = { user: 'alice', roles: ['user'] };
export const BOB: Caller = { user: 'bob', roles: ['user'] };
export const OPERATOR: Caller = { user: 'olga', roles: ['operator'] };

const example = (file: string) => readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8');

async function http(base: string, method: string, url: string, body: unknown, caller: Caller): Promise<HttpAnswer> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${testToken(caller.roles ?? ['user'], caller.user)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

export async function startSessionChain(name: string): Promise<SessionChain> {
  const prefix = `${testPrefix(name)}.`;
  const shared = { KAFKA_TOPIC_PREFIX: prefix };
  const registry = await startServiceForTest('apps/process-registry/src/main.ts', shared);
  const definitions = registry.client<PromiseClient<RegistryProto.ProcessDefinitionServiceClient>>(
    ProtoFiles.registry,
    'flowline.registry.v1.ProcessDefinitionService',
    ['author'],
  );
  for (const file of ['customer-survey.dialog.yaml', 'account-onboarding.workflow.yaml']) {
    const saved = await definitions.saveDefinition({
      source: example(file),
      format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML,
      id: '',
      expectedRowVersion: 0,
    });
    await definitions.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
  }
  const gateway = await startServiceForTest('apps/event-gateway/src/main.ts', { ...shared, REGISTRY_ADDRESS: registry.grpcAddress });
  const sessions = await startServiceForTest('apps/session-service/src/main.ts', {
    ...shared,
    REGISTRY_ADDRESS: registry.grpcAddress,
    GATEWAY_ADDRESS: gateway.grpcAddress,
  });
  const handles: Array<GrpcClientHandle<SessionProto.SessionServiceClient>> = [];
  const kafka = new Kafka({ clientId: `${name}-test`, brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING });
  const chain: SessionChain = {
    registry,
    gateway,
    sessions,
    prefix,
    api: (method, url, body, caller = ALICE) => http(sessions.httpUrl, method, url, body, caller),
    gateway$: (method, url, body, caller = ALICE) => http(gateway.httpUrl, method, url, body, caller),
    grpc(caller = ALICE) {
      const handle = createGrpcClient<SessionProto.SessionServiceClient>(ProtoFiles.session, 'flowline.session.v1.SessionService', {
        address: sessions.grpcAddress,
        token: testToken(caller.roles ?? ['user'], caller.user),
      });
      handles.push(handle);
      return handle.client;
    },
    async read(topic, until) {
      const consumer = kafka.consumer({ groupId: `${prefix}reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: `${prefix}${topic}`, fromBeginning: true });
      const received: KafkaMessage[] = [];
      await consumer.run({
        eachMessage: async ({ message }: EachMessagePayload) => {
          received.push({
            key: message.key?.toString() ?? '',
            envelope: JSON.parse(message.value!.toString()) as KafkaMessage['envelope'],
          });
        },
      });
      try {
        await waitFor(() => until(received), { timeoutMs: 20_000, what: `messages on ${topic}` });
        return received;
      } finally {
        await consumer.disconnect();
      }
    },
    async contact(firstname, lastname, caller = ALICE) {
      const created = await chain.gateway$(
        'POST',
        '/api/v1/records/contact',
        { firstname, lastname, fullname: `${firstname} ${lastname}` },
        caller,
      );
      if (created.status !== 201) throw new Error(`the contact was not created: ${JSON.stringify(created.body)}`);
      return String(created.body['id']);
    },
    async stop() {
      for (const handle of handles) handle.close();
      await sessions.stop();
      await gateway.stop();
      await registry.stop();
    },
  };
  return chain;
}
