/** The registry's OpenAPI document: every REST route of definitions, steps and entities. */
import type { OpenApiDocumentOptions } from '@flowline/service-kit';
import { EntityRoutes } from './entity-metadata/entity-metadata.http.routes';
import { DefinitionRoutes } from './process-definitions/process-definition.http.routes';
import { StepRoutes } from './step-registrations/step-registration.http.routes';

export const REGISTRY_OPENAPI: OpenApiDocumentOptions = {
  title: 'Flowline process registry',
  version: '1',
  description:
    'Process definitions (workflows and dialogs) and their versions, plug-in step registrations and entity metadata. The same rules, roles and error codes as the registry gRPC API.',
  routes: [...Object.values(DefinitionRoutes), ...Object.values(StepRoutes), ...Object.values(EntityRoutes)],
};
