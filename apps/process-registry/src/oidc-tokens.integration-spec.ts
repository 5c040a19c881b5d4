/**
 * A service configured with an OpenID Connect issuer (AUTH_OIDC_ISSUER, AUTH_OIDC_AUDIENCE,
 * AUTH_JWKS_URL, AUTH_OIDC_ROLE_MAP) through the shared service kit: the issuer's RS256 tokens
 * work with their mapped roles, HS256 tokens only with the service role.
 */
import { status } from '@grpc/grpc-js';
import type { Role } from '@flowline/auth';
import { createGrpcClient, ProtoFiles, RegistryProto, type GrpcClientHandle } from '@flowline/rpc';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { startTestIssuer, testPrefix, SERVICE_START_TIMEOUT_MS, type TestIssuer } from '@flowline/testing';
import { REGISTRY_MAIN } from '../test/registry-clients';

const source = JSON.stringify({
  schemaVersion: 1,
  name: 'Tokens',
  uniqueName: 'oidc-tokens',
  category: 'workflow',
  primaryEntity: 'account',
  steps: [{ id: 'a', type: 'updateRecord', set: { name: 'x' } }],
});

describe('a service that takes the tokens of an OpenID Connect issuer', () => {
  let issuer: TestIssuer;
  let registry: RunningService;
  const handles: Array<GrpcClientHandle<unknown>> = [];
  beforeAll(async () => {
    issuer = await startTestIssuer();
    registry = await startServiceForTest(REGISTRY_MAIN, {
      KAFKA_TOPIC_PREFIX: `${testPrefix('oidc')}.`,
      AUTH_OIDC_ISSUER: issuer.issuer,
      AUTH_OIDC_AUDIENCE: 'flowline',
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTH_OIDC_ROLES_CLAIM: 'realm_access.roles',
      AUTH_OIDC_ROLE_MAP: 'process-authors=author',
    });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const handle of handles) handle.close();
    await registry?.stop();
    await issuer?.close();
  });

  const definitions = (token: string) => {
    const handle = createGrpcClient<RegistryProto.ProcessDefinitionServiceClient>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      {
        address: registry.grpcAddress,
        token,
      },
    );
    handles.push(handle as GrpcClientHandle<unknown>);
    return handle.client;
  };
  const save = (token: string) =>
    definitions(token).saveDefinition({
      source,
      format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_JSON,
      id: '',
      expectedRowVersion: 0,
    });
  const issued = (roles: string[], sub = 'ada') => issuer.sign({ sub, aud: 'flowline', realm_access: { roles } });

  it('saves a definition with an RS256 token whose issuer role maps to author, as its subject', async () => {
    const saved = await save(await issued(['process-authors', 'offline_access']));
    expect(saved).toMatchObject({ uniqueName: 'oidc-tokens', createdBy: 'ada' });
  });

  it('refuses the issuer token of a role that may not save with PERMISSION_DENIED', async () => {
    await expect(save(await issued(['user'], 'bob'))).rejects.toMatchObject({ grpcCode: status.PERMISSION_DENIED });
  });

  it('refuses an HS256 admin token (the shared secret cannot mint one) and a token for another audience', async () => {
    await expect(save(testToken(['admin'] as Role[]))).rejects.toMatchObject({
      grpcCode: status.UNAUTHENTICATED,
      message: expect.stringContaining('may carry only the role service here (AUTH_HS256_ROLES)') as unknown as string,
    });
    const other = await issuer.sign({ sub: 'ada', aud: 'another-app', realm_access: { roles: ['process-authors'] } });
    await expect(save(other)).rejects.toMatchObject({ grpcCode: status.UNAUTHENTICATED });
  });

  it('still takes the HS256 service tokens services send each other', async () => {
    const listed = await definitions(testToken(['service'])).listDefinitions({
      page: { pageSize: 10, pageToken: '' },
      filterByCategory: false,
      category: 0,
      primaryEntity: '',
      filterByState: false,
      state: 0,
      nameContains: 'oidc',
    });
    expect(listed.definitions.map((definition) => definition.uniqueName)).toContain('oidc-tokens');
  });
});
