import { status } from '@grpc/grpc-js';
import { RegistryProto } from '@flowline/rpc';
import { startServiceForTest, type RunningService } from '@flowline/service-testing';
import { REGISTRY_MAIN, registryClients, step } from '../../test/registry-clients';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';

const { ImageType } = RegistryProto;

describe('step registrations over gRPC', () => {
  let registry: RunningService;
  beforeAll(async () => {
    registry = await startServiceForTest(REGISTRY_MAIN);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await registry.stop();
  });

  it('registers a step, never returns its secure configuration, updates and unregisters it', async () => {
    const { steps } = registryClients(registry);
    const created = await steps.registerStep({
      step: step({
        filteringAttributes: ['creditlimit'],
        images: [{ alias: 'before', type: ImageType.IMAGE_TYPE_PRE, attributes: ['creditlimit', 'name'] }],
        secureConfiguration: 'hmac-secret',
        unsecureConfiguration: 'audit-level=full',
      }),
    });
    expect(created).toMatchObject({ name: 'audit account changes', secureConfiguration: '', hasSecureConfiguration: true, rowVersion: 1 });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    const read = await registryClients(registry, ['operator']).steps.getStep({ id: created.id });
    expect(read.secureConfiguration).toBe('');

    const updated = await steps.updateStep({
      step: { ...created, rank: 5, enabled: false },
      expectedRowVersion: 1,
      keepSecureConfiguration: true,
    });
    expect(updated).toMatchObject({ rank: 5, enabled: false, hasSecureConfiguration: true, rowVersion: 2 });
    await expect(steps.updateStep({ step: created, expectedRowVersion: 1, keepSecureConfiguration: true })).rejects.toMatchObject({
      grpcCode: status.ABORTED,
      code: 'STEP_VERSION_CONFLICT',
    });
    await steps.unregisterStep({ id: created.id });
    await expect(steps.getStep({ id: created.id })).rejects.toMatchObject({ grpcCode: status.NOT_FOUND, code: 'STEP_NOT_FOUND' });
  });

  it('refuses registrations that break the pipeline rules, naming each field', async () => {
    const { steps } = registryClients(registry);
    const failure = await steps
      .registerStep({
        step: step({
          message: 'Create',
          stage: 20,
          mode: 1,
          filteringAttributes: ['creditlimit'],
          images: [
            { alias: 'pre', type: ImageType.IMAGE_TYPE_PRE, attributes: [] },
            { alias: 'post', type: ImageType.IMAGE_TYPE_POST, attributes: ['nosuchfield'] },
          ],
          handler: { webhook: { url: 'ftp://example/hook', timeoutMs: 300_000 } },
        }),
      })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ grpcCode: status.INVALID_ARGUMENT, code: 'STEP_INVALID' });
    expect((failure as { violations: Array<{ field: string; description: string }> }).violations).toEqual([
      { field: 'step.mode', description: 'asynchronous steps run only at stage 40 (PostOperation), not 20', code: 'ASYNC_STAGE' },
      {
        field: 'step.filteringAttributes',
        description: 'filtering attributes apply to Update steps only, not Create',
        code: 'FILTERING_NOT_UPDATE',
      },
      { field: 'step.images[0].type', description: 'a Create has no pre-image: the record does not exist before it', code: 'NO_PRE_IMAGE' },
      { field: 'step.images[1].type', description: 'post-images exist only at stage 40 (PostOperation), not 20', code: 'POST_IMAGE_STAGE' },
      { field: 'step.images[1].attributes[0]', description: "entity 'account' has no attribute 'nosuchfield'", code: 'UNKNOWN_ATTRIBUTE' },
      {
        field: 'step.handler.webhook.url',
        description: "expected an http:// or https:// URL, got 'ftp://example/hook'",
        code: 'URL_INVALID',
      },
      {
        field: 'step.handler.webhook.timeoutMs',
        description: 'expected 1 to 120000 ms (the 2-minute plug-in limit), got 300000',
        code: 'TIMEOUT_INVALID',
      },
    ]);
    const builtIn = await steps
      .registerStep({ step: step({ handler: { builtIn: { name: 'flowline.field-defaulting' } }, unsecureConfiguration: 'not json' }) })
      .catch((error: unknown) => error);
    expect(builtIn).toMatchObject({
      violations: [
        {
          field: 'step.unsecureConfiguration',
          description: 'the flowline.field-defaulting handler is configured with a JSON object',
          code: 'CONFIGURATION_INVALID',
        },
      ],
    });
  });

  it('lets only admins register steps', async () => {
    await expect(registryClients(registry, ['author']).steps.registerStep({ step: step() })).rejects.toMatchObject({
      grpcCode: status.PERMISSION_DENIED,
    });
    await expect(registryClients(registry, ['user']).steps.listSteps({ message: '', primaryEntity: '' })).rejects.toMatchObject({
      grpcCode: status.PERMISSION_DENIED,
      message: expect.stringContaining('this call needs the role author or operator or service or admin; test-user has user'),
    });
  });

  it('refuses to delete an entity a step is registered on, naming the step', async () => {
    const { steps, entities } = registryClients(registry);
    const vendor = await entities.getEntity({ logicalName: 'account' });
    await entities.createEntity({
      entity: {
        ...vendor,
        logicalName: 'supplier',
        displayName: 'Supplier',
        attributes: vendor.attributes.filter((a) => ['accountid', 'name'].includes(a.logicalName)),
      },
    });
    const registered = await steps.registerStep({
      step: step({ name: 'supplier check', primaryEntity: 'supplier', message: 'Create', stage: 20 }),
    });
    await expect(entities.deleteEntity({ logicalName: 'supplier' })).rejects.toMatchObject({
      grpcCode: status.FAILED_PRECONDITION,
      message: expect.stringContaining("entity 'supplier' is still used by step supplier check"),
    });
    await steps.unregisterStep({ id: registered.id });
    await entities.deleteEntity({ logicalName: 'supplier' });
  });
});
