import { RpcCallError } from '@flowline/rpc';
import { DependencyUnavailable, describeNextAttempt, isUnavailableGrpcCode, unavailabilityOf } from './dependency-failures';

describe('dependency failures', () => {
  it('reads an unreachable registry, a database that went away and a thrown wait-out as unavailability', () => {
    const registry = unavailabilityOf(
      new RpcCallError({ grpcCode: 14, code: '', message: 'connect ECONNREFUSED', violations: [] }, 'GetDefinitionVersion'),
    );
    expect(registry).toMatchObject({ dependency: 'registry', code: 'GRPC_14' });
    expect(unavailabilityOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' }))).toMatchObject({
      dependency: 'database',
    });
    expect(unavailabilityOf(new Error('Connection terminated unexpectedly'))).toMatchObject({ dependency: 'database' });
    const gateway = new DependencyUnavailable('gateway', 'GATEWAY_UNREACHABLE', 'Update contact');
    expect(unavailabilityOf(gateway)).toBe(gateway);
  });

  it('leaves refusals and step errors alone: they are failures, not unavailability', () => {
    expect(
      unavailabilityOf(new RpcCallError({ grpcCode: 5, code: 'NOT_FOUND', message: 'no such definition', violations: [] }, 'Get')),
    ).toBeUndefined();
    expect(unavailabilityOf(new Error('field not found'))).toBeUndefined();
    expect(isUnavailableGrpcCode(14)).toBe(true);
    expect(isUnavailableGrpcCode(9)).toBe(false);
  });

  it('says when the next attempt is, in seconds and as a time', () => {
    expect(describeNextAttempt(new Date('2026-12-01T10:00:04.000Z'), new Date('2026-12-01T10:00:00.000Z'))).toBe(
      'in 4 s (at 2026-12-01T10:00:04.000Z)',
    );
  });
});
