/** Lists the services a Flowline process serves, through gRPC server reflection (grpc.reflection.v1). */
import * as path from 'node:path';
import { credentials, loadPackageDefinition, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const REFLECTION_PROTO = path.join(
  path.dirname(require.resolve('@grpc/reflection/package.json')),
  'build/proto/grpc/reflection/v1/reflection.proto',
);

type ReflectionClient = Client & {
  ServerReflectionInfo(): ClientDuplexStream<
    { listServices: string },
    { listServicesResponse?: { service: Array<{ name: string }> }; errorResponse?: { errorMessage: string } }
  >;
};

export async function listGrpcServices(address: string, timeoutMs = 5_000): Promise<string[]> {
  const definition = loadPackageDefinition(loadSync(REFLECTION_PROTO, { keepCase: false })) as unknown as {
    grpc: {
      reflection: {
        v1: { ServerReflection: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => ReflectionClient };
      };
    };
  };
  const client = new definition.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const call = client.ServerReflectionInfo();
      const timer = setTimeout(() => {
        call.cancel();
        reject(new Error(`no reflection answer from ${address} within ${timeoutMs} ms`));
      }, timeoutMs);
      call.on('data', (response) => {
        clearTimeout(timer);
        call.end();
        if (response.errorResponse) reject(new Error(response.errorResponse.errorMessage));
        else resolve((response.listServicesResponse?.service ?? []).map((service: { name: string }) => service.name).sort());
      });
      call.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      call.write({ listServices: '' });
    });
  } finally {
    client.close();
  }
}
