import { readSettings, UsageError, USAGE } from './settings';

describe('readSettings', () => {
  it('uses the documented defaults', () => {
    const settings = readSettings([], {}, '/repo');
    expect(settings.dataDir).toBe('/repo/.data');
    expect(settings.postgresPort).toBe(5433);
    expect(settings.databaseUrl).toBeUndefined();
    expect(settings.services.map((s) => [s.descriptor.name, s.httpPort, s.grpcPort])).toEqual([
      ['process-registry', 8081, 50051],
      ['event-gateway', 8080, 50052],
      ['async-executor', 8082, 50053],
      ['session-service', 8083, 50054],
    ]);
  });

  it('takes every port and the data directory from the environment', () => {
    const settings = readSettings([], { FLOWLINE_DATA_DIR: 'x', SESSION_SERVICE_GRPC_PORT: '6000', FLOWLINE_PG_PORT: '7000' }, '/repo');
    expect(settings.dataDir).toBe('/repo/x');
    expect(settings.postgresPort).toBe(7000);
    expect(settings.services.find((s) => s.descriptor.name === 'session-service')?.grpcPort).toBe(6000);
  });

  it('refuses unknown options with the usage', () => {
    expect(() => readSettings(['--turbo'], {}, '/repo')).toThrow(UsageError);
    expect(() => readSettings(['--turbo'], {}, '/repo')).toThrow(`unknown option '--turbo'\n\n${USAGE}`);
  });

  it('plans executor replicas 100 ports apart, each with its own name and, with --traces, its own trace file', () => {
    const settings = readSettings(['--executors', '3', '--traces'], {}, '/repo');
    expect(settings.executors).toBe(3);
    expect(settings.services.map((s) => [s.label, s.httpPort, s.grpcPort, s.env['FLOWLINE_TRACE_FILE']])).toEqual([
      ['process-registry', 8081, 50051, '/repo/.data/traces/process-registry.jsonl'],
      ['event-gateway', 8080, 50052, '/repo/.data/traces/event-gateway.jsonl'],
      ['async-executor', 8082, 50053, '/repo/.data/traces/async-executor.jsonl'],
      ['async-executor-2', 8182, 50153, '/repo/.data/traces/async-executor-2.jsonl'],
      ['async-executor-3', 8282, 50253, '/repo/.data/traces/async-executor-3.jsonl'],
      ['session-service', 8083, 50054, '/repo/.data/traces/session-service.jsonl'],
    ]);
    expect(readSettings(['--executors=2'], {}, '/repo').services.filter((s) => s.descriptor.name === 'async-executor')).toHaveLength(2);
    expect(readSettings([], {}, '/repo').services.every((s) => Object.keys(s.env).length === 0)).toBe(true);
    expect(() => readSettings(['--executors', '0'], {}, '/repo')).toThrow("--executors needs a whole number from 1 to 16, got '0'");
    expect(() => readSettings(['--executors'], {}, '/repo')).toThrow("--executors needs a whole number from 1 to 16, got ''");
  });

  it('refuses a log format it does not know', () => {
    expect(() => readSettings([], { FLOWLINE_LOG_FORMAT: 'xml' }, '/repo')).toThrow(
      "FLOWLINE_LOG_FORMAT must be 'pretty' or 'json', got 'xml'",
    );
  });

  it('starts the development broker by default and Apache Kafka with --kafka apache, its controller on the next port', () => {
    expect(readSettings([], {}, '/repo')).toMatchObject({ kafkaKind: 'dev', kafkaPort: 9092 });
    expect(readSettings(['--kafka', 'apache'], { FLOWLINE_KAFKA_PORT: '19092' }, '/repo')).toMatchObject({
      kafkaKind: 'apache',
      kafkaPort: 19092,
      kafkaControllerPort: 19093,
    });
    expect(readSettings(['--kafka=apache'], { FLOWLINE_KAFKA_CONTROLLER_PORT: '7777' }, '/repo')).toMatchObject({ kafkaControllerPort: 7777 });
    expect(() => readSettings(['--kafka', 'confluent'], {}, '/repo')).toThrow("--kafka is 'dev' (the development broker) or 'apache', got 'confluent'");
  });
});
