/**
 * Reads docker-compose.yml the way `docker compose` would for the parts tests check: each
 * service's environment with `${VAR:-default}` interpolated from an (empty) environment.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './service-process';

export interface ComposeService {
  image?: string;
  build?: { context?: string; args?: Record<string, string> };
  environment?: Record<string, string | number>;
  ports?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** `${VAR}`, `${VAR:-default}` and `${VAR:?message}` (which fails when VAR is unset, as compose does). */
export function interpolate(value: string, env: Record<string, string | undefined> = {}): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}/g,
    (_match, name: string, operator: string | undefined, argument: string | undefined) => {
      const given = env[name];
      if (given) return given;
      if (operator === '?') throw new Error(`docker compose would stop: ${name}: ${argument ?? 'is required'}`);
      return operator === '-' ? (argument ?? '') : '';
    },
  );
}

export function readComposeFile(file = path.join(REPO_ROOT, 'docker-compose.yml')): ComposeFile {
  // `merge: true` resolves the `<<: *service` anchors the file uses.
  return parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
}

export function composeEnvironment(serviceName: string, env: Record<string, string | undefined> = {}): Record<string, string> {
  const service = readComposeFile().services[serviceName];
  if (!service) throw new Error(`docker-compose.yml has no service '${serviceName}'`);
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), env)]));
}
