import { adviceFor, clashingPorts, describeTakenPorts, listeningInodes, neededPorts, type TakenPort } from './port-check';
import { readSettings } from './settings';

const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 43210 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F91 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 43299 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 55555 1 0000000000000000 100 0 0 10 0
`;

describe('the port check', () => {
  it('finds the listening socket of a port in /proc/net/tcp, not its connections', () => {
    expect(listeningInodes(PROC_NET_TCP, 8081)).toEqual(['43210']);
    expect(listeningInodes(PROC_NET_TCP, 8080)).toEqual(['55555']);
    expect(listeningInodes(PROC_NET_TCP, 8082)).toEqual([]);
  });

  it('lists every port the launcher needs with the setting that moves it, replicas included', () => {
    const ports = neededPorts(readSettings(['--executors', '2'], {}, '/repo'));
    expect(ports.map((port) => `${port.port} ${port.what} ${port.setting}`)).toEqual([
      '5433 the embedded PostgreSQL FLOWLINE_PG_PORT',
      '9092 the Kafka development broker FLOWLINE_KAFKA_PORT',
      '8081 process-registry HTTP PROCESS_REGISTRY_HTTP_PORT',
      '50051 process-registry gRPC PROCESS_REGISTRY_GRPC_PORT',
      '8080 event-gateway HTTP EVENT_GATEWAY_HTTP_PORT',
      '50052 event-gateway gRPC EVENT_GATEWAY_GRPC_PORT',
      '8082 async-executor HTTP ASYNC_EXECUTOR_HTTP_PORT',
      '50053 async-executor gRPC ASYNC_EXECUTOR_GRPC_PORT',
      '8182 async-executor-2 HTTP ASYNC_EXECUTOR_HTTP_PORT + 100',
      '50153 async-executor-2 gRPC ASYNC_EXECUTOR_GRPC_PORT + 100',
      '8083 session-service HTTP SESSION_SERVICE_HTTP_PORT',
      '50054 session-service gRPC SESSION_SERVICE_GRPC_PORT',
    ]);
    const external = neededPorts(readSettings([], { DATABASE_URL: 'postgres://x', KAFKA_BROKERS: 'k:9092' }, '/repo'));
    expect(external.map((port) => port.port)).not.toContain(5433);
    expect(external.map((port) => port.port)).not.toContain(9092);
  });

  it('names two components given the same port', () => {
    const ports = neededPorts(readSettings([], { EVENT_GATEWAY_HTTP_PORT: '8081' }, '/repo'));
    expect(clashingPorts(ports)).toEqual([
      'port 8081 is set for process-registry HTTP (PROCESS_REGISTRY_HTTP_PORT) and event-gateway HTTP (EVENT_GATEWAY_HTTP_PORT)',
    ]);
  });

  it('says what to do from what holds the port', () => {
    const port: TakenPort = { port: 5433, host: '127.0.0.1', what: 'the embedded PostgreSQL', setting: 'FLOWLINE_PG_PORT' };
    expect(adviceFor(port)).toBe('stop what uses it, or set FLOWLINE_PG_PORT to a free port');
    expect(adviceFor({ ...port, holder: { pid: 7, command: '/x/bin/postgres -D /old/.data/postgres -p 5433' } })).toContain(
      "stop it with 'npm run stop -- --data /old/.data'",
    );
    expect(adviceFor({ ...port, holder: { pid: 7, command: 'node -r @swc-node/register /old/apps/event-gateway/src/main.ts' } })).toContain(
      "a Flowline event-gateway left running: stop it with 'npm run stop -- --data DIR'",
    );
    expect(adviceFor({ ...port, holder: { pid: 7, command: 'nginx: master process' } })).toBe(
      "stop it ('kill 7') or set FLOWLINE_PG_PORT to a free port",
    );
    expect(describeTakenPorts([{ ...port, holder: { pid: 7, command: 'nginx: master process' } }])).toBe(
      'Flowline cannot start: a port it needs is taken.\n' +
        "  port 5433 for the embedded PostgreSQL (FLOWLINE_PG_PORT) is held by pid 7 (nginx: master process):\n    stop it ('kill 7') or set FLOWLINE_PG_PORT to a free port\n" +
        'Nothing was started.\n',
    );
  });
});
