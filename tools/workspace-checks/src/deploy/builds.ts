/** The built base and overlays, and each service's container and resolved configuration in a build. */
import { generateKeyPairSync } from 'node:crypto';
import * as path from 'node:path';
import type { z } from 'zod';
import { ALL_SERVICES, type ServiceDescriptor } from '@flowline/contracts';
import { loadConfig } from '@flowline/service-kit';
import { CONFIG_SHAPES } from './app-configs';
import { BUILDS, K8S_ROOT, containerEnvironment, findOne, type BuildName, type Container, type Deployment, type ResolvedEnv } from './k8s';
import { kustomizeBuild, type K8sObject } from './kustomize';

const standInKey = generateKeyPairSync('ed25519');

/**
 * What the Secrets `flowline-secrets` and `<service>-credentials` hold in a cluster set up with
 * `npm run service-keys` (each service its own key; a cluster using the issuer's client
 * credentials holds SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET instead); they are created
 * outside the manifests.
 */
export const SECRET_STAND_INS: Record<string, string> = {
  DATABASE_URL: 'postgres://flowline:stand-in-password@postgres.example:5432/flowline',
  AUTH_SERVICE_KEYS: JSON.stringify({ keys: [{ ...standInKey.publicKey.export({ format: 'jwk' }), kid: 'stand-in', alg: 'EdDSA' }] }),
  SERVICE_KEY: JSON.stringify({ ...standInKey.privateKey.export({ format: 'jwk' }), kid: 'stand-in', alg: 'EdDSA' }),
};

const cache = new Map<BuildName, K8sObject[]>();

/** A fresh copy of `kustomize build` of the base or an overlay. */
export function build(name: BuildName): K8sObject[] {
  if (!cache.has(name)) cache.set(name, kustomizeBuild(path.join(K8S_ROOT, BUILDS[name])));
  return structuredClone(cache.get(name)!);
}

export interface DeployedService {
  descriptor: ServiceDescriptor;
  shape: z.ZodRawShape;
  deployment: Deployment;
  container: Container;
  env: ResolvedEnv;
  /** The service's configuration as it would load it in the pod. */
  config: Record<string, unknown> & { HTTP_PORT: number; GRPC_PORT: number; SHUTDOWN_GRACE_MS: number; HOST: string };
}

export function deployedServices(objects: K8sObject[]): DeployedService[] {
  return ALL_SERVICES.map((descriptor) => {
    const deployment = findOne<Deployment>(objects, 'Deployment', descriptor.name);
    const containers = deployment.spec.template.spec.containers;
    if (containers.length !== 1 || containers[0]!.name !== descriptor.name) {
      throw new Error(
        `${descriptor.name}: one container named after the service expected, found ${containers.map((c) => c.name).join(', ')}`,
      );
    }
    const container = containers[0]!;
    const env = containerEnvironment(container, objects, SECRET_STAND_INS);
    const shape = CONFIG_SHAPES[descriptor.name];
    const config = loadConfig(descriptor.name, shape, env.values) as DeployedService['config'];
    return { descriptor, shape, deployment, container, env, config };
  });
}
