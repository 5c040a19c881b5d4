import { startServiceForTest, type RunningService } from '@flowline/service-testing';
import { REGISTRY_MAIN, registryClients, step } from '../../test/registry-clients';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';

describe('ResolveSubscriptions', () => {
  let registry: RunningService;
  beforeAll(async () => {
    registry = await startServiceForTest(REGISTRY_MAIN);
    const { steps } = registryClients(registry);
    // Registered out of order on purpose: the answer must be in execution order.
    for (const s of [
      step({ name: 'post rank 2', stage: 40, rank: 2 }),
      step({ name: 'pre-op rank 1', stage: 20, rank: 1 }),
      step({ name: 'post rank 1 first', stage: 40, rank: 1 }),
      step({ name: 'validation', stage: 10, rank: 1 }),
      step({ name: 'post rank 1 second', stage: 40, rank: 1 }),
      step({ name: 'async on credit limit', stage: 40, mode: 1, rank: 1, filteringAttributes: ['creditlimit'] }),
      step({ name: 'any entity audit', stage: 40, rank: 9, primaryEntity: '' }),
      step({ name: 'disabled', stage: 40, rank: 0, enabled: false }),
      step({ name: 'contact only', stage: 40, rank: 0, primaryEntity: 'contact' }),
      step({ name: 'create only', message: 'Create', stage: 40, rank: 0 }),
    ]) {
      await steps.registerStep({ step: s });
    }
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await registry.stop();
  });

  it('orders synchronous steps by stage, rank and registration, and applies filtering attributes', async () => {
    const { subscriptions } = registryClients(registry, ['service']);
    const resolved = await subscriptions.resolveSubscriptions({ message: 'Update', entity: 'account', changedAttributes: ['creditlimit'] });
    expect(resolved.synchronous.map((stage) => [stage.stage, stage.steps.map((s) => s.name)])).toEqual([
      [10, ['validation']],
      [20, ['pre-op rank 1']],
      [40, ['post rank 1 first', 'post rank 1 second', 'post rank 2', 'any entity audit']],
    ]);
    expect(resolved.asynchronous.map((s) => s.name)).toEqual(['async on credit limit']);
    expect(Number(resolved.metadataVersion)).toBeGreaterThan(1);

    const otherChange = await subscriptions.resolveSubscriptions({ message: 'Update', entity: 'account', changedAttributes: ['name'] });
    expect(otherChange.asynchronous).toEqual([]);
  });

  it('gives services a consistent snapshot with the secure configuration the pipeline needs', async () => {
    const { subscriptions, steps } = registryClients(registry, ['service']);
    const secured = await registryClients(registry).steps.registerStep({
      step: step({ name: 'signed hook', secureConfiguration: 's3cret' }),
    });
    const snapshot = await subscriptions.getMetadataSnapshot({});
    expect(snapshot.entities.length).toBeGreaterThanOrEqual(10);
    expect(snapshot.steps.find((s) => s.id === secured.id)?.secureConfiguration).toBe('s3cret');
    expect((await steps.getStep({ id: secured.id })).secureConfiguration).toBe('');
    await expect(registryClients(registry, ['author']).subscriptions.getMetadataSnapshot({})).rejects.toMatchObject({ grpcCode: 7 });
  });
});
