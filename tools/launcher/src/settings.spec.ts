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

  it('refuses a log format it does not know', () => {
    expect(() => readSettings([], { FLOWLINE_LOG_FORMAT: 'xml' }, '/repo')).toThrow(
      "FLOWLINE_LOG_FORMAT must be 'pretty' or 'json', got 'xml'",
    );
  });
});
