/**
 * Schema validation of Kubernetes objects by kind: the typed models of kubernetes-models and
 * @kubernetes-models/keda (JSON schemas of the Kubernetes and KEDA APIs), and a structural check
 * of Strimzi's KafkaTopic, for which no model package is installed.
 */
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { z } from 'zod';
import type { K8sObject } from './kustomize';

interface Validatable {
  validate(): void;
}

const MODELS: Record<string, (object: K8sObject) => Validatable> = {
  'v1/ConfigMap': (o) => new ConfigMap(o as never),
  'v1/Namespace': (o) => new Namespace(o as never),
  'v1/Service': (o) => new Service(o as never),
  'apps/v1/Deployment': (o) => new Deployment(o as never),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o as never),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o as never),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o as never),
  'keda.sh/v1alpha1/ScaledObject': (o) => new ScaledObject(o as never),
  'keda.sh/v1alpha1/TriggerAuthentication': (o) => new TriggerAuthentication(o as never),
};

/** Kubernetes object names: DNS-1123 subdomains (lower case, digits, '-' and '.'). */
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Names used in DNS (Services, Namespaces) are single DNS-1123 labels. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Strimzi kafka.strimzi.io/v1beta2 KafkaTopic: the fields the topic operator requires or we rely on. */
export const KafkaTopicSchema = z.strictObject({
  apiVersion: z.literal('kafka.strimzi.io/v1beta2'),
  kind: z.literal('KafkaTopic'),
  metadata: z.object({
    name: z.string().regex(DNS_SUBDOMAIN),
    namespace: z.string().optional(),
    labels: z.looseObject({ 'strimzi.io/cluster': z.string().regex(DNS_LABEL) }),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.strictObject({
    topicName: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/),
    partitions: z.number().int().min(1),
    replicas: z.number().int().min(1).max(32767),
    config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
});

/** Throws with the object's identity and the schema's complaint when the object is not valid. */
export function validateObject(object: K8sObject): void {
  const where = `${object.kind} ${object.metadata.name}`;
  const nameRule = ['Service', 'Namespace'].includes(object.kind) ? DNS_LABEL : DNS_SUBDOMAIN;
  if (!nameRule.test(object.metadata.name)) throw new Error(`${where}: metadata.name is not a valid Kubernetes name`);
  if (object.kind === 'KafkaTopic') {
    const parsed = KafkaTopicSchema.safeParse(object);
    if (!parsed.success) throw new Error(`${where}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return;
  }
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!model) throw new Error(`${where}: ${object.apiVersion} ${object.kind} is no kind the deployment checks know how to validate`);
  try {
    model(object).validate();
  } catch (error) {
    throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
