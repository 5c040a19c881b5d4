/**
 * Autoscaling and Kafka provisioning in deploy/k8s agree with the code: the executor's KEDA
 * triggers watch the topic and consumer group the dispatcher really uses (contracts, behind
 * KAFKA_TOPIC_PREFIX) and the table the workers really claim from; the gateway's HPA has a CPU
 * request to measure against; the KafkaTopics are the topics of contracts on the cluster the
 * services connect to.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AsyncOperationState, ConsumerGroups, Services, TopicSpecs, Topics } from '@flowline/contracts';
import { TopicNames } from '@flowline/messaging';
import { build, deployedServices } from './deploy/builds';
import { BUILDS, REPO_ROOT, findAll, findOne, parseQuantity, type BuildName } from './deploy/k8s';
import type { K8sObject } from './deploy/kustomize';

/** The Strimzi Kafka cluster of the manifests (tools/scripts/kafka-topics.ts); its bootstrap Service is `<cluster>-kafka-bootstrap`. */
const STRIMZI_CLUSTER = 'flowline';
/** The depth of the ready queue, as the workers see it: Ready operations whose postpone_until has passed. */
const READY_QUEUE_QUERY = 'SELECT count(*) FROM executor.async_operation WHERE state = 0 AND postpone_until <= now()';

interface ScaledObject extends K8sObject {
  spec: {
    scaleTargetRef: { apiVersion?: string; kind?: string; name: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    fallback?: { failureThreshold: number; replicas: number };
    triggers: Array<{ type: string; name?: string; metadata: Record<string, string>; authenticationRef?: { name: string; kind?: string } }>;
  };
}
interface TriggerAuthentication extends K8sObject {
  spec: { secretTargetRef?: Array<{ parameter: string; name: string; key: string }> };
}
interface HorizontalPodAutoscaler extends K8sObject {
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    metrics?: Array<{ type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }>;
  };
}
interface KafkaTopic extends K8sObject {
  spec: { topicName: string; partitions: number; replicas: number; config?: Record<string, string | number> };
}

describe('the executor migrations', () => {
  it('create the table and columns the ready-queue trigger counts', () => {
    const directory = path.join(REPO_ROOT, 'apps/async-executor/src/database/migrations');
    const sql = readdirSync(directory)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(path.join(directory, f), 'utf8'))
      .join('\n');
    const create = /CREATE TABLE "executor"\."async_operation" \(([^']*)/.exec(sql)?.[1] ?? '';
    expect(create).toContain('"state" smallint NOT NULL');
    expect(create).toContain('"postpone_until" TIMESTAMP WITH TIME ZONE NOT NULL');
    expect(Services.asyncExecutor.schema).toBe('executor');
    expect(AsyncOperationState.Ready).toBe(0);
  });
});

describe.each(Object.keys(BUILDS) as BuildName[])('autoscaling and topics of the %s build', (buildName) => {
  let objects: K8sObject[];
  let services: ReturnType<typeof deployedServices>;
  let names: TopicNames;
  beforeAll(() => {
    objects = build(buildName);
    services = deployedServices(objects);
    const prefixes = new Set(services.map((s) => String(s.config['KAFKA_TOPIC_PREFIX'])));
    expect(prefixes.size).toBe(1);
    names = new TopicNames([...prefixes][0]);
  });
  const service = (name: string) => services.find((s) => s.descriptor.name === name)!;

  it('scales the executor with KEDA on the lag of its dispatcher group on the pipeline-events topic', () => {
    const scaled = findOne<ScaledObject>(objects, 'ScaledObject', 'async-executor');
    expect(scaled.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: Services.asyncExecutor.name });
    const kafka = scaled.spec.triggers.filter((t) => t.type === 'kafka');
    expect(kafka).toHaveLength(1);
    const executor = service('async-executor');
    expect(kafka[0]!.metadata).toMatchObject({
      topic: names.topic(Topics.pipelineEvents),
      consumerGroup: names.group(ConsumerGroups.executorDispatcher),
      bootstrapServers: String(executor.config['KAFKA_BROKERS']),
      // The dispatcher starts a new group at the beginning of the topic.
      offsetResetPolicy: 'earliest',
    });
    expect(Number(kafka[0]!.metadata['lagThreshold'])).toBeGreaterThan(0);
    // The topic it watches is one the manifests provision.
    expect(findAll<KafkaTopic>(objects, 'KafkaTopic').map((t) => t.spec.topicName)).toContain(kafka[0]!.metadata['topic']);
  });

  it('scales the executor on ready-queue depth, read with the database credentials the executor uses', () => {
    const scaled = findOne<ScaledObject>(objects, 'ScaledObject', 'async-executor');
    const postgres = scaled.spec.triggers.filter((t) => t.type === 'postgresql');
    expect(postgres).toHaveLength(1);
    expect(postgres[0]!.metadata['query']).toBe(READY_QUEUE_QUERY);
    const target = Number(postgres[0]!.metadata['targetQueryValue']);
    // More Ready operations per pod than one pod runs at once: the workers are behind.
    expect(target).toBeGreaterThan(Number(service('async-executor').config['WORKER_CONCURRENCY']));
    const auth = findOne<TriggerAuthentication>(objects, 'TriggerAuthentication', postgres[0]!.authenticationRef!.name);
    const connection = auth.spec.secretTargetRef?.find((ref) => ref.parameter === 'connection');
    expect(`${connection?.name}/${connection?.key}`).toBe(service('async-executor').env.secretRefs['DATABASE_URL']);
  });

  it('keeps the executor between sane bounds, with KEDA the only autoscaler of it', () => {
    const { spec } = findOne<ScaledObject>(objects, 'ScaledObject', 'async-executor');
    expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(spec.maxReplicaCount).toBeGreaterThanOrEqual(spec.minReplicaCount);
    if (spec.fallback) {
      expect(spec.fallback.replicas).toBeGreaterThanOrEqual(spec.minReplicaCount);
      expect(spec.fallback.replicas).toBeLessThanOrEqual(spec.maxReplicaCount);
    }
    // KEDA creates and owns the executor's HPA: a second one would fight it.
    const hpaTargets = findAll<HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name);
    expect(hpaTargets).not.toContain(Services.asyncExecutor.name);
  });

  it('scales the gateway on CPU utilisation, against the CPU its container requests', () => {
    const hpa = findOne<HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'event-gateway');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: Services.eventGateway.name });
    const cpu = hpa.spec.metrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
    expect(cpu?.resource?.target.type).toBe('Utilization');
    expect(cpu?.resource?.target.averageUtilization).toBeGreaterThan(0);
    expect(cpu?.resource?.target.averageUtilization).toBeLessThanOrEqual(100);
    expect(parseQuantity(service('event-gateway').container.resources!.requests!['cpu']!)).toBeGreaterThan(0);
    expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas ?? 1);
  });

  it('provisions every topic of the contracts, named and sized as the services use it, on the cluster they connect to', () => {
    const topics = findAll<KafkaTopic>(objects, 'KafkaTopic');
    expect(topics.map((t) => t.spec.topicName).sort()).toEqual(TopicSpecs.map((spec) => names.topic(spec.name)).sort());
    for (const spec of TopicSpecs) {
      const topic = topics.find((t) => t.spec.topicName === names.topic(spec.name))!;
      expect(topic.spec.partitions).toBe(spec.partitions);
      expect(topic.spec.config).toMatchObject({ 'cleanup.policy': spec.cleanupPolicy, 'retention.ms': spec.retentionMs });
      expect(topic.metadata.labels?.['strimzi.io/cluster']).toBe(STRIMZI_CLUSTER);
      // A write needs min.insync.replicas copies; with more than one replica, one broker may be down.
      const minInSync = Number(topic.spec.config?.['min.insync.replicas'] ?? 1);
      expect(minInSync).toBeLessThanOrEqual(topic.spec.replicas);
      if (topic.spec.replicas > 1) expect(minInSync).toBeLessThan(topic.spec.replicas);
    }
    // Strimzi names the bootstrap Service of cluster X `X-kafka-bootstrap`.
    for (const { config } of services) {
      const hosts = String(config['KAFKA_BROKERS'])
        .split(',')
        .map((broker) => broker.split(':')[0]);
      expect(hosts).toEqual(hosts.map(() => `${STRIMZI_CLUSTER}-kafka-bootstrap`));
    }
  });
});
