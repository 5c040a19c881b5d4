/**
 * deploy/k8s is checked here because no cluster, kubectl or kustomize runs on these machines:
 * every file parses, the base and each overlay are built (a strict in-test kustomize subset) and
 * every object validates against the Kubernetes and KEDA schemas, and the Deployments agree with
 * the services themselves: configuration schemas, ports of the service descriptors, the health
 * module's routes, the shutdown grace period.
 */
import * as path from 'node:path';
import { ALL_SERVICES } from '@flowline/contracts';
import { ALL_SETTING_KEYS, isExternalSetting } from './deploy/app-configs';
import { build, deployedServices } from './deploy/builds';
import {
  BUILDS,
  K8S_ROOT,
  allowsIngress,
  findAll,
  findOne,
  healthRoutes,
  parseQuantity,
  preStopDelayMs,
  resolvePort,
  selects,
  yamlFilesUnder,
  type BuildName,
  type Deployment,
  type NetworkPolicy,
  type Service,
} from './deploy/k8s';
import { readKustomization, readYamlDocuments, type K8sObject } from './deploy/kustomize';
import { validateObject } from './deploy/models';

const BUILD_NAMES = Object.keys(BUILDS) as BuildName[];
const MONITORING_NAMESPACE = { 'kubernetes.io/metadata.name': 'monitoring' };
/** Services whose HTTP and gRPC ports anyone may reach; the others only Flowline's own pods. */
const PUBLIC_PORTS: Record<string, Array<'http' | 'grpc'>> = {
  'event-gateway': ['http', 'grpc'],
  'session-service': ['http'],
  'process-registry': [],
  'async-executor': [],
};

describe('deploy/k8s files', () => {
  const files = yamlFilesUnder(K8S_ROOT);
  const kustomizationDirs = files.filter((f) => path.basename(f) === 'kustomization.yaml').map((f) => path.dirname(f));
  const resources = new Set<string>();
  const patches = new Set<string>();
  beforeAll(() => {
    for (const directory of kustomizationDirs) {
      const kustomization = readKustomization(directory);
      kustomization.resources.forEach((r) => resources.add(path.resolve(directory, r)));
      kustomization.patches?.forEach((p) => patches.add(path.resolve(directory, p.path)));
    }
  });

  it('are a base and the dev and prod overlays', () => {
    expect(kustomizationDirs.map((d) => path.relative(K8S_ROOT, d)).sort()).toEqual(Object.values(BUILDS).sort());
  });

  it('parse, and every resource file validates against its API schema', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const documents = readYamlDocuments(file);
      expect(documents.length).toBeGreaterThan(0);
      if (resources.has(file)) for (const document of documents) validateObject(document as K8sObject);
    }
  });

  it('are each used by a kustomization, as a resource or a patch', () => {
    const unused = files.filter((f) => path.basename(f) !== 'kustomization.yaml' && !resources.has(f) && !patches.has(f));
    expect(unused).toEqual([]);
  });

  it('hold no Secret: flowline-secrets is created outside the repository', () => {
    for (const file of files) {
      for (const document of readYamlDocuments(file)) expect((document as K8sObject).kind).not.toBe('Secret');
    }
  });
});

describe.each(BUILD_NAMES)('the %s build', (buildName) => {
  let objects: K8sObject[];
  let services: ReturnType<typeof deployedServices>;
  beforeAll(() => {
    objects = build(buildName);
    services = deployedServices(objects);
  });

  it('validates, object by object, against the Kubernetes and KEDA schemas (KafkaTopic: its structure)', () => {
    const problems: string[] = [];
    for (const object of objects) {
      try {
        validateObject(object);
      } catch (error) {
        problems.push(String(error));
      }
    }
    expect(problems).toEqual([]);
  });

  it('has a Deployment, Service, PodDisruptionBudget and NetworkPolicy per service, the ConfigMap and the autoscalers', () => {
    const names = ALL_SERVICES.map((s) => s.name).sort();
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'NetworkPolicy']) {
      expect(
        findAll(objects, kind)
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(names);
    }
    expect(findAll(objects, 'ConfigMap').map((o) => o.metadata.name)).toEqual(['flowline-config']);
    expect(findAll(objects, 'ScaledObject').map((o) => o.metadata.name)).toEqual(['async-executor']);
    expect(findAll(objects, 'HorizontalPodAutoscaler').map((o) => o.metadata.name)).toEqual(['event-gateway']);
  });

  it('gives each service an environment its own configuration schema accepts, with secrets only from the Secrets, and no shared token secret', () => {
    for (const { descriptor, shape, env, config } of services) {
      // No shared token secret in production: each service its own credential, all of them the public keys.
      expect(env.secretRefs).toEqual({
        DATABASE_URL: 'flowline-secrets/DATABASE_URL',
        AUTH_SERVICE_KEYS: 'flowline-secrets/AUTH_SERVICE_KEYS',
        SERVICE_KEY: `${descriptor.name}-credentials/SERVICE_KEY`,
        SERVICE_CLIENT_ID: `${descriptor.name}-credentials/SERVICE_CLIENT_ID`,
        SERVICE_CLIENT_SECRET: `${descriptor.name}-credentials/SERVICE_CLIENT_SECRET`,
      });
      expect(env.values['AUTH_JWT_SECRET']).toBeUndefined();
      expect(env.configMapKeys.filter((key) => /SECRET|PASSWORD|TOKEN|DATABASE_URL/.test(key))).toEqual([]);
      // A misspelt setting would be ignored silently by the service: refuse keys no schema reads.
      expect(env.containerKeys.filter((key) => !(key in shape) && !isExternalSetting(key))).toEqual([]);
      expect(env.configMapKeys.filter((key) => !ALL_SETTING_KEYS.has(key) && !isExternalSetting(key))).toEqual([]);
      expect(config.HOST).toBe('0.0.0.0');
      expect(env.values['OTEL_SERVICE_NAME']).toBe(descriptor.name);
    }
  });

  it('runs each service with the heap limit of its service descriptor, and no other V8 flag', () => {
    for (const { descriptor, env } of services) {
      const expected = descriptor.maxOldSpaceMb ? `--max-old-space-size=${descriptor.maxOldSpaceMb}` : undefined;
      expect({ service: descriptor.name, NODE_OPTIONS: env.values['NODE_OPTIONS'] }).toEqual({
        service: descriptor.name,
        NODE_OPTIONS: expected,
      });
    }
  });

  it('serves HTTP and gRPC on the ports of the service descriptors, through the Service', () => {
    for (const { descriptor, container, config } of services) {
      expect([config.HTTP_PORT, config.GRPC_PORT]).toEqual([descriptor.httpPort, descriptor.grpcPort]);
      expect(resolvePort(container, 'http')).toBe(config.HTTP_PORT);
      expect(resolvePort(container, 'grpc')).toBe(config.GRPC_PORT);
      const service = findOne<Service>(objects, 'Service', descriptor.name);
      for (const name of ['http', 'grpc']) {
        const port = service.spec.ports.find((p) => p.name === name);
        expect(port?.port).toBe(resolvePort(container, name));
        expect(resolvePort(container, port?.targetPort ?? port?.port)).toBe(port?.port);
      }
    }
  });

  it("probes the health module's liveness and readiness routes on the HTTP port, and announces /metrics there", () => {
    const routes = healthRoutes();
    const route = (handler: string) => routes.find((r) => r.handler === handler && r.method === 'GET')?.path;
    expect([route('live'), route('ready'), route('prometheus')]).toEqual(['/health/live', '/health/ready', '/metrics']);
    for (const { deployment, container, config } of services) {
      const probes = { liveness: container.livenessProbe, readiness: container.readinessProbe, startup: container.startupProbe };
      expect(probes.liveness?.httpGet?.path).toBe(route('live'));
      expect(probes.readiness?.httpGet?.path).toBe(route('ready'));
      // A startup probe must not wait for dependencies: it guards liveness only.
      expect(probes.startup?.httpGet?.path ?? route('live')).toBe(route('live'));
      for (const probe of Object.values(probes)) if (probe) expect(resolvePort(container, probe.httpGet!.port)).toBe(config.HTTP_PORT);
      const annotations = deployment.spec.template.metadata.annotations ?? {};
      expect(annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(config.HTTP_PORT),
        'prometheus.io/path': route('prometheus'),
      });
    }
  });

  it('lets each service finish its graceful shutdown before Kubernetes kills it', () => {
    for (const { deployment, container, config } of services) {
      const graceSeconds = deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      // The period covers the preStop hook and then the service's own SHUTDOWN_GRACE_MS after SIGTERM.
      expect(graceSeconds * 1000).toBeGreaterThan(config.SHUTDOWN_GRACE_MS + preStopDelayMs(container));
    }
  });

  it('runs every container as a non-root user under the restricted Pod Security Standard', () => {
    for (const { deployment, container } of services) {
      const pod = deployment.spec.template.spec.securityContext ?? {};
      const own = container.securityContext ?? {};
      expect(own.runAsNonRoot ?? pod.runAsNonRoot).toBe(true);
      // The image's user is named (`node`): the kubelet can only verify non-root with a numeric id.
      expect(own.runAsUser ?? pod.runAsUser).toBeGreaterThan(0);
      expect(pod.seccompProfile?.type).toBe('RuntimeDefault');
      expect(own.allowPrivilegeEscalation).toBe(false);
      expect(own.privileged ?? false).toBe(false);
      expect(own.capabilities?.drop).toContain('ALL');
      expect(own.capabilities?.add ?? []).toEqual([]);
      expect(own.readOnlyRootFilesystem).toBe(true);
    }
  });

  it('runs each service from its own image, with CPU and memory requested and limited, requests within limits', () => {
    for (const { container } of services) {
      const { requests = {}, limits = {} } = container.resources ?? {};
      for (const resource of ['cpu', 'memory']) {
        expect(parseQuantity(requests[resource]!)).toBeGreaterThan(0);
        expect(parseQuantity(requests[resource]!)).toBeLessThanOrEqual(parseQuantity(limits[resource]!));
      }
      // The image is the service's own (whatever registry an overlay's `images:` names), pinned by tag or digest.
      expect(container.image).toMatch(new RegExp(`(^|/)${container.name}(:[\\w][\\w.-]*|@sha256:[a-f0-9]{64})$`));
    }
  });

  it("selects each service's pods, and no other service's, from its Deployment, Service, PodDisruptionBudget and NetworkPolicy", () => {
    for (const { descriptor } of services) {
      const selectors: Record<string, Record<string, string> | undefined> = {
        deployment: findOne<Deployment>(objects, 'Deployment', descriptor.name).spec.selector.matchLabels,
        service: findOne<Service>(objects, 'Service', descriptor.name).spec.selector,
        pdb: (
          findOne(objects, 'PodDisruptionBudget', descriptor.name) as K8sObject & {
            spec: { selector: { matchLabels?: Record<string, string> } };
          }
        ).spec.selector.matchLabels,
        networkPolicy: findOne<NetworkPolicy>(objects, 'NetworkPolicy', descriptor.name).spec.podSelector.matchLabels,
      };
      for (const [kind, selector] of Object.entries(selectors)) {
        const selected = services
          .filter((s) => selects(selector, s.deployment.spec.template.metadata.labels))
          .map((s) => s.descriptor.name);
        expect({ kind, selected }).toEqual({ kind, selected: [descriptor.name] });
      }
    }
  });

  it('lets each service reach the gRPC addresses its settings name, and Prometheus reach /metrics', () => {
    const checked: string[] = [];
    for (const caller of services) {
      for (const [key, value] of Object.entries(caller.config)) {
        if (!key.endsWith('_ADDRESS')) continue;
        const [host, port] = String(value).split(':');
        const service = findOne<Service>(objects, 'Service', host!);
        const servicePort = service.spec.ports.find((p) => p.port === Number(port));
        expect(servicePort).toBeDefined();
        const target = services.find((s) => selects(service.spec.selector, s.deployment.spec.template.metadata.labels))!;
        const targetPort = resolvePort(target.container, servicePort!.targetPort ?? servicePort!.port);
        expect(targetPort).toBe(target.config.GRPC_PORT);
        const policy = findOne<NetworkPolicy>(objects, 'NetworkPolicy', target.descriptor.name);
        expect(allowsIngress(policy, target.container, targetPort!, { podLabels: caller.deployment.spec.template.metadata.labels })).toBe(
          true,
        );
        checked.push(`${caller.descriptor.name} -> ${key}`);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'event-gateway -> REGISTRY_ADDRESS',
        'async-executor -> GATEWAY_ADDRESS',
        'session-service -> REGISTRY_ADDRESS',
      ]),
    );
    for (const { descriptor, container, config } of services) {
      const policy = findOne<NetworkPolicy>(objects, 'NetworkPolicy', descriptor.name);
      expect(allowsIngress(policy, container, config.HTTP_PORT, { namespaceLabels: MONITORING_NAMESPACE })).toBe(true);
    }
  });

  it('keeps internal ports closed to pods that are not part of Flowline', () => {
    const stranger = { podLabels: { 'app.kubernetes.io/name': 'something-else' } };
    for (const { descriptor, container, config } of services) {
      const policy = findOne<NetworkPolicy>(objects, 'NetworkPolicy', descriptor.name);
      const open = (['http', 'grpc'] as const).filter((port) =>
        allowsIngress(policy, container, port === 'http' ? config.HTTP_PORT : config.GRPC_PORT, stranger),
      );
      expect({ service: descriptor.name, open }).toEqual({ service: descriptor.name, open: PUBLIC_PORTS[descriptor.name] });
    }
  });

  if (buildName !== 'base') {
    it("puts every object into the overlay's namespace, which enforces the restricted Pod Security Standard", () => {
      const namespace = readKustomization(path.join(K8S_ROOT, BUILDS[buildName])).namespace!;
      const [namespaceObject, ...others] = findAll(objects, 'Namespace');
      expect(others).toEqual([]);
      expect(namespaceObject?.metadata.name).toBe(namespace);
      expect(namespaceObject?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      expect(
        objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== namespace).map((o) => `${o.kind}/${o.metadata.name}`),
      ).toEqual([]);
    });
  }
});

describe('the overlays', () => {
  const replicas = (name: BuildName) =>
    Object.fromEntries(findAll<Deployment>(build(name), 'Deployment').map((d) => [d.metadata.name, d.spec.replicas ?? 1]));
  const resources = (name: BuildName, service: string) => {
    const { container } = deployedServices(build(name)).find((s) => s.descriptor.name === service)!;
    const { requests = {}, limits = {} } = container.resources ?? {};
    return [requests['cpu'], requests['memory'], limits['cpu'], limits['memory']].map((q) => parseQuantity(q!));
  };
  const autoscalerMax = (name: BuildName) => {
    const objects = build(name);
    const hpa = findOne(objects, 'HorizontalPodAutoscaler', 'event-gateway') as K8sObject & {
      spec: { minReplicas: number; maxReplicas: number };
    };
    const scaled = findOne(objects, 'ScaledObject', 'async-executor') as K8sObject & {
      spec: { minReplicaCount: number; maxReplicaCount: number };
    };
    return { gateway: [hpa.spec.minReplicas, hpa.spec.maxReplicas], executor: [scaled.spec.minReplicaCount, scaled.spec.maxReplicaCount] };
  };

  it('dev runs one pod of each service and lets no autoscaler add pods', () => {
    expect(Object.values(replicas('dev'))).toEqual(ALL_SERVICES.map(() => 1));
    expect(autoscalerMax('dev')).toEqual({ gateway: [1, 1], executor: [1, 1] });
  });

  it('prod runs more pods, with bigger requests and limits, and scales further than the base', () => {
    const base = replicas('base');
    for (const [service, count] of Object.entries(replicas('prod'))) {
      expect(count).toBeGreaterThan(replicas('dev')[service]!);
      expect(count).toBeGreaterThanOrEqual(base[service]!);
      const [prod, baseResources] = [resources('prod', service), resources('base', service)];
      prod.forEach((quantity, index) => expect(quantity).toBeGreaterThan(baseResources[index]!));
    }
    const [prodMax, baseMax] = [autoscalerMax('prod'), autoscalerMax('base')];
    expect(prodMax.gateway[1]).toBeGreaterThan(baseMax.gateway[1]!);
    expect(prodMax.executor[1]).toBeGreaterThan(baseMax.executor[1]!);
    expect(prodMax.gateway[0]).toBeGreaterThanOrEqual(baseMax.gateway[0]!);
    expect(prodMax.executor[0]).toBeGreaterThanOrEqual(baseMax.executor[0]!);
  });
});
