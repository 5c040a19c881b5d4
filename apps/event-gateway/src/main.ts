/** Entry point of the event-gateway service. */
import './instrument';
import 'reflect-metadata';
import { ProtoFiles, ProtoPackages } from '@flowline/rpc';
import { loadConfigOrExit, startService } from '@flowline/service-kit';
import { AppModule } from './app.module';
import { GatewayConfigShape, SERVICE } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit(SERVICE.name, GatewayConfigShape);
  await startService({
    serviceName: SERVICE.name,
    rootModule: AppModule.forRoot(config),
    config,
    grpc: { packages: [ProtoPackages.gateway], protoFiles: [ProtoFiles.gateway] },
  });
}

main().catch(() => {
  // startService has logged the reason as a fatal line.
  process.exit(1);
});
