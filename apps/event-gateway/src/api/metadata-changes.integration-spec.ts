import { RegistryProto } from '@flowline/rpc';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startGateway, type GatewayHarness } from '../../test/gateway-harness';

describe('registry changes reach the gateway over Kafka', () => {
  let harness: GatewayHarness;
  beforeAll(async () => {
    // A safety refresh of an hour: only the change events can bring the cache up to date.
    harness = await startGateway({ METADATA_REFRESH_INTERVAL_MS: '3600000' });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await harness.stop();
  });

  it('updates the metadata cache on a registration through flowline.registry-changes.v1, without waiting for a refresh', async () => {
    const before = (await harness.call('GET', '/api/v1/metadata')).body as { version: string; refreshes: number };
    await harness.steps.registerStep({
      step: {
        id: '',
        name: 'late default',
        message: 'Create',
        primaryEntity: 'contact',
        stage: 20,
        mode: 0,
        rank: 1,
        filteringAttributes: [],
        images: [],
        handler: { builtIn: { name: 'flowline.field-defaulting' } },
        enabled: true,
        unsecureConfiguration: '{"defaults":{"jobtitle":"Customer"}}',
        secureConfiguration: '',
        hasSecureConfiguration: false,
        registeredOn: '',
        registrationSequence: '',
        rowVersion: 0,
      } satisfies RegistryProto.StepRegistration,
    });
    await waitFor(
      async () => {
        const now = (await harness.call('GET', '/api/v1/metadata')).body as { version: string };
        return BigInt(now.version) > BigInt(before.version);
      },
      // The safety refresh is an hour away: only the change event can bring the cache there.
      { timeoutMs: 30_000, intervalMs: 20, what: 'the gateway cache to move past the registration' },
    );
    const created = await harness.call('POST', '/api/v1/records/contact', { lastname: 'Defaulted' });
    expect(created.body['record']).toMatchObject({ jobtitle: 'Customer' });
    const metrics = await (await fetch(`${harness.gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/flowline_metadata_cache_lookups_total\{result="hit",service="event-gateway"\} [1-9]/);
    expect(metrics).toMatch(/flowline_metadata_cache_version\{service="event-gateway"\} [1-9]/);
  });
});
