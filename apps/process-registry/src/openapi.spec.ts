import { buildOpenApiDocument } from '@flowline/service-kit';
import { controllerRoutes, documentedRoutes } from '@flowline/service-testing';
import { EntityMetadataHttpController } from './entity-metadata/entity-metadata.http.controller';
import { REGISTRY_OPENAPI } from './openapi';
import { ProcessDefinitionHttpController } from './process-definitions/process-definition.http.controller';
import { StepRegistrationHttpController } from './step-registrations/step-registration.http.controller';

describe("the registry's OpenAPI document", () => {
  it('lists every route its HTTP controllers serve, and no other', () => {
    const served = controllerRoutes([ProcessDefinitionHttpController, StepRegistrationHttpController, EntityMetadataHttpController]);
    expect(documentedRoutes(buildOpenApiDocument(REGISTRY_OPENAPI))).toEqual(served);
    expect(served).toHaveLength(22);
  });
});
