/**
 * The configuration schema of each service, as its app defines it (apps/<app>/src/config.ts),
 * for checking that deployment files give every service a valid environment.
 *
 * Tools may not depend on apps (the module-boundary rule). These deployment checks are the one
 * deliberate exception, for tests only: the manifests must satisfy the apps' real schemas, not a
 * copy that can drift. Nothing outside tools/workspace-checks/src/deploy imports this file.
 */
/* eslint-disable @nx/enforce-module-boundaries */
import { ExecutorConfigShape } from '../../../../apps/async-executor/src/config';
import { GatewayConfigShape } from '../../../../apps/event-gateway/src/config';
import { RegistryConfigShape } from '../../../../apps/process-registry/src/config';
import { SessionConfigShape } from '../../../../apps/session-service/src/config';
/* eslint-enable @nx/enforce-module-boundaries */
import type { z } from 'zod';
import type { ServiceDescriptor } from '@flowline/contracts';

export const CONFIG_SHAPES: Record<ServiceDescriptor['name'], z.ZodRawShape> = {
  'async-executor': ExecutorConfigShape,
  'event-gateway': GatewayConfigShape,
  'process-registry': RegistryConfigShape,
  'session-service': SessionConfigShape,
};

/** Variables read outside the zod schemas: by the OpenTelemetry SDK, and NODE_OPTIONS by Node.js itself. */
export const isExternalSetting = (key: string): boolean => key.startsWith('OTEL_') || key === 'NODE_OPTIONS';

/** Every key any service's schema reads (a shared ConfigMap may carry another service's setting). */
export const ALL_SETTING_KEYS: ReadonlySet<string> = new Set(Object.values(CONFIG_SHAPES).flatMap((shape) => Object.keys(shape)));
