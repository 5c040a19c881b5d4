/**
 * The registry's REST API against the real service: definitions as YAML and JSON, steps and
 * entities, with the same rules, codes and roles as over gRPC, and every answer checked
 * against the service's own /openapi.json.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { OpenApiConformance, startServiceForTest, type RunningService } from '@flowline/service-testing';
import { REPO_ROOT, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { REGISTRY_MAIN, registryClients } from '../test/registry-clients';

const example = (file: string) => readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8');
const YAML = 'application/yaml';
type Body = Record<string, unknown>;
const errorOf = (body: unknown) => (body as { error: { code: string; message: string; violations: Body[] } }).error;

describe('registry REST', () => {
  let registry: RunningService;
  let api: OpenApiConformance;
  beforeAll(async () => {
    registry = await startServiceForTest(REGISTRY_MAIN);
    api = await OpenApiConformance.of(registry.httpUrl);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await registry.stop();
  });

  it('serves its OpenAPI 3.1 document without a token', async () => {
    const answer = await fetch(`${registry.httpUrl}/openapi.json`);
    expect(answer.status).toBe(200);
    const document = (await answer.json()) as Body;
    expect(document).toMatchObject({ openapi: '3.1.0', info: { title: 'Flowline process registry' } });
    expect(Object.keys(document['paths'] as Body)).toEqual(expect.arrayContaining(['/api/v1/definitions', '/api/v1/steps/{id}']));
  });

  it('saves YAML, activates, lists versions, deactivates and exports the way gRPC does', async () => {
    const author = { roles: ['author' as const] };
    const saved = await api.call('POST', '/api/v1/definitions', {
      ...author,
      body: example('account-onboarding.workflow.yaml'),
      contentType: YAML,
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ uniqueName: 'account-onboarding', state: 0, activeVersion: 0, createdBy: 'test-author' });
    const id = (saved.body as Body)['id'] as string;
    // What REST saved is what gRPC reads.
    const overGrpc = await registryClients(registry, ['author']).definitions.getDefinition({ ref: { id, uniqueName: '' } });
    expect(overGrpc).toMatchObject({ uniqueName: 'account-onboarding', rowVersion: (saved.body as Body)['rowVersion'] });

    expect((await api.call('GET', `/api/v1/definitions/${id}`)).body).toMatchObject({ id, uniqueName: 'account-onboarding' });
    expect((await api.call('GET', '/api/v1/definitions/account-onboarding')).body).toMatchObject({ id });

    const v1 = await api.call('POST', '/api/v1/definitions/account-onboarding/activate', author);
    expect(v1).toMatchObject({
      status: 200,
      body: { version: 1, deactivatedOn: null, triggers: [{ message: 'Create', entity: 'account' }] },
    });
    expect((v1.body as Body)['compiled']).toMatchObject({ definition: { uniqueName: 'account-onboarding' } });
    const again = await api.call('POST', `/api/v1/definitions/${id}/activate`, author);
    expect(again.status).toBe(409);
    expect(errorOf(again.body).code).toBe('DEFINITION_NOT_DRAFT');
    expect((await api.call('GET', `/api/v1/definitions/${id}/versions/active`)).body).toMatchObject({ version: 1 });

    const draft = await api.call('POST', `/api/v1/definitions/${id}/deactivate`, author);
    expect(draft.body).toMatchObject({ state: 0, activeVersion: 0, latestVersion: 1 });
    await api.call('POST', `/api/v1/definitions/${id}/activate`, author);
    const versions = await api.call('GET', `/api/v1/definitions/${id}/versions?pageSize=1`);
    expect(versions.body).toMatchObject({ versions: [{ version: 2, deactivatedOn: null }], page: { totalCount: 2 } });
    const older = await api.call(
      'GET',
      `/api/v1/definitions/${id}/versions?pageToken=${(versions.body as { page: Body }).page['nextPageToken'] as string}`,
    );
    expect(older.body).toMatchObject({ versions: [{ version: 1, deactivatedOn: expect.any(String) }] });
    expect((await api.call('GET', `/api/v1/definitions/${id}/versions/1`)).body).toMatchObject({ version: 1 });
    const missing = await api.call('GET', `/api/v1/definitions/${id}/versions/9`);
    expect(missing.status).toBe(404);
    expect(errorOf(missing.body).code).toBe('DEFINITION_VERSION_NOT_FOUND');

    const listed = await api.call('GET', '/api/v1/definitions?state=1&nameContains=onboard');
    expect(listed.body).toMatchObject({
      definitions: [{ uniqueName: 'account-onboarding', activeVersion: 2 }],
      page: { totalCount: 1, nextPageToken: '' },
    });

    const yaml = await api.call('GET', '/api/v1/definitions/export?uniqueName=account-onboarding&format=yaml');
    expect(yaml.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(yaml.text).toMatch(/flowlineExport: 1/);
    const json = await api.call('GET', '/api/v1/definitions/export?uniqueName=account-onboarding');
    expect(json.body).toMatchObject({ flowlineExport: 1, definitions: [{ uniqueName: 'account-onboarding' }] });
    const unknownExport = await api.call('GET', '/api/v1/definitions/export?uniqueName=nothing-like-it');
    expect(unknownExport.status).toBe(404);

    await api.call('POST', `/api/v1/definitions/${id}/deactivate`, author);
    const imported = await api.call('POST', '/api/v1/definitions/import?activate=true', { ...author, body: yaml.text, contentType: YAML });
    expect(imported.body).toMatchObject({ definitions: [{ uniqueName: 'account-onboarding', state: 1, activeVersion: 3 }] });
    const importedJson = await api.call('POST', '/api/v1/definitions/import', { ...author, body: json.body });
    expect(importedJson.body).toMatchObject({ definitions: [{ uniqueName: 'account-onboarding', state: 0 }] });

    const deleted = await api.call('DELETE', `/api/v1/definitions/${id}`, author);
    expect(deleted.status).toBe(204);
    expect((await api.call('GET', `/api/v1/definitions/${id}`)).status).toBe(404);
  });

  it('refuses a definition with every error at its path, bad YAML at its line, and stores nothing', async () => {
    const author = { roles: ['author' as const] };
    const broken = {
      schemaVersion: 1,
      name: 'Broken',
      uniqueName: 'broken',
      category: 'workflow',
      primaryEntity: 'acount',
      steps: [
        { id: 'a', type: 'updateRecord', set: { creditlimit: 'lots' } },
        { id: 'a', type: 'stop' },
      ],
    };
    const refused = await api.call('POST', '/api/v1/definitions', { ...author, body: broken });
    expect(refused.status).toBe(400);
    expect(errorOf(refused.body)).toMatchObject({
      code: 'DEFINITION_INVALID',
      violations: [
        { field: '$.primaryEntity', description: "no entity 'acount'; did you mean 'account'?" },
        { field: '$.steps[1].id', description: "the step id 'a' is already used at $.steps[0]" },
      ],
    });
    const validated = await api.call('POST', '/api/v1/definitions/validate', { roles: ['user'], body: broken });
    expect(validated).toMatchObject({ status: 200, body: { valid: false } });
    expect((validated.body as { violations: Body[] }).violations.map((v) => v.field)).toEqual(['$.primaryEntity', '$.steps[1].id']);
    const fine = await api.call('POST', '/api/v1/definitions/validate', {
      body: example('credit-check.workflow.yaml'),
      contentType: 'text/yaml',
    });
    expect(fine.body).toEqual({ valid: true, violations: [] });

    const badYaml = await api.call('POST', '/api/v1/definitions', {
      ...author,
      body: 'name: [',
      contentType: YAML,
    });
    expect(badYaml.status).toBe(400);
    expect(errorOf(badYaml.body)).toMatchObject({
      code: 'DEFINITION_INVALID',
      violations: [{ field: '$', description: expect.stringMatching(/^not valid YAML at line \d+, column \d+/) }],
    });
    const notAnObject = await api.call('POST', '/api/v1/definitions', { ...author, body: [1, 2] });
    expect(notAnObject.status).toBe(400);
    expect(errorOf(notAnObject.body)).toMatchObject({ code: 'DEFINITION_INVALID', violations: [{ field: '$' }] });
    const text = await api.call('POST', '/api/v1/definitions', { ...author, body: 'name: x', contentType: 'text/plain' });
    expect(text.status).toBe(415);
    expect(errorOf(text.body)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('application/yaml') });

    expect((await api.call('GET', '/api/v1/definitions?nameContains=broken')).body).toMatchObject({ definitions: [] });
    const badFilter = await api.call('GET', '/api/v1/definitions?state=active');
    expect(badFilter.status).toBe(400);
    expect(errorOf(badFilter.body)).toMatchObject({ code: 'FILTER_INVALID', violations: [{ field: 'state' }] });
    const bigPage = await api.call('GET', '/api/v1/definitions?pageSize=501');
    expect(errorOf(bigPage.body)).toMatchObject({ code: 'PAGE_SIZE_INVALID', violations: [{ field: 'page.pageSize' }] });
    const badVersion = await api.call('GET', '/api/v1/definitions/anything/versions/latest');
    expect(badVersion.status).toBe(400);
    expect(errorOf(badVersion.body).violations).toMatchObject([{ field: 'version' }]);
  });

  it('refuses the wrong role with 403, a missing token with 401, unknown ids with 404 and a stale version with 409', async () => {
    const yaml = example('credit-check.workflow.yaml');
    const asOperator = await api.call('POST', '/api/v1/definitions', { roles: ['operator'], body: yaml, contentType: YAML });
    expect(asOperator.status).toBe(403);
    expect(errorOf(asOperator.body)).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('author or admin') });
    expect((await api.call('GET', '/api/v1/definitions', { roles: null })).status).toBe(401);
    const unknown = await api.call('GET', '/api/v1/definitions/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe('DEFINITION_NOT_FOUND');
    expect((await api.call('POST', '/api/v1/definitions/no-such-definition/deactivate', { roles: ['author'] })).status).toBe(404);

    const saved = await api.call('POST', '/api/v1/definitions', { roles: ['author'], body: yaml, contentType: YAML });
    const { id, rowVersion } = saved.body as { id: string; rowVersion: number };
    const renamed = yaml.replace('name: Credit check', 'name: Credit check (renamed)');
    const updated = await api.call('PUT', `/api/v1/definitions/${id}`, {
      roles: ['author'],
      body: renamed,
      contentType: YAML,
      headers: { 'if-match': `"${rowVersion}"` },
    });
    expect(updated).toMatchObject({ status: 200, body: { name: 'Credit check (renamed)', rowVersion: rowVersion + 1 } });
    const stale = await api.call('PUT', `/api/v1/definitions/${id}`, {
      roles: ['author'],
      body: yaml,
      contentType: YAML,
      headers: { 'if-match': `"${rowVersion}"` },
    });
    expect(stale.status).toBe(409);
    expect(errorOf(stale.body)).toMatchObject({
      code: 'DEFINITION_VERSION_CONFLICT',
      message: expect.stringContaining(`not ${rowVersion}`),
    });
    const badIfMatch = await api.call('PUT', `/api/v1/definitions/${id}`, {
      roles: ['author'],
      body: yaml,
      contentType: YAML,
      headers: { 'if-match': 'soon' },
    });
    expect(errorOf(badIfMatch.body)).toMatchObject({ code: 'INVALID_IF_MATCH', violations: [{ field: 'If-Match' }] });
    expect((await api.call('DELETE', `/api/v1/definitions/${id}`, { roles: ['operator'] })).status).toBe(403);
  });

  it('registers, reads, updates and unregisters steps with the gRPC rules and roles', async () => {
    const webhook = {
      name: 'audit account changes',
      message: 'Update',
      primaryEntity: 'account',
      stage: 40,
      mode: 1,
      rank: 1,
      filteringAttributes: ['creditlimit'],
      images: [{ alias: 'before', type: 1, attributes: ['creditlimit'] }],
      handler: { webhook: { url: 'http://127.0.0.1:9/hook', timeoutMs: 5000 } },
      secureConfiguration: 'the secret',
    };
    const created = await api.call('POST', '/api/v1/steps', { body: webhook });
    expect(created).toMatchObject({
      status: 201,
      body: { name: 'audit account changes', enabled: true, secureConfiguration: '', hasSecureConfiguration: true },
    });
    const { id, rowVersion } = created.body as { id: string; rowVersion: number };
    expect((await api.call('GET', `/api/v1/steps/${id}`, { roles: ['operator'] })).body).toMatchObject({ id, stage: 40 });
    expect((await api.call('GET', '/api/v1/steps?message=Update&primaryEntity=account', { roles: ['service'] })).body).toMatchObject({
      steps: [{ id }],
      page: { totalCount: 1 },
    });
    const updated = await api.call('PUT', `/api/v1/steps/${id}?keepSecureConfiguration=true`, {
      body: { ...webhook, rank: 2, secureConfiguration: '' },
      headers: { 'if-match': String(rowVersion) },
    });
    expect(updated.body).toMatchObject({ rank: 2, hasSecureConfiguration: true });
    const stale = await api.call('PUT', `/api/v1/steps/${id}`, { body: webhook, headers: { 'if-match': String(rowVersion) } });
    expect(stale.status).toBe(409);
    expect(errorOf(stale.body).code).toBe('STEP_VERSION_CONFLICT');

    const invalid = await api.call('POST', '/api/v1/steps', { body: { ...webhook, stage: 30, images: [{ alias: '', type: 1 }] } });
    expect(invalid.status).toBe(400);
    expect(errorOf(invalid.body)).toMatchObject({
      code: 'STEP_INVALID',
      violations: expect.arrayContaining([
        expect.objectContaining({ field: 'step.stage', code: 'STAGE_INVALID' }),
        expect.objectContaining({ field: 'step.images[0].alias' }),
      ]),
    });
    const wrongType = await api.call('POST', '/api/v1/steps', { body: { ...webhook, rank: 'first', filteringAttributes: [7] } });
    expect(errorOf(wrongType.body)).toMatchObject({
      code: 'STEP_INVALID',
      violations: [{ field: 'step.rank' }, { field: 'step.filteringAttributes[0]' }],
    });
    expect((await api.call('POST', '/api/v1/steps', { roles: ['author'], body: webhook })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/steps', { roles: ['user'] })).status).toBe(403);
    expect(errorOf((await api.call('GET', '/api/v1/steps/not-a-step')).body).code).toBe('STEP_NOT_FOUND');

    expect((await api.call('DELETE', `/api/v1/steps/${id}`)).status).toBe(204);
    expect((await api.call('DELETE', `/api/v1/steps/${id}`)).status).toBe(404);
  });

  it('creates, reads, updates and deletes entities with the gRPC rules and roles', async () => {
    const project = {
      logicalName: 'project',
      displayName: 'Project',
      primaryIdAttribute: 'projectid',
      primaryNameAttribute: 'name',
      ownership: 1,
      attributes: [
        { logicalName: 'projectid', displayName: 'Project', type: 13 },
        { logicalName: 'name', displayName: 'Name', type: 1, maxLength: 200 },
        { logicalName: 'accountid', displayName: 'Account', type: 11, targets: ['account'] },
      ],
    };
    const created = await api.call('POST', '/api/v1/entities', { body: project });
    expect(created).toMatchObject({ status: 201, body: { logicalName: 'project', version: 1, isCustom: true } });
    expect((await api.call('POST', '/api/v1/entities', { body: project })).status).toBe(409);
    expect((await api.call('GET', '/api/v1/entities/project', { roles: ['user'] })).body).toMatchObject({ displayName: 'Project' });
    const first = await api.call('GET', '/api/v1/entities?pageSize=2');
    expect(first.body).toMatchObject({ entities: [{}, {}], page: { nextPageToken: expect.stringMatching(/.+/) } });

    const changed = { ...project, displayName: 'Customer Project' };
    const updated = await api.call('PUT', '/api/v1/entities/project', { body: changed, headers: { 'if-match': '"1"' } });
    expect(updated.body).toMatchObject({ displayName: 'Customer Project', version: 2 });
    const stale = await api.call('PUT', '/api/v1/entities/project', { body: changed, headers: { 'if-match': '"1"' } });
    expect(errorOf(stale.body).code).toBe('ENTITY_VERSION_CONFLICT');
    const renamed = await api.call('PUT', '/api/v1/entities/project', { body: { ...changed, logicalName: 'programme' } });
    expect(errorOf(renamed.body)).toMatchObject({ code: 'ENTITY_INVALID', violations: [{ field: 'entity.logicalName' }] });
    const invalid = await api.call('POST', '/api/v1/entities', {
      body: {
        ...project,
        logicalName: 'widget',
        primaryNameAttribute: 'title',
        attributes: [...project.attributes, { logicalName: 'vendorid', type: 11, targets: ['vendor'] }],
      },
    });
    expect(errorOf(invalid.body)).toMatchObject({
      code: 'ENTITY_INVALID',
      violations: expect.arrayContaining([expect.objectContaining({ field: 'entity.attributes[3].targets[0]', code: 'UNKNOWN_ENTITY' })]),
    });
    expect((await api.call('POST', '/api/v1/entities', { roles: ['author'], body: project })).status).toBe(403);
    expect((await api.call('DELETE', '/api/v1/entities/account')).status).toBe(409);
    expect((await api.call('DELETE', '/api/v1/entities/project')).status).toBe(204);
    expect(errorOf((await api.call('GET', '/api/v1/entities/project')).body).code).toBe('ENTITY_NOT_FOUND');
  });

  it('has had every operation of its OpenAPI document called above, each counted by route and outcome', async () => {
    expect(api.uncovered()).toEqual([]);
    const metrics = await (await fetch(`${registry.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /flowline_registry_rest_requests_total\{route="POST \/api\/v1\/definitions",outcome="DEFINITION_INVALID"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(
      /flowline_registry_rest_requests_total\{route="POST \/api\/v1\/definitions\/:ref\/activate",outcome="ok"[^}]*\} [1-9]/,
    );
  });
});
