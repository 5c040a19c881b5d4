import { Metadata, status } from '@grpc/grpc-js';
import { FlowlineError, invalidArgument, readRpcFailure } from './rpc-error';

describe('FlowlineError', () => {
  it('maps each kind to its gRPC and HTTP status', () => {
    expect([new FlowlineError('NOT_FOUND', 'X', 'm').grpcCode, new FlowlineError('NOT_FOUND', 'X', 'm').httpStatus]).toEqual([
      status.NOT_FOUND,
      404,
    ]);
    expect([
      new FlowlineError('FAILED_PRECONDITION', 'X', 'm').grpcCode,
      new FlowlineError('FAILED_PRECONDITION', 'X', 'm').httpStatus,
    ]).toEqual([status.FAILED_PRECONDITION, 409]);
    expect(new FlowlineError('UNAUTHENTICATED', 'X', 'm').httpStatus).toBe(401);
  });

  it('carries its code and field violations to the client through trailers, and names them in the message', () => {
    const error = invalidArgument('DEFINITION_INVALID', 'the definition has 2 errors', [
      { field: '$.steps[0].id', description: 'duplicate step id "a"' },
      { field: '$.primaryEntity', description: "unknown entity 'acount'; did you mean 'account'?" },
    ]);
    const sent = error.toGrpcStatus();
    expect(sent.code).toBe(status.INVALID_ARGUMENT);
    expect(sent.details).toBe(
      `the definition has 2 errors: $.steps[0].id: duplicate step id "a"; $.primaryEntity: unknown entity 'acount'; did you mean 'account'?`,
    );
    const received = readRpcFailure({ code: sent.code, details: sent.details, metadata: sent.metadata });
    expect(received).toEqual({
      grpcCode: status.INVALID_ARGUMENT,
      code: 'DEFINITION_INVALID',
      message: sent.details,
      violations: error.violations,
    });
  });

  it('reads a failure without Flowline trailers', () => {
    expect(readRpcFailure({ code: status.UNAVAILABLE, details: 'connection refused', metadata: new Metadata() })).toEqual({
      grpcCode: status.UNAVAILABLE,
      code: '',
      message: 'connection refused',
      violations: [],
    });
  });
});
