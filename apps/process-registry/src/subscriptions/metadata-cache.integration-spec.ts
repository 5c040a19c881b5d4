import { MetadataCache } from '@flowline/metadata-cache';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { REGISTRY_MAIN, registryClients, step } from '../../test/registry-clients';

describe('MetadataCache against the registry', () => {
  let registry: RunningService;
  let cache: MetadataCache;
  beforeAll(async () => {
    registry = await startServiceForTest(REGISTRY_MAIN);
    cache = new MetadataCache({ registryAddress: registry.grpcAddress, token: () => testToken(['service']), refreshIntervalMs: 60_000 });
    await cache.start();
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    cache.stop();
    await registry.stop();
  });

  it('answers from its snapshot and counts hits', async () => {
    expect((await cache.entity('account'))?.primaryIdAttribute).toBe('accountid');
    expect(cache.getStats()).toMatchObject({ hits: 1, misses: 0, refreshes: 1 });
  });

  it('refreshes when a change announces a newer version, and resolves exactly like the registry', async () => {
    const { steps, subscriptions } = registryClients(registry);
    const before = cache.version;
    await steps.registerStep({ step: step({ name: 'cached step', stage: 20 }) });
    const fresh = await subscriptions.resolveSubscriptions({ message: 'Update', entity: 'account', changedAttributes: ['name'] });
    expect(cache.resolve('Update', 'account', ['name']).synchronous[1]!.steps).toEqual([]);

    await cache.notifyChange({ metadataVersion: fresh.metadataVersion });
    expect(BigInt(cache.version)).toBeGreaterThan(BigInt(before));
    const cached = cache.resolve('Update', 'account', ['name']);
    expect(cached.synchronous.map((s) => s.steps.map((x) => x.name))).toEqual(fresh.synchronous.map((s) => s.steps.map((x) => x.name)));
    expect(cached.synchronous[1]!.steps.map((s) => s.name)).toEqual(['cached step']);
  });

  it('ignores announcements it is already past', async () => {
    const refreshes = cache.getStats().refreshes;
    await cache.notifyChange({ metadataVersion: '1' });
    expect(cache.getStats().refreshes).toBe(refreshes);
  });

  it('refreshes once on a miss, finding an entity created after its snapshot', async () => {
    const { entities } = registryClients(registry);
    const account = await entities.getEntity({ logicalName: 'account' });
    await entities.createEntity({
      entity: {
        ...account,
        logicalName: 'branch',
        displayName: 'Branch',
        attributes: account.attributes.filter((a) => ['accountid', 'name'].includes(a.logicalName)),
      },
    });
    const misses = cache.getStats().misses;
    expect((await cache.entity('branch'))?.displayName).toBe('Branch');
    expect(cache.getStats().misses).toBe(misses + 1);
    expect(await cache.entity('nonexistent')).toBeUndefined();
  });

  it('catches up on its safety interval when no change message arrives', async () => {
    const quick = new MetadataCache({ registryAddress: registry.grpcAddress, token: () => testToken(['service']), refreshIntervalMs: 200 });
    await quick.start();
    try {
      const { steps } = registryClients(registry);
      await steps.registerStep({ step: step({ name: 'seen by the timer', stage: 10 }) });
      await waitFor(() => quick.resolve('Update', 'account', []).synchronous[0]!.steps.some((s) => s.name === 'seen by the timer'), {
        timeoutMs: 5_000,
        what: 'the safety refresh to pick up the new step',
      });
    } finally {
      quick.stop();
    }
  });
});
