/**
 * Per-service credentials with real processes and no shared secret (AUTH_JWT_SECRET unset):
 * a registry that trusts the gateway's public key (AUTH_SERVICE_KEYS) and an OpenID Connect
 * issuer whose client `flowline-gateway` is a service (AUTH_OIDC_SERVICE_CLIENTS); one gateway
 * that signs with its own key (SERVICE_KEY), one that gets client-credentials tokens
 * (SERVICE_CLIENT_ID / SERVICE_CLIENT_SECRET). Each gateway's metadata cache loads from the
 * registry with its credential (service-to-service works), and neither credential can pass as
 * an author, an operator or an admin; forged, foreign and HS256 tokens are refused.
 */
import { status } from '@grpc/grpc-js';
import { generateServiceKey, loadServicePrivateKey, ServiceKeyCredential, signToken, type ServiceCredential } from '@flowline/auth';
import { ClientCredentialsCredential } from '@flowline/auth';
import { createGrpcClient, ProtoFiles, RegistryProto, type GrpcClientHandle } from '@flowline/rpc';
import { startServiceForTest, TEST_SECRET, type RunningService } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS, spawnService, startTestIssuer, testKafkaBrokers, testPrefix, type TestIssuer } from '@flowline/testing';

const source = JSON.stringify({
  schemaVersion: 1,
  name: 'Credentials',
  uniqueName: 'service-credentials',
  category: 'workflow',
  primaryEntity: 'account',
  steps: [{ id: 'a', type: 'updateRecord', set: { name: 'x' } }],
});

describe('per-service credentials between real services', () => {
  let issuer: TestIssuer;
  let registry: RunningService;
  let keyedGateway: RunningService;
  let clientGateway: RunningService;
  let gatewayKey: Awaited<ReturnType<typeof generateServiceKey>>;
  const handles: Array<GrpcClientHandle<unknown>> = [];

  beforeAll(async () => {
    issuer = await startTestIssuer();
    // A misconfigured issuer that maps the service client to admin: Flowline still gives it `service` only.
    issuer.addClient('flowline-gateway', 'gateway-client-secret', { aud: 'flowline', roles: ['admin', 'operator'] });
    gatewayKey = await generateServiceKey('event-gateway');
    const trust = {
      AUTH_JWT_SECRET: '',
      AUTH_SERVICE_KEYS: JSON.stringify({ keys: [gatewayKey.publicJwk] }),
      AUTH_OIDC_ISSUER: issuer.issuer,
      AUTH_OIDC_AUDIENCE: 'flowline',
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTH_OIDC_SERVICE_CLIENTS: 'flowline-gateway',
      KAFKA_TOPIC_PREFIX: `${testPrefix('creds')}.`,
    };
    registry = await startServiceForTest('apps/process-registry/src/main.ts', trust);
    [keyedGateway, clientGateway] = await Promise.all([
      startServiceForTest('apps/event-gateway/src/main.ts', {
        ...trust,
        REGISTRY_ADDRESS: registry.grpcAddress,
        SERVICE_KEY: JSON.stringify(gatewayKey.privateJwk),
        LOG_LEVEL: 'info',
      }),
      startServiceForTest('apps/event-gateway/src/main.ts', {
        ...trust,
        REGISTRY_ADDRESS: registry.grpcAddress,
        SERVICE_CLIENT_ID: 'flowline-gateway',
        SERVICE_CLIENT_SECRET: 'gateway-client-secret',
      }),
    ]);
  }, 2 * SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const handle of handles) handle.close();
    await Promise.all([keyedGateway?.stop(), clientGateway?.stop()]);
    await registry?.stop();
    await issuer?.close();
  });

  const definitions = (token: string) => {
    const handle = createGrpcClient<RegistryProto.ProcessDefinitionServiceClient>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      { address: registry.grpcAddress, token },
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
  const readiness = async (service: RunningService) =>
    (await (await fetch(`${service.httpUrl}/health/ready`)).json()) as { checks: Record<string, { status: string }> };
  const tokenOf = (credential: ServiceCredential) => credential.token();

  it("each gateway loads the registry's metadata with its own credential (no shared secret anywhere)", async () => {
    expect((await readiness(keyedGateway)).checks['registry-metadata']).toMatchObject({ status: 'ok' });
    expect((await readiness(clientGateway)).checks['registry-metadata']).toMatchObject({ status: 'ok' });
    expect(issuer.tokensGranted).toBeGreaterThanOrEqual(1);
    expect(keyedGateway.process.output.join('\n')).toContain("EdDSA tokens signed with its own key 'event-gateway' (SERVICE_KEY)");
  });

  it("the gateway's key yields the service role only: it cannot save a definition (author) whatever its token claims", async () => {
    const own = await tokenOf(new ServiceKeyCredential(loadServicePrivateKey(JSON.stringify(gatewayKey.privateJwk))));
    await expect(save(own)).rejects.toMatchObject({
      grpcCode: status.PERMISSION_DENIED,
      message: expect.stringContaining('event-gateway has service') as unknown as string,
    });
  });

  it('a client-credentials token of the service client cannot pass as admin even though the issuer mapped it so', async () => {
    const token = await tokenOf(
      new ClientCredentialsCredential({ tokenUrl: issuer.tokenUrl, clientId: 'flowline-gateway', clientSecret: 'gateway-client-secret' }),
    );
    await expect(save(token)).rejects.toMatchObject({ grpcCode: status.PERMISSION_DENIED });
  });

  it('refuses a token of a foreign key claiming to be the gateway, and any HS256 token, as UNAUTHENTICATED', async () => {
    const foreign = await generateServiceKey('event-gateway');
    const forged = await tokenOf(new ServiceKeyCredential(loadServicePrivateKey(JSON.stringify(foreign.privateJwk))));
    await expect(save(forged)).rejects.toMatchObject({ grpcCode: status.UNAUTHENTICATED });
    const admin = signToken(TEST_SECRET, { subject: 'mallory', roles: ['admin'] });
    await expect(save(admin)).rejects.toMatchObject({
      grpcCode: status.UNAUTHENTICATED,
      message: expect.stringContaining('HS256 tokens of a shared secret are not accepted here') as unknown as string,
    });
  });

  it('a person with an issuer token of the author role still saves', async () => {
    const author = await issuer.sign({ sub: 'ada', aud: 'flowline', roles: ['author'] });
    await expect(save(author)).resolves.toMatchObject({ uniqueName: 'service-credentials', createdBy: 'ada' });
  });

  it('a service whose own key cannot be read stops at once, naming the setting on one line', async () => {
    const service = spawnService('apps/event-gateway/src/main.ts', {
      DATABASE_URL: registry.db.url,
      KAFKA_BROKERS: testKafkaBrokers(),
      AUTH_SERVICE_KEYS: JSON.stringify({ keys: [gatewayKey.publicJwk] }),
      SERVICE_KEY_FILE: '/nonexistent/event-gateway.private.jwk',
    });
    expect((await service.exited).code).toBe(78);
    expect(service.output).toEqual([
      'event-gateway: invalid configuration: SERVICE_KEY_FILE cannot be read from /nonexistent/event-gateway.private.jwk: ENOENT',
    ]);
  });
});
