/** The session service's OpenAPI document: dialog sessions (the runner's page and assets are not an API). */
import type { OpenApiDocumentOptions } from '@flowline/service-kit';
import { TraceRoutes } from './console/traces.http.routes';
import { SessionRoutes } from './sessions/sessions.http.routes';

export const SESSION_OPENAPI: OpenApiDocumentOptions = {
  title: 'Flowline session service',
  version: '1',
  description:
    'Dialog process sessions: start one on a record, answer its pages, go back, cancel, search lookups. Each answer carries the session rowVersion as the ETag: send it back as pageToken (or If-Match). The dialog runner page is served at /dialogs/{dialog}/run. Traces: one trace as the operator console shows it.',
  routes: [...Object.values(SessionRoutes), ...Object.values(TraceRoutes)],
};
