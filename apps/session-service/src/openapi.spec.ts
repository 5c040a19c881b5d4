import { buildOpenApiDocument } from '@flowline/service-kit';
import { controllerRoutes, documentedRoutes } from '@flowline/service-testing';
import { SESSION_OPENAPI } from './openapi';
import { ConsoleController } from './console/console.controller';
import { TracesHttpController } from './console/traces.http.controller';
import { RunnerController } from './runner/runner.controller';
import { SessionsHttpController } from './sessions/sessions.http.controller';

describe("the session service's OpenAPI document", () => {
  it('lists every route of its sessions API, and no other; the runner page, the console and their assets are not an API', () => {
    const served = controllerRoutes([SessionsHttpController, TracesHttpController]);
    expect(documentedRoutes(buildOpenApiDocument(SESSION_OPENAPI))).toEqual(served);
    expect(served).toHaveLength(8);
    expect(controllerRoutes([RunnerController])).toEqual([
      'GET /dialogs/assets/runner.css',
      'GET /dialogs/assets/runner.js',
      'GET /dialogs/{dialog}/run',
    ]);
    // The operator console's page and assets (its API calls go through the forwarder middleware).
    expect(controllerRoutes([ConsoleController])).toEqual(['GET /console', 'GET /console/assets/{file}']);
  });
});
