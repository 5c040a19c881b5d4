/**
 * The registry's gRPC API through the shared error mapping (service-kit's GrpcExceptionFilter):
 * text no store can keep, in any request, is refused with INVALID_ARGUMENT, never INTERNAL,
 * and the service keeps serving.
 */
import { status } from '@grpc/grpc-js';
import type { RpcCallError } from '@flowline/rpc';
import { startServiceForTest, type RunningService } from '@flowline/service-testing';
import { testPrefix, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { REGISTRY_MAIN, registryClients, step } from '../test/registry-clients';

describe('the registry refuses unstorable text over gRPC with INVALID_ARGUMENT', () => {
  let registry: RunningService;
  beforeAll(async () => {
    registry = await startServiceForTest(REGISTRY_MAIN, { KAFKA_TOPIC_PREFIX: `${testPrefix('grpc-refusals')}.` });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await registry?.stop();
  });

  const failure = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (error: unknown) => error as RpcCallError,
    );

  it.each<[string, string, () => Promise<unknown>]>([
    [
      'RegisterStep with a NUL in the name',
      'step.name',
      () => registryClients(registry).steps.registerStep({ step: step({ name: 'audit\u0000' }) }),
    ],
    [
      'GetDefinition by a unique name holding a NUL',
      'ref.uniqueName',
      () => registryClients(registry, ['author']).definitions.getDefinition({ ref: { id: '', uniqueName: 'a\u0000b' } }),
    ],
    [
      'ListDefinitions filtered by a name holding a NUL',
      'nameContains',
      () =>
        registryClients(registry, ['author']).definitions.listDefinitions({
          page: { pageSize: 10, pageToken: '' },
          filterByCategory: false,
          category: 0,
          primaryEntity: '',
          filterByState: false,
          state: 0,
          nameContains: 'x\u0000',
        }),
    ],
    [
      'GetEntity by a logical name holding a NUL',
      'logicalName',
      () => registryClients(registry).entities.getEntity({ logicalName: 'acc\u0000ount' }),
    ],
  ])('%s: at %s', async (_, field, call) => {
    const error = await failure(call());
    expect(error).toBeDefined();
    // It answered INTERNAL: PostgreSQL refused the text (22021) and the filter took that for a bug.
    expect({ grpcCode: error!.grpcCode, code: error!.code, fields: error!.violations.map((violation) => violation.field) }).toEqual({
      grpcCode: status.INVALID_ARGUMENT,
      code: 'BAD_CHARACTER',
      fields: [field],
    });
  });

  it('still serves afterwards', async () => {
    const registered = await registryClients(registry).steps.registerStep({ step: step({ name: 'audit after refusals' }) });
    expect(registered.id).not.toBe('');
  });
});
