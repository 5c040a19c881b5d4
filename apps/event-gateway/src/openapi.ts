/** The gateway's OpenAPI document: any message, the record conveniences and the metadata cache. */
import type { OpenApiDocumentOptions } from '@flowline/service-kit';
import { GatewayRoutes } from './api/gateway.http.routes';

export const GATEWAY_OPENAPI: OpenApiDocumentOptions = {
  title: 'Flowline event gateway',
  version: '1',
  description:
    'The message pipeline over REST, and inbound webhooks that start workflows: every message runs its registered plug-in steps and real-time workflows, and its change is announced as a pipeline event. Records answer with their version as the ETag.',
  routes: Object.values(GatewayRoutes),
};
