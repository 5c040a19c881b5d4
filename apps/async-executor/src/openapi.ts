/** The executor's OpenAPI document: system jobs and on-demand workflow starts. */
import type { OpenApiDocumentOptions } from '@flowline/service-kit';
import { OnDemandRoutes } from './on-demand/on-demand.http.routes';
import { OperationRoutes } from './operations/operations.http.routes';

export const EXECUTOR_OPENAPI: OpenApiDocumentOptions = {
  title: 'Flowline async executor',
  version: '1',
  description:
    'Async operations (system jobs): list, inspect, cancel, pause, resume, postpone, retry and delete; on-demand workflow starts.',
  routes: [...Object.values(OperationRoutes), ...Object.values(OnDemandRoutes)],
};
