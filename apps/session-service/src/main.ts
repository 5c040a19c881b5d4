/** Entry point of the session-service service. */
import './instrument';
import 'reflect-metadata';
import { ProtoFiles, ProtoPackages } from '@flowline/rpc';
import { loadConfigOrExit, startService } from '@flowline/service-kit';
import { AppModule } from './app.module';
import { SessionConfigShape, SERVICE } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit(SERVICE.name, SessionConfigShape);
  await startService({
    serviceName: SERVICE.name,
    rootModule: AppModule.forRoot(config),
    config,
    grpc: { packages: [ProtoPackages.session], protoFiles: [ProtoFiles.session] },
  });
}

main().catch(() => {
  // startService has logged the reason as a fatal line.
  process.exit(1);
});
