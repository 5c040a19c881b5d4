import { buildOpenApiDocument } from '@flowline/service-kit';
import { controllerRoutes, documentedRoutes } from '@flowline/service-testing';
import { MetadataHttpController } from './api/metadata.http.controller';
import { RecordsHttpController } from './api/records.http.controller';
import { GATEWAY_OPENAPI } from './openapi';
import { WebhooksHttpController } from './webhooks/webhooks.http.controller';

describe("the gateway's OpenAPI document", () => {
  it('lists every route its HTTP controllers serve, and no other', () => {
    const served = controllerRoutes([RecordsHttpController, MetadataHttpController, WebhooksHttpController]);
    expect(documentedRoutes(buildOpenApiDocument(GATEWAY_OPENAPI))).toEqual(served);
    expect(served).toHaveLength(8);
  });
});
