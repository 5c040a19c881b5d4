/** The shared HTTP edge on the registry, whose HTTP port serves health and metrics (libs/service-testing http-edge.suite). */
import { describeHttpEdge, EDGE_BODY_LIMIT_BYTES, startServiceForTest } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';

describeHttpEdge({
  serviceName: 'process-registry',
  start: () => startServiceForTest('apps/process-registry/src/main.ts', { HTTP_BODY_LIMIT_BYTES: String(EDGE_BODY_LIMIT_BYTES) }),
  jsonRoute: '/health/ready',
  startTimeoutMs: SERVICE_START_TIMEOUT_MS,
});
