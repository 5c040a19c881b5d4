/** The shared HTTP edge on the gateway's records API, health and metrics (libs/service-testing http-edge.suite). */
import { describeHttpEdge, EDGE_BODY_LIMIT_BYTES } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startGateway } from '../test/gateway-harness';

describeHttpEdge({
  serviceName: 'event-gateway',
  start: async () => {
    const harness = await startGateway({ HTTP_BODY_LIMIT_BYTES: String(EDGE_BODY_LIMIT_BYTES) });
    return { httpUrl: harness.gateway.httpUrl, stop: () => harness.stop() };
  },
  jsonRoute: '/api/v1/records/account',
  startTimeoutMs: 2 * SERVICE_START_TIMEOUT_MS,
});
