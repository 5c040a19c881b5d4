/**
 * The routes a service's HTTP controllers serve (read from their NestJS decorators) beside the
 * operations its OpenAPI document lists, both as `GET /api/v1/things/{id}`, so a test can fail
 * when a controller method has no route description or a description has no controller method.
 */
import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';

const pathsOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [typeof value === 'string' ? value : '']);

/** `METHOD /path/{param}` for every request handler of these controllers. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- a controller is any class
export function controllerRoutes(controllers: ReadonlyArray<Function>): string[] {
  const routes: string[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      for (const base of pathsOf(Reflect.getMetadata(PATH_METADATA, controller)))
        for (const own of pathsOf(path)) {
          const joined = `/${[base, own].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
          routes.push(`${method} ${joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
        }
    }
  }
  return routes.sort();
}

/** `METHOD /path/{param}` for every operation of an OpenAPI document. */
export function documentedRoutes(document: { paths?: Record<string, unknown> }): string[] {
  return Object.entries(document.paths ?? {})
    .flatMap(([path, item]) => Object.keys((item ?? {}) as object).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}
