/** The executor's OpenAPI document: system jobs, bulk actions on them, on-demand workflow starts and dead letters. */
import type { OpenApiDocumentOptions } from '@flowline/service-kit';
import { DeadLetterRoutes } from './dead-letters/dead-letters.http.routes';
import { OnDemandRoutes } from './on-demand/on-demand.http.routes';
import { BulkActionRoutes } from './operations/bulk-actions.http.routes';
import { HealthHistoryRoutes } from './operations/health-history.http.routes';
import { OperationRoutes } from './operations/operations.http.routes';

export const EXECUTOR_OPENAPI: OpenApiDocumentOptions = {
  title: 'Flowline async executor',
  version: '1',
  description:
    'Async operations (system jobs): list, inspect, cancel, pause, resume, postpone, retry and delete, one at a time or in bulk by a filter; on-demand workflow starts; dead letters: list, search, inspect, edit, replay and discard; the recent health history for charts.',
  routes: [
    ...Object.values(OperationRoutes),
    ...Object.values(BulkActionRoutes),
    ...Object.values(OnDemandRoutes),
    ...Object.values(DeadLetterRoutes),
    ...Object.values(HealthHistoryRoutes),
  ],
};
