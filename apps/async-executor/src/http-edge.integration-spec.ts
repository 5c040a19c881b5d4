/** The shared HTTP edge on the executor's operations API, health and metrics (libs/service-testing http-edge.suite). */
import { describeHttpEdge, EDGE_BODY_LIMIT_BYTES, startServiceForTest } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS, testPrefix } from '@flowline/testing';

describeHttpEdge({
  serviceName: 'async-executor',
  start: async () => {
    // The executor is ready once its metadata cache has loaded from a registry.
    const shared = { KAFKA_TOPIC_PREFIX: `${testPrefix('edge')}.` };
    const registry = await startServiceForTest('apps/process-registry/src/main.ts', shared);
    const executor = await startServiceForTest('apps/async-executor/src/main.ts', {
      ...shared,
      REGISTRY_ADDRESS: registry.grpcAddress,
      HTTP_BODY_LIMIT_BYTES: String(EDGE_BODY_LIMIT_BYTES),
    }).catch(async (error: unknown) => {
      await registry.stop();
      throw error;
    });
    return {
      httpUrl: executor.httpUrl,
      stop: async () => {
        await executor.stop();
        await registry.stop();
      },
    };
  },
  jsonRoute: '/api/v1/operations/{id}/postpone',
  startTimeoutMs: 2 * SERVICE_START_TIMEOUT_MS,
});
