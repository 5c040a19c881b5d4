import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsHost } from '@nestjs/common';
import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { lastValueFrom } from 'rxjs';
import { FIELD_VIOLATIONS_TRAILER, invalidArgument } from '@flowline/rpc';
import { GrpcExceptionFilter } from './rpc-exception.filter';

const rpcHost = { getType: () => 'rpc' } as unknown as ArgumentsHost;

async function statusOf(exception: unknown): Promise<{ code: number; details: string; message: string; metadata?: Metadata }> {
  const filter = new GrpcExceptionFilter();
  // The filter's logger would print the unexpected errors of this test.
  jest
    .spyOn((filter as unknown as { logger: { error: () => void; warn: () => void } }).logger, 'error')
    .mockImplementation(() => undefined);
  jest.spyOn((filter as unknown as { logger: { error: () => void; warn: () => void } }).logger, 'warn').mockImplementation(() => undefined);
  return lastValueFrom(filter.catch(exception, rpcHost)).then(
    () => {
      throw new Error('expected an error');
    },
    (error: { code: number; details: string; message: string; metadata?: Metadata }) => error,
  );
}

describe('GrpcExceptionFilter: the one gRPC error mapping of every service', () => {
  it('answers a validation error with INVALID_ARGUMENT and its field violations in the trailers', async () => {
    const answer = await statusOf(invalidArgument('DEFINITION_INVALID', 'fix it', [{ field: '$.name', description: 'bad' }]));
    expect(answer.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(JSON.parse(String(answer.metadata?.get(FIELD_VIOLATIONS_TRAILER)[0]))).toEqual([{ field: '$.name', description: 'bad' }]);
  });

  it('answers an unexpected error with INTERNAL and a plain message, never its details', async () => {
    const answer = await statusOf(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(answer).toEqual({
      code: GrpcStatus.INTERNAL,
      details: 'internal error: the service logged the details',
      message: 'internal error',
    });
  });

  it('answers PostgreSQL refusing the caller value (22P05) with INVALID_ARGUMENT, not INTERNAL', async () => {
    const answer = await statusOf(Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' }));
    expect(answer.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(answer.details).toContain('PostgreSQL 22P05');
  });
});

/** Every *.grpc.controller.ts of every service. */
function grpcControllers(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : grpcControllers(path);
    return /\.ts$/.test(name) && !/spec\.ts$/.test(name) ? [path] : [];
  });
}

describe('every service serves gRPC through the shared mapping', () => {
  it('declares each class with a @GrpcMethod as @GrpcController() (which binds the filter and the auth guard)', () => {
    const files = grpcControllers(join(__dirname, '../../../../apps')).filter((path) =>
      readFileSync(path, 'utf8').includes('@GrpcMethod('),
    );
    expect(files.length).toBeGreaterThanOrEqual(4);
    const without = files.filter((path) => !readFileSync(path, 'utf8').includes('@GrpcController()'));
    expect(without).toEqual([]);
  });
});
