/** Reading built Kubernetes objects the way the cluster would: env, ports, selectors, quantities. */
import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { HealthModule } from '@flowline/service-kit';
import type { K8sObject } from './kustomize';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');
export const K8S_ROOT = path.join(REPO_ROOT, 'deploy/k8s');
export const BUILDS = { base: 'base', dev: 'overlays/dev', prod: 'overlays/prod' } as const;
export type BuildName = keyof typeof BUILDS;

/* The shapes of the fields the checks read (the models have validated the rest). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } };
}
export interface Probe {
  httpGet?: { path: string; port: string | number };
}
export interface Container {
  name: string;
  image: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
}
export interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
}
export interface Deployment extends K8sObject {
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string> };
    template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}
export interface Service extends K8sObject {
  spec: { selector?: Record<string, string>; ports: Array<{ name?: string; port: number; targetPort?: string | number }> };
}
export interface NetworkPolicyPeer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
}
export interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes?: string[];
    ingress?: Array<{ from?: NetworkPolicyPeer[]; ports?: Array<{ port?: string | number }> }>;
  };
}

export function yamlFilesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

export function findAll<T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

export function findOne<T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} named ${name}, found ${found.length}`);
  return found[0] as T;
}

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  // An empty selector selects everything; a missing one (Service) nothing.
  if (!selector) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** The container port a probe or Service names, by name or number. */
export function resolvePort(container: Container, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

export interface ResolvedEnv {
  values: Record<string, string>;
  /** Variables filled from Secrets: variable -> secret/key. */
  secretRefs: Record<string, string>;
  /** Keys each source contributes, to tell a ConfigMap key from a container's own. */
  configMapKeys: string[];
  containerKeys: string[];
}

/**
 * The environment a container starts with: envFrom ConfigMaps first, then `env` (which wins),
 * Secret references replaced by the given stand-in values (the Secret is not in the manifests;
 * an optional key without one stays unset).
 */
export function containerEnvironment(container: Container, objects: K8sObject[], secretValues: Record<string, string>): ResolvedEnv {
  const values: Record<string, string> = {};
  const secretRefs: Record<string, string> = {};
  const configMapKeys: string[] = [];
  for (const source of container.envFrom ?? []) {
    if (source.secretRef) throw new Error(`${container.name}: envFrom a whole Secret hides which secrets the service reads`);
    const configMap = findOne(objects, 'ConfigMap', source.configMapRef!.name) as K8sObject & { data?: Record<string, string> };
    for (const [key, value] of Object.entries(configMap.data ?? {})) {
      values[key] = value;
      configMapKeys.push(key);
    }
  }
  const containerKeys: string[] = [];
  for (const variable of container.env ?? []) {
    containerKeys.push(variable.name);
    const secret = variable.valueFrom?.secretKeyRef;
    const configMapRef = variable.valueFrom?.configMapKeyRef;
    if (secret) {
      secretRefs[variable.name] = `${secret.name}/${secret.key}`;
      const standIn = secretValues[secret.key];
      // An optional key the Secret does not hold leaves the variable unset, as Kubernetes does.
      if (standIn === undefined && secret.optional) continue;
      if (standIn === undefined) throw new Error(`${container.name}: no stand-in value for secret key ${secret.key}`);
      values[variable.name] = standIn;
    } else if (configMapRef) {
      const configMap = findOne(objects, 'ConfigMap', configMapRef.name) as K8sObject & { data?: Record<string, string> };
      const value = configMap.data?.[configMapRef.key];
      if (value === undefined) throw new Error(`${container.name}: ConfigMap ${configMapRef.name} has no key ${configMapRef.key}`);
      values[variable.name] = value;
    } else {
      values[variable.name] = variable.value ?? '';
    }
  }
  return { values, secretRefs, configMapKeys, containerKeys };
}

/** Kubernetes quantities: CPU in cores ("250m", "2"), memory in bytes ("512Mi", "1Gi", "1G"). */
export function parseQuantity(quantity: string | number): number {
  const match = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(quantity));
  if (!match) throw new Error(`not a quantity: ${quantity}`);
  const factors: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(match[1]) * (match[2] ? factors[match[2]]! : 1);
}

/** How long the preStop hook delays SIGTERM, in milliseconds. */
export function preStopDelayMs(container: Container): number {
  const preStop = container.lifecycle?.preStop;
  if (!preStop) return 0;
  if (preStop.sleep) return preStop.sleep.seconds * 1000;
  const command = preStop.exec?.command ?? [];
  if (command[0] === 'sleep' && command.length === 2 && /^\d+$/.test(command[1]!)) return Number(command[1]) * 1000;
  throw new Error(`${container.name}: a preStop hook the checks cannot time: ${JSON.stringify(preStop)}`);
}

/** Whether a NetworkPolicy lets a pod with `fromLabels` in the same namespace (or `fromNamespaceLabels`) reach `port`. */
export function allowsIngress(
  policy: NetworkPolicy,
  container: Container,
  port: number,
  from: { podLabels?: Record<string, string>; namespaceLabels?: Record<string, string> },
): boolean {
  if (!policy.spec.policyTypes?.includes('Ingress') && !policy.spec.ingress) return true;
  return (policy.spec.ingress ?? []).some((rule) => {
    const portAllowed = !rule.ports || rule.ports.some((p) => p.port === undefined || resolvePort(container, p.port) === port);
    const peerAllowed =
      !rule.from ||
      rule.from.some((peer) => {
        if (peer.namespaceSelector) {
          // Another namespace: allowed when the namespace matches (and any pod in it, if no podSelector).
          return !!from.namespaceLabels && selects(peer.namespaceSelector.matchLabels ?? {}, from.namespaceLabels) && !peer.podSelector;
        }
        return !!from.podLabels && !from.namespaceLabels && selects(peer.podSelector?.matchLabels ?? {}, from.podLabels);
      });
    return portAllowed && peerAllowed;
  });
}

export interface HttpRoute {
  handler: string;
  method: string;
  path: string;
}

/** The GET routes of the health module every service mounts, read from Nest's route metadata. */
export function healthRoutes(): HttpRoute[] {
  const controllers = (HealthModule.forService('probe').controllers ?? []) as Array<new (...args: never[]) => object>;
  const routes: HttpRoute[] = [];
  for (const controller of controllers) {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const prototype = controller.prototype as Record<string, unknown>;
    for (const handler of Object.getOwnPropertyNames(prototype)) {
      const fn = prototype[handler];
      if (typeof fn !== 'function' || handler === 'constructor') continue;
      const routePath = Reflect.getMetadata(PATH_METADATA, fn) as string | undefined;
      if (routePath === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, fn) as RequestMethod];
      const joined = `/${[prefix, routePath]
        .map((p) => p.replace(/^\/|\/$/g, ''))
        .filter(Boolean)
        .join('/')}`;
      routes.push({ handler, method, path: joined });
    }
  }
  return routes;
}
