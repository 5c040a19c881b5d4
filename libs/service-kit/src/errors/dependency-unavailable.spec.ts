import { DependencyUnavailable, unavailabilityOf } from './dependency-unavailable';

describe('unavailabilityOf', () => {
  it('reads a database that is down, restarting or wrapped by TypeORM as the database being unavailable', () => {
    expect(unavailabilityOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toMatchObject({
      dependency: 'database',
      code: 'ECONNREFUSED',
    });
    expect(unavailabilityOf(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toMatchObject({
      code: '57P03',
    });
    const wrapped = Object.assign(new Error('Query failed'), {
      driverError: Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    });
    expect(unavailabilityOf(wrapped)).toMatchObject({ dependency: 'database', code: '57P01' });
    expect(unavailabilityOf(new Error('timeout exceeded when trying to connect'))).toMatchObject({ dependency: 'database' });
  });

  it('reads gRPC UNAVAILABLE and DEADLINE_EXCEEDED, raw or as an RPC error, as the dependency the caller names', () => {
    const raw = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'No connection established' });
    expect(unavailabilityOf(raw, { grpcDependency: 'gateway' })).toMatchObject({ dependency: 'gateway', code: 'GRPC_14' });
    expect(unavailabilityOf({ name: 'RpcCallError', grpcCode: 4, code: 'DEADLINE_EXCEEDED', message: 'late' })).toMatchObject({
      dependency: 'registry',
      code: 'DEADLINE_EXCEEDED',
    });
  });

  it('leaves refusals and errors of the work itself alone', () => {
    expect(unavailabilityOf(Object.assign(new Error('5 NOT_FOUND'), { code: 5, details: 'no such definition' }))).toBeUndefined();
    expect(unavailabilityOf(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBeUndefined();
    expect(unavailabilityOf(Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' }))).toBeUndefined();
    expect(unavailabilityOf(new Error('field not found'))).toBeUndefined();
    expect(unavailabilityOf('a string')).toBeUndefined();
    const explicit = new DependencyUnavailable('registry', 'METADATA_NOT_LOADED', 'not loaded');
    expect(unavailabilityOf(explicit)).toBe(explicit);
  });
});
